package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

// TestApprovedRevisionKeepsPlayingWhileTheEditIsPending goes through the
// approval workflow over HTTP as the editor and the approver would.
func TestApprovedRevisionKeepsPlayingWhileTheEditIsPending(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitB.ID))
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))

	var m store.Media
	must(t, v.do(ed, "POST", "/media", map[string]any{"title": "Thanh toán số", "kind": "text", "body": "Phiên bản 1"}), 201).json(t, &m)
	if m.Status != store.StatusDraft || m.UnitID != v.unitB.ID {
		t.Fatalf("created media: %+v", m)
	}
	mp := fmt.Sprintf("/media/%d", m.ID)
	must(t, v.do(ed, "POST", mp+"/submit", nil), 200)
	must(t, v.do(ed, "POST", mp+"/approve", nil), 403) // editors do not approve
	must(t, v.do(ap, "POST", mp+"/reject", map[string]any{"reason": "Thiếu nguồn trích dẫn"}), 200)
	must(t, v.do(ed, "GET", mp, nil), 200).json(t, &m)
	if m.Status != store.StatusRejected || m.Current.RejectReason != "Thiếu nguồn trích dẫn" {
		t.Fatalf("the editor should see the reason: %+v", m.Current)
	}
	must(t, v.do(ed, "PATCH", mp, map[string]any{"body": "Phiên bản 1, có nguồn"}), 200).json(t, &m)
	if m.Status != store.StatusDraft || m.Current.Number != 1 {
		t.Fatalf("editing a rejected media: %+v", m.Current)
	}
	must(t, v.do(ed, "POST", mp+"/submit", nil), 200)
	must(t, v.do(ap, "POST", mp+"/approve", nil), 200)

	var p store.Playlist
	must(t, v.do(ed, "POST", "/playlists", map[string]any{"name": "Khối phố – tháng 12", "items": []any{map[string]any{"media_id": m.ID, "duration_ms": 10000}}}), 201).json(t, &p)
	pp := fmt.Sprintf("/playlists/%d", p.ID)
	var g store.Group
	must(t, v.do(tech, "POST", "/groups", map[string]any{"name": "Trung tâm phường"}), 201).json(t, &g)
	r := v.do(ap, "POST", "/schedules", scheduleBody(p.ID, g.ID))
	if r.Status != 409 || r.code() != "playlist_not_approved" {
		t.Fatalf("scheduling a draft playlist: %d %s", r.Status, r.Body)
	}
	must(t, v.do(ed, "POST", pp+"/submit", nil), 200)
	must(t, v.do(ap, "POST", pp+"/approve", nil), 200)
	must(t, v.do(ed, "POST", "/schedules", scheduleBody(p.ID, g.ID)), 403) // approvers schedule
	must(t, v.do(ap, "POST", "/schedules", scheduleBody(p.ID, g.ID)), 201)

	// The editor fixes the approved text: a new pending revision 2, while
	// revision 1 stays approved and is what plays.
	must(t, v.do(ed, "PATCH", mp, map[string]any{"body": "Phiên bản 2"}), 200).json(t, &m)
	if m.Status != store.StatusPending || m.Current.Number != 2 || m.Approved == nil || m.Approved.Body != "Phiên bản 1, có nguồn" {
		t.Fatalf("after editing approved media: status %s, current %+v, approved %+v", m.Status, m.Current, m.Approved)
	}
	playing := func() string {
		t.Helper()
		items, err := v.st.Playable(context.Background(), p.ID)
		if err != nil || len(items) != 1 {
			t.Fatalf("playable: %+v, %v", items, err)
		}
		return items[0].Body
	}
	if got := playing(); got != "Phiên bản 1, có nguồn" {
		t.Fatalf("while the edit is pending, screens play %q", got)
	}
	var pending page[store.Media]
	must(t, v.do(ap, "GET", "/media?status=pending", nil), 200).json(t, &pending)
	if pending.Total != 1 || pending.Items[0].ID != m.ID {
		t.Fatalf("the approver's pending list: %+v", pending)
	}
	must(t, v.do(ap, "POST", mp+"/approve", nil), 200)
	if got := playing(); got != "Phiên bản 2" {
		t.Fatalf("after approval, screens play %q", got)
	}

	// The whole story is in the audit log, in order.
	var events list[store.AuditEvent]
	must(t, v.do(ap, "GET", fmt.Sprintf("/audit?object_type=media&object_id=%d", m.ID), nil), 200).json(t, &events)
	var actions []string
	for i := len(events.Items) - 1; i >= 0; i-- {
		actions = append(actions, events.Items[i].Action)
	}
	want := []string{"media.create", "media.submit", "media.reject", "media.update", "media.submit", "media.approve", "media.update", "media.approve"}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Fatalf("audit of media %d: %v, want %v", m.ID, actions, want)
	}
}

// TestWithdrawTakesPendingBackToDraft: an editor takes back what they
// submitted, to change it before anyone decides; only pending media can
// be withdrawn, and an approved revision keeps playing meanwhile.
func TestWithdrawTakesPendingBackToDraft(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	other := v.session(v.user(store.RoleEditor, v.unitB.ID))
	for _, tc := range []struct {
		from   string
		status int
		want   string
	}{
		{store.StatusPending, 200, store.StatusDraft},
		{store.StatusDraft, 409, store.StatusDraft},
		{store.StatusRejected, 409, store.StatusRejected},
		{store.StatusApproved, 409, store.StatusApproved},
	} {
		t.Run(tc.from, func(t *testing.T) {
			id := v.media(v.unitA.ID, tc.from)
			mp := fmt.Sprintf("/media/%d", id)
			must(t, v.do(other, "POST", mp+"/withdraw", nil), 404) // another unit's
			before := v.auditCount()
			must(t, v.do(ed, "POST", mp+"/withdraw", nil), tc.status)
			var m store.Media
			must(t, v.do(ed, "GET", mp, nil), 200).json(t, &m)
			if m.Status != tc.want {
				t.Fatalf("after withdraw from %s: %s, want %s", tc.from, m.Status, tc.want)
			}
			if grew := v.auditCount() - before; (tc.status == 200) != (grew == 1) {
				t.Fatalf("withdraw from %s: %d audit events", tc.from, grew)
			}
		})
	}

	// An approved media edited: the pending revision 2 is withdrawn to a
	// draft while revision 1 stays approved.
	id := v.media(v.unitA.ID, store.StatusApproved)
	mp := fmt.Sprintf("/media/%d", id)
	var m store.Media
	must(t, v.do(ed, "PATCH", mp, map[string]any{"body": "Bản sửa"}), 200).json(t, &m)
	must(t, v.do(ed, "POST", mp+"/withdraw", nil), 200).json(t, &m)
	if m.Status != store.StatusDraft || m.Current.Number != 2 || m.Approved == nil || m.Approved.Number != 1 {
		t.Fatalf("withdrawn edit: status %s current %d approved %+v", m.Status, m.Current.Number, m.Approved)
	}
	var events list[store.AuditEvent]
	must(t, v.do(v.session(v.user(store.RoleApprover, v.unitA.ID)), "GET", fmt.Sprintf("/audit?object_type=media&object_id=%d&limit=1", id), nil), 200).json(t, &events)
	if len(events.Items) != 1 || events.Items[0].Action != "media.withdraw" {
		t.Fatalf("audit: %+v", events.Items)
	}
}
