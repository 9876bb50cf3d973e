package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

type fakeHub []hub.AgentInfo

func (f fakeHub) Agents() []hub.AgentInfo                         { return f }
func (f fakeHub) Command(int64, protocol.Command) (string, error) { return "cmd-1", nil }
func (f fakeHub) Revoke(int64)                                    {}

func TestDisplaysShowLiveStatusAndEnrolmentCodesAreOneTime(t *testing.T) {
	v := newEnv(t)
	since := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	v.api.o.Hub = fakeHub{{DisplayID: 1, Name: "truong-hoc", AgentVersion: "1.2.3", Profile: "virtual", Panel: protocol.Panel{Width: 64, Height: 32}, ConnectedAt: since}}
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	viewer := v.session(v.user(store.RoleViewer, v.unitB.ID))
	var on, off displayOut
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "truong-hoc", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &on)
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "duong-chinh", "width": 128, "height": 64, "fit": "cover", "profile": "virtual"}), 201).json(t, &off)
	if !on.Online || on.Agent == nil || on.Agent.AgentVersion != "1.2.3" || !on.Agent.ConnectedAt.Equal(since) || off.Online || off.Agent != nil {
		t.Fatalf("live status: %+v / %+v", on, off)
	}
	var l list[displayOut]
	must(t, v.do(viewer, "GET", "/displays", nil), 200).json(t, &l)
	if len(l.Items) != 2 || l.Items[0].Name != "duong-chinh" || l.Items[0].Online || !l.Items[1].Online {
		t.Fatalf("list: %+v", l.Items)
	}
	r := v.do(tech, "PATCH", fmt.Sprintf("/displays/%d", on.ID), map[string]any{"name": "Trường Học!"})
	if r.Status != 400 {
		t.Fatalf("a display name that is no agent name: %d %s", r.Status, r.Body)
	}

	var code enrolmentOut
	must(t, v.do(tech, "POST", fmt.Sprintf("/displays/%d/enrollment-codes", on.ID), nil), 201).json(t, &code)
	if len(code.Code) != 14 || !code.ExpiresAt.Equal(v.clock().Add(24*time.Hour)) {
		t.Fatalf("code %+v", code)
	}
	ctx := context.Background()
	if id, err := v.st.RedeemEnrolmentCode(ctx, store.System, auth.HashToken(code.Code), auth.HashToken("device-secret")); err != nil || id != on.ID {
		t.Fatalf("redeem: %d, %v", id, err)
	}
	if _, err := v.st.RedeemEnrolmentCode(ctx, store.System, auth.HashToken(code.Code), auth.HashToken("again")); err == nil {
		t.Fatal("a code worked twice")
	}
	var got displayOut
	must(t, v.do(tech, "GET", fmt.Sprintf("/displays/%d", on.ID), nil), 200).json(t, &got)
	if got.Enrolment != store.EnrolmentEnrolled {
		t.Fatalf("enrolment %q", got.Enrolment)
	}
}

func TestAPIResponsesCarrySecurityHeaders(t *testing.T) {
	v := newEnv(t)
	for _, path := range []string{"/openapi.json", "/me", "/media/1"} {
		r := v.do(cred{}, "GET", path, nil)
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
			"Cache-Control":          "no-store",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if csp := r.Header.Get("Content-Security-Policy"); csp == "" {
			t.Errorf("%s: no Content-Security-Policy", path)
		}
	}
}

// One panel limit: a display wider than protocol.MaxPanelSide could never be
// given a plan (plans refuse its panel), so it is refused when it is made,
// saying the limit; a display at the limit is made and gets a plan's panel.
func TestDisplayLargerThanProtocolPanelLimitIsRefusedAtCreation(t *testing.T) {
	v := newEnv(t)
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	r := v.do(tech, "POST", "/displays", map[string]any{"name": "rong-qua", "width": 10000, "height": 64, "profile": "virtual"})
	if r.Status != 400 || r.code() != "size_range" || !strings.Contains(string(r.Body), fmt.Sprint(protocol.MaxPanelSide)) {
		t.Fatalf("a 10000-wide display: %d %s", r.Status, r.Body)
	}
	r = v.do(tech, "POST", "/displays", map[string]any{"name": "cao-qua", "width": 64, "height": protocol.MaxPanelSide + 1, "profile": "virtual"})
	if r.Status != 400 || r.code() != "size_range" || !strings.Contains(string(r.Body), `"field":"height"`) {
		t.Fatalf("a display one pixel too tall: %d %s", r.Status, r.Body)
	}
	var d displayOut
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "vua-du", "width": protocol.MaxPanelSide, "height": 64, "profile": "virtual"}), 201).json(t, &d)
	if err := (protocol.Panel{Width: d.Width, Height: d.Height}).Validate(); err != nil {
		t.Fatalf("the API made a display plans refuse: %v", err)
	}
}
