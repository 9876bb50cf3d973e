package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
)

func capFeedBody(name string, group int64) map[string]any {
	return map[string]any{"name": name, "url": "http://127.0.0.1:1/cap.xml", "interval_s": 60, "min_severity": "Moderate",
		"areas": []map[string]any{{"kind": "desc", "value": "Đà Nẵng", "group_id": group}, {"kind": "geocode", "name": "province", "value": "48", "group_id": group}}}
}

// capFeed creates a feed.
func (v *env) capFeed() int64 {
	v.t.Helper()
	f, err := v.st.CreateCAPFeed(context.Background(), store.System, store.CAPFeed{Name: v.uniq("feed"), URL: "http://127.0.0.1:1/cap.xml",
		Interval: 60, DefaultMinutes: 60, UnitID: v.unitA.ID, Languages: []string{"vi"}})
	if err != nil {
		v.t.Fatal(err)
	}
	return f.ID
}

// capAlert records an alert waiting for an approver, for a new group.
func (v *env) capAlert() int64 {
	v.t.Helper()
	exp := v.clock().Add(time.Hour)
	a, _, err := v.st.RecordCAPAlert(context.Background(), store.CAPAlert{Identifier: v.uniq("alert"), Sender: "canhbao@example.vn", Sent: v.clock(),
		MsgType: "Alert", State: store.CAPWaiting, Title: "Bão", Body: "Bão đổ bộ vào Đà Nẵng", ExpiresAt: &exp, GroupIDs: []int64{v.group()}})
	if err != nil {
		v.t.Fatal(err)
	}
	return a.ID
}

func TestCAPFeedInput(t *testing.T) {
	v := newEnv(t)
	ad := v.session(v.user(store.RoleAdmin, v.unitA.ID))
	g := v.group()
	var f store.CAPFeed
	must(t, v.do(ad, "POST", "/cap-feeds", capFeedBody("Khí tượng", g)), 201).json(t, &f)
	if f.Interval != 60 || f.DefaultMinutes != 120 || !f.MatchPoints || fmt.Sprint(f.Languages) != "[vi]" || len(f.Areas) != 2 ||
		f.Areas[1].Name != "province" || f.UnitID != v.unitA.ID {
		t.Fatalf("feed %+v", f)
	}
	for _, tc := range []struct {
		change map[string]any
		status int
		code   string
	}{
		{map[string]any{"name": "Khí tượng"}, 409, "name_taken"},
		{map[string]any{"url": "file:///etc/passwd"}, 400, "bad_url"},
		{map[string]any{"url": "http://user:pw@example.vn/"}, 400, "bad_url"},
		{map[string]any{"url": "/relative"}, 400, "bad_url"},
		{map[string]any{"interval_s": 29}, 400, "interval_range"},
		{map[string]any{"default_minutes": 10081}, 400, "minutes_range"},
		{map[string]any{"min_severity": "Bad"}, 400, "bad_request"},
		{map[string]any{"min_certainty": "Sure"}, 400, "bad_request"},
		{map[string]any{"languages": []string{"vi VN"}}, 400, "bad_language"},
		{map[string]any{"areas": []map[string]any{{"kind": "geocode", "value": "48", "group_id": g}}}, 400, "required"},
		{map[string]any{"areas": []map[string]any{{"kind": "desc", "value": "Huế", "group_id": 99999}}}, 409, "unknown_group"},
	} {
		body := capFeedBody(v.uniq("feed"), g)
		for k, x := range tc.change {
			body[k] = x
		}
		if r := v.do(ad, "POST", "/cap-feeds", body); r.Status != tc.status || r.code() != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.change, r.Status, r.Body, tc.status, tc.code)
		}
	}
	// Polling now records the poll: the test controller refuses loopback.
	var polled store.CAPFeed
	must(t, v.do(ad, "POST", fmt.Sprintf("/cap-feeds/%d/poll", f.ID), nil), 200).json(t, &polled)
	if polled.LastResult != store.PollError || polled.LastErrorCode != "private_address" || polled.LastPollAt == nil {
		t.Fatalf("polled %+v", polled)
	}
	var feeds capFeedList
	must(t, v.do(ad, "GET", "/cap-feeds", nil), 200).json(t, &feeds)
	if feeds.PrivateAllowed || len(feeds.Items) != 1 || feeds.Items[0].LastErrorCode != "private_address" {
		t.Fatalf("feeds %+v", feeds)
	}
	// A new URL forgets nothing else but is due at once.
	body := capFeedBody("Khí tượng", g)
	body["url"], body["auto_publish"] = "https://canhbao.example.vn/atom.xml", true
	must(t, v.do(ad, "PUT", fmt.Sprintf("/cap-feeds/%d", f.ID), body), 200).json(t, &f)
	if f.URL != "https://canhbao.example.vn/atom.xml" || !f.AutoPublish || f.LastErrorCode != "private_address" {
		t.Fatalf("updated %+v", f)
	}
	must(t, v.do(ad, "DELETE", fmt.Sprintf("/cap-feeds/%d", f.ID), nil), 204)
	must(t, v.do(ad, "GET", fmt.Sprintf("/cap-feeds/%d", f.ID), nil), 404)
}

