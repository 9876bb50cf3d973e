package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
)

// A device fetches the renditions its own plans name (the current one, and
// the previous one for a while, so a download under way finishes), and
// nothing else: another display's, a draft's or an unknown hash all read
// "no rendition", so a device learns nothing of what exists.
func TestDeviceFetchesOnlyAssetsOfItsOwnPlans(t *testing.T) {
	v := newEnv(t)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	var a, b store.Display
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "cong-phuong", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &a)
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "truong-hoc", "width": 128, "height": 64, "profile": "virtual"}), 201).json(t, &b)
	rendition := func(m store.Media, w int) string {
		for _, r := range m.Current.Renditions {
			if r.Width == w && r.Status == "ready" {
				return r.SHA256
			}
		}
		t.Fatalf("no %d px rendition of media %d: %+v", w, m.ID, m.Current.Renditions)
		return ""
	}
	var scheduled, draft store.Media
	must(t, v.upload(ed, "a.png", testPNG(t, 400, 300), map[string]string{"title": "Lịch tiêm chủng"}), 201).json(t, &scheduled)
	must(t, v.upload(ed, "b.png", testPNG(t, 300, 400), map[string]string{"title": "Bản nháp"}), 201).json(t, &draft)
	mine, theirs, drafted := rendition(scheduled, 64), rendition(scheduled, 128), rendition(draft, 64)
	v.sendPlan(a.ID, mine)
	v.sendPlan(b.ID, theirs)
	secret := v.enrolAgent(a.ID)

	fetch := func(sha string, want int) {
		t.Helper()
		r := v.agentGet(secret, sha, nil)
		if r.Status != want {
			t.Fatalf("GET %s…: %d %s, want %d", sha[:12], r.Status, r.Body, want)
		}
		if want == 404 && (r.code() != "not_found" || !strings.Contains(string(r.Body), fmt.Sprintf("no rendition has the hash %s", sha))) {
			t.Fatalf("GET %s…: %s, want the same answer as an unknown hash", sha[:12], r.Body)
		}
	}
	fetch(mine, 200)
	fetch(theirs, 404)  // another display's plan
	fetch(drafted, 404) // a draft no plan names
	fetch(strings.Repeat("0", 64), 404)

	// A new plan drops the asset: a download of it may finish while the
	// display takes the new plan, and for AgentAssetGrace after.
	rev := v.sendPlan(a.ID, drafted)
	fetch(drafted, 200)
	fetch(mine, 200)
	if err := v.st.SetPlanAcked(context.Background(), a.ID, rev); err != nil {
		t.Fatal(err)
	}
	fetch(mine, 200)
	v.advance(AgentAssetGrace + time.Minute)
	fetch(mine, 404)
	fetch(drafted, 200)
}
