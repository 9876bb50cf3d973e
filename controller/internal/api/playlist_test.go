package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

// TestWithdrawPlaylist: a writer takes a pending rotation back to draft to
// change it; only a pending one can be withdrawn, the approved revision
// keeps playing meanwhile, another unit's is not found, and the audit log
// records it.
func TestWithdrawPlaylist(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitB.ID))
	other := v.session(v.user(store.RoleEditor, v.unitA.ID))
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	m1, m2 := v.media(v.unitB.ID, store.StatusApproved), v.media(v.unitB.ID, store.StatusApproved)

	var p store.Playlist
	must(t, v.do(ed, "POST", "/playlists", map[string]any{"name": "Vòng phát khối phố",
		"items": []any{map[string]any{"media_id": m1, "duration_ms": 8000}}}), 201).json(t, &p)
	pp := fmt.Sprintf("/playlists/%d", p.ID)

	for _, tc := range []struct {
		name   string
		before func()
		who    cred
		status int
		code   string
		want   string // status after
	}{
		{"a draft cannot be withdrawn", func() {}, ed, 409, "wrong_state", store.StatusDraft},
		{"another unit's editor does not see it", func() { must(t, v.do(ed, "POST", pp+"/submit", nil), 200) }, other, 404, "not_found", store.StatusPending},
		{"the editor withdraws a pending one", func() {}, ed, 200, "", store.StatusDraft},
		{"an approver may withdraw too", func() { must(t, v.do(ed, "POST", pp+"/submit", nil), 200) }, ap, 200, "", store.StatusDraft},
		{"a rejected one is edited, not withdrawn", func() {
			must(t, v.do(ed, "POST", pp+"/submit", nil), 200)
			must(t, v.do(ap, "POST", pp+"/reject", map[string]any{"reason": "thiếu nguồn"}), 200)
		}, ed, 409, "wrong_state", store.StatusRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.before()
			r := v.do(tc.who, "POST", pp+"/withdraw", nil)
			if r.Status != tc.status || (tc.code != "" && r.code() != tc.code) {
				t.Fatalf("withdraw: %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			var got store.Playlist
			must(t, v.do(ed, "GET", pp, nil), 200).json(t, &got)
			if got.Status != tc.want {
				t.Fatalf("status %s, want %s", got.Status, tc.want)
			}
			if got.Status == store.StatusDraft && (got.Current.DecidedBy != nil || got.Current.DecidedAt != nil) {
				t.Fatalf("a withdrawn revision was decided by nobody: %+v", got.Current)
			}
		})
	}

	// Approve it, then edit: revision 2 is pending; withdrawing it leaves
	// revision 1 approved and playing.
	must(t, v.do(ed, "PATCH", pp, map[string]any{"name": "Vòng phát khối phố (sửa)"}), 200)
	must(t, v.do(ed, "POST", pp+"/submit", nil), 200)
	must(t, v.do(ap, "POST", pp+"/approve", nil), 200)
	must(t, v.do(ed, "PATCH", pp, map[string]any{"items": []any{map[string]any{"media_id": m2, "duration_ms": 5000}}}), 200).json(t, &p)
	if p.Status != store.StatusPending || p.Current.Number != 2 {
		t.Fatalf("editing an approved rotation: %+v", p.Current)
	}
	must(t, v.do(ed, "POST", pp+"/withdraw", nil), 200).json(t, &p)
	if p.Status != store.StatusDraft || p.Current.Number != 2 || p.Approved == nil || p.Approved.Number != 1 {
		t.Fatalf("after withdrawing revision 2: current %+v, approved %+v", p.Current, p.Approved)
	}
	items, err := v.st.Playable(context.Background(), p.ID)
	if err != nil || len(items) != 1 || items[0].MediaID != m1 {
		t.Fatalf("screens should still play revision 1: %+v, %v", items, err)
	}

	var events list[store.AuditEvent]
	must(t, v.do(ap, "GET", fmt.Sprintf("/audit?action=playlist.withdraw&object_type=playlist&object_id=%d", p.ID), nil), 200).json(t, &events)
	if len(events.Items) != 3 {
		t.Fatalf("want 3 playlist.withdraw events, got %+v", events.Items)
	}
}

// TestPlaylistCampaignEdit: the campaign of a rotation can be set and
// cleared; it is not part of a revision, so an approved rotation stays
// approved.
func TestPlaylistCampaignEdit(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitB.ID))
	c := v.campaign(v.unitA.ID)
	id := v.playlist(v.unitB.ID, store.StatusApproved)
	pp := fmt.Sprintf("/playlists/%d", id)
	for _, tc := range []struct {
		name     string
		body     map[string]any
		status   int
		campaign *int64
	}{
		{"set", map[string]any{"campaign_id": c}, 200, &c},
		{"unknown campaign", map[string]any{"campaign_id": c + 1000}, 409, &c},
		{"clear", map[string]any{"campaign_id": 0}, 200, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			must(t, v.do(ed, "PATCH", pp, tc.body), tc.status)
			var p store.Playlist
			must(t, v.do(ed, "GET", pp, nil), 200).json(t, &p)
			if fmt.Sprint(playlistCampaign(p.CampaignID)) != fmt.Sprint(playlistCampaign(tc.campaign)) || p.Status != store.StatusApproved || p.Current.Number != 1 {
				t.Fatalf("campaign %v status %s revision %d, want campaign %v, still approved revision 1",
					playlistCampaign(p.CampaignID), p.Status, p.Current.Number, playlistCampaign(tc.campaign))
			}
		})
	}
}

func playlistCampaign(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