// TestCAPAlertDecisions: an approver publishes a waiting alert (an urgent
// notice for its group until it expires) or dismisses one; a decided alert
// cannot be decided again; both are audited.
func TestCAPAlertDecisions(t *testing.T) {
	v := newEnv(t)
	apU := v.user(store.RoleApprover, v.unitA.ID)
	ap := v.session(apU)
	one, two := v.capAlert(), v.capAlert()
	var waiting list[store.CAPAlert]
	must(t, v.do(ap, "GET", "/cap-alerts?state=waiting", nil), 200).json(t, &waiting)
	if len(waiting.Items) != 2 {
		t.Fatalf("waiting %+v", waiting)
	}
	var a store.CAPAlert
	must(t, v.do(ap, "POST", fmt.Sprintf("/cap-alerts/%d/publish", one), nil), 200).json(t, &a)
	if a.State != store.CAPPublished || a.UrgentID == nil || a.DecidedBy == nil || *a.DecidedBy != apU.ID {
		t.Fatalf("published %+v", a)
	}
	n, err := v.st.UrgentNotice(context.Background(), *a.UrgentID)
	if err != nil || n.Text != "Bão đổ bộ vào Đà Nẵng" || !n.EndsAt.Equal(*a.ExpiresAt) || fmt.Sprint(n.GroupIDs) != fmt.Sprint(a.GroupIDs) {
		t.Fatalf("notice %+v %v", n, err)
	}
	if r := v.do(ap, "POST", fmt.Sprintf("/cap-alerts/%d/publish", one), nil); r.Status != 409 || r.code() != "wrong_state" {
		t.Fatalf("published twice: %d %s", r.Status, r.Body)
	}
	must(t, v.do(ap, "POST", fmt.Sprintf("/cap-alerts/%d/dismiss", two), nil), 200).json(t, &a)
	if a.State != store.CAPDismissed {
		t.Fatalf("dismissed %+v", a)
	}
	v.advance(time.Hour)
	three := v.capAlert()
	v.advance(61 * time.Minute)
	if r := v.do(v.session(apU), "POST", fmt.Sprintf("/cap-alerts/%d/publish", three), nil); r.Status != 409 || r.code() != "alert_expired" {
		t.Fatalf("published an expired alert: %d %s", r.Status, r.Body)
	}
	for _, action := range []string{"cap_alert.publish", "cap_alert.dismiss", "urgent.create"} {
		if evs, err := v.st.ListAudit(context.Background(), store.AuditFilter{Action: action}); err != nil || len(evs) != 1 {
			t.Errorf("audit %s: %d %v", action, len(evs), err)
		}
	}
	must(t, v.do(v.session(apU), "POST", "/cap-alerts/99999/dismiss", nil), 404)
}
