package api

import (
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
