package api

import (
	"fmt"
	"testing"

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
