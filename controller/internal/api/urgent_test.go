package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
)

func TestUrgentNoticeBadInput(t *testing.T) {
	v := newEnv(t)
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	draft := v.media(v.unitA.ID, store.StatusDraft)
	ok := v.media(v.unitA.ID, store.StatusApproved)
	for _, tc := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"media_id": ok, "minutes": 0}, 400, "minutes_range"},
		{map[string]any{"media_id": ok, "minutes": 1441}, 400, "minutes_range"},
		{map[string]any{"minutes": 5}, 400, "required"},
		{map[string]any{"media_id": draft, "minutes": 5}, 409, "media_not_approved"},
		{map[string]any{"media_id": 99999, "minutes": 5}, 404, "not_found"},
		{map[string]any{"media_id": ok, "minutes": 5, "group_id": 99999}, 404, "not_found"},
		{map[string]any{"media_id": ok, "minutes": 5, "group_ids": []int64{99999}}, 404, "not_found"},
		{map[string]any{"media_id": ok, "minutes": 5, "display_ids": []int64{99999}}, 404, "not_found"},
		{map[string]any{"media_id": ok, "minutes": 5, "display_ids": []int64{0}}, 400, "bad_request"},
		// An empty selection is not "every display": that must be said.
		{map[string]any{"media_id": ok, "minutes": 5, "group_ids": []int64{}, "display_ids": []int64{}}, 400, "no_target"},
		{map[string]any{"media_id": ok, "minutes": 5, "display_ids": []int64{}}, 400, "no_target"},
		{map[string]any{"media_id": ok, "minutes": 5, "every_display": true, "group_ids": []int64{1}}, 400, "every_or_some"},
	} {
		r := v.do(ap, "POST", "/urgent-notices", tc.body)
		if r.Status != tc.status || r.code() != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.body, r.Status, r.Body, tc.status, tc.code)
		}
	}
	var live list[store.UrgentNotice]
	must(t, v.do(ap, "GET", "/urgent-notices?live=true", nil), 200).json(t, &live)
	if len(live.Items) != 0 {
		t.Fatalf("a refused urgent notice was stored: %+v", live.Items)
	}
	must(t, v.do(ap, "POST", "/urgent-notices/12345/cancel", nil), 404)
}

// TestUrgentNoticeTargets: several groups and several displays, the older
// group_id, and every display; each says how many displays it reaches.
func TestUrgentNoticeTargets(t *testing.T) {
	v := newEnv(t)
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	m := v.media(v.unitA.ID, store.StatusApproved)
	g1, g2 := v.group(), v.group()
	d1, d2, d3, d4 := v.display(), v.display(), v.display(), v.display()
	for d, g := range map[int64]int64{d1: g1, d2: g1, d3: g2} {
		must(t, v.do(v.session(v.user(store.RoleTechnician, v.unitA.ID)), "PATCH", fmt.Sprintf("/displays/%d", d), map[string]any{"group_id": g}), 200)
	}
	for _, tc := range []struct {
		name     string
		body     map[string]any
		every    bool
		groups   []int64
		displays []int64
		reach    int
	}{
		{"every display", map[string]any{}, true, []int64{}, []int64{}, 4},
		{"older group_id", map[string]any{"group_id": g1}, false, []int64{g1}, []int64{}, 2},
		{"two groups", map[string]any{"group_ids": []int64{g2, g1, g1}}, false, []int64{g1, g2}, []int64{}, 3},
		{"a group and a display", map[string]any{"group_ids": []int64{g2}, "display_ids": []int64{d4}}, false, []int64{g2}, []int64{d4}, 2},
		{"a display of a group named twice", map[string]any{"group_ids": []int64{g1}, "display_ids": []int64{d1}}, false, []int64{g1}, []int64{d1}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"media_id": m, "minutes": 10}
			for k, x := range tc.body {
				body[k] = x
			}
			var n store.UrgentNotice
			must(t, v.do(ap, "POST", "/urgent-notices", body), 201).json(t, &n)
			if n.EveryDisplay != tc.every || fmt.Sprint(n.GroupIDs) != fmt.Sprint(tc.groups) || fmt.Sprint(n.DisplayIDs) != fmt.Sprint(tc.displays) || n.Displays != tc.reach {
				t.Fatalf("got every %v groups %v displays %v reach %d, want %v %v %v %d", n.EveryDisplay, n.GroupIDs, n.DisplayIDs, n.Displays,
					tc.every, tc.groups, tc.displays, tc.reach)
			}
			if one := len(tc.groups) == 1 && len(tc.displays) == 0; one != (n.GroupID != nil) {
				t.Fatalf("group_id %v for groups %v displays %v", n.GroupID, tc.groups, tc.displays)
			}
			must(t, v.do(ap, "POST", fmt.Sprintf("/urgent-notices/%d/cancel", n.ID), nil), 200)
		})
	}
}

// TestUrgentTextNotice: a notice typed on the spot becomes an approved media
// of the sender's unit, drawn for the display's panel before the answer,
// out of the content list, audited with its text, and ends at ends_at.
func TestUrgentTextNotice(t *testing.T) {
	v := newEnv(t)
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	d := v.display()
	ends := v.clock().Add(90 * time.Minute)
	var n store.UrgentNotice
	must(t, v.do(ap, "POST", "/urgent-notices", map[string]any{
		"text": "Mất điện khu vực phường từ 14:00 đến 16:00", "title": "Thông báo khẩn",
		"style": map[string]any{"background": "#aa0000"}, "display_ids": []int64{d}, "ends_at": ends,
	}), 201).json(t, &n)
	if n.Text != "Mất điện khu vực phường từ 14:00 đến 16:00" || n.Title != "Thông báo khẩn" || fmt.Sprint(n.DisplayIDs) != fmt.Sprint([]int64{d}) || !n.EndsAt.Equal(ends) {
		t.Fatalf("notice %+v", n)
	}
	m, err := v.st.Media(context.Background(), n.MediaID)
	if err != nil {
		t.Fatal(err)
	}
	if m.MadeFor != "urgent" || m.UnitID != v.unitA.ID || m.Approved == nil || m.Approved.Notice == nil || m.Approved.Notice.Background != "#aa0000" {
		t.Fatalf("media %+v", m)
	}
	if _, err := v.st.RenditionFor(context.Background(), m.Approved.ID, 64, 32, "contain"); err != nil {
		t.Fatalf("no rendition for the display's 64×32 panel at once: %v", err)
	}
	var page struct {
		Items []store.Media `json:"items"`
	}
	must(t, v.do(ap, "GET", "/media", nil), 200).json(t, &page)
	for _, x := range page.Items {
		if x.ID == n.MediaID {
			t.Fatalf("the urgent notice's media is in the content list")
		}
	}
	evs, err := v.st.ListAudit(context.Background(), store.AuditFilter{Action: "urgent.create", ObjectID: n.ID})
	if err != nil || len(evs) != 1 || evs[0].Detail["text"] != n.Text {
		t.Fatalf("audit %+v %v", evs, err)
	}
	for _, tc := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"text": "x", "media_id": n.MediaID, "minutes": 5}, 400, "media_or_text"},
		{map[string]any{"text": "x", "minutes": 5, "ends_at": ends}, 400, "minutes_or_ends_at"},
		{map[string]any{"text": "x", "ends_at": v.clock().Add(-time.Minute)}, 400, "ends_at_range"},
		{map[string]any{"text": "x", "ends_at": v.clock().Add(8 * 24 * time.Hour)}, 400, "ends_at_range"},
		{map[string]any{"text": "x", "minutes": 5, "style": map[string]any{"color": "red"}}, 400, ""},
		{map[string]any{"text": strings.Repeat("a", MaxTextBody+1), "minutes": 5}, 400, "too_long"},
	} {
		r := v.do(ap, "POST", "/urgent-notices", tc.body)
		if r.Status != tc.status || (tc.code != "" && r.code() != tc.code) {
			t.Errorf("%v: %d %s, want %d %s", tc.body, r.Status, r.Body, tc.status, tc.code)
		}
	}
	var live list[store.UrgentNotice]
	must(t, v.do(ap, "GET", "/urgent-notices?live=true", nil), 200).json(t, &live)
	if len(live.Items) != 1 {
		t.Fatalf("refused notices were stored: %+v", live.Items)
	}
	v.advance(91 * time.Minute)
	must(t, v.do(ap, "GET", "/urgent-notices?live=true", nil), 200).json(t, &live)
	if len(live.Items) != 0 {
		t.Fatalf("still live after ends_at: %+v", live.Items)
	}
}
