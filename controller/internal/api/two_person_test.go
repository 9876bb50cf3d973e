package api

import (
	"fmt"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

// mustCode fails unless r has status want and error code code.
func mustCode(t *testing.T, r resp, want int, code string) {
	t.Helper()
	if r.Status != want || r.code() != code {
		t.Fatalf("status %d %q, want %d %q: %s", r.Status, r.code(), want, code, r.Body)
	}
}

// TestNobodyApprovesTheirOwnWork: under the two-person rule (on by
// default) whoever created, edited or submitted a revision of a media or a
// rotation cannot approve it; another approver can (issue 12.6).
func TestNobodyApprovesTheirOwnWork(t *testing.T) {
	v := newEnv(t)
	a := v.session(v.user(store.RoleApprover, v.unitA.ID))
	b := v.session(v.user(store.RoleApprover, v.unitA.ID))
	admin := v.session(v.user(store.RoleAdmin, v.unitA.ID))
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	var set store.Settings
	must(t, v.do(ed, "GET", "/settings", nil), 200).json(t, &set)
	if !set.TwoPersonRule {
		t.Fatal("the two-person rule is off by default")
	}

	newText := func(c cred) int64 {
		var m store.Media
		must(t, v.do(c, "POST", "/media", map[string]any{"title": v.uniq("Thông báo"), "kind": "text", "body": "Nội dung"}), 201).json(t, &m)
		return m.ID
	}
	path := func(kind string, id int64, act string) string { return fmt.Sprintf("/%s/%d/%s", kind, id, act) }

	// Created and submitted by A: A may not approve it, B may.
	own := newText(a)
	must(t, v.do(a, "POST", path("media", own, "submit"), nil), 200)
	mustCode(t, v.do(a, "POST", path("media", own, "approve"), nil), 409, "own_work")
	must(t, v.do(b, "POST", path("media", own, "approve"), nil), 200)

	// Created by the editor, edited by A, submitted by the editor: A had
	// a hand in it.
	edited := newText(ed)
	must(t, v.do(a, "PATCH", fmt.Sprintf("/media/%d", edited), map[string]any{"body": "Sửa bởi A"}), 200)
	must(t, v.do(ed, "POST", path("media", edited, "submit"), nil), 200)
	mustCode(t, v.do(a, "POST", path("media", edited, "approve"), nil), 409, "own_work")

	// Created by the editor, submitted by A.
	submitted := newText(ed)
	must(t, v.do(a, "POST", path("media", submitted, "submit"), nil), 200)
	mustCode(t, v.do(a, "POST", path("media", submitted, "approve"), nil), 409, "own_work")
	must(t, v.do(b, "POST", path("media", submitted, "approve"), nil), 200)

	// An approved media edited by A becomes a new pending revision of A's.
	must(t, v.do(a, "PATCH", fmt.Sprintf("/media/%d", submitted), map[string]any{"title": "Bản mới của A"}), 200)
	must(t, v.do(a, "POST", path("media", submitted, "submit"), nil), 409) // already pending
	mustCode(t, v.do(a, "POST", path("media", submitted, "approve"), nil), 409, "own_work")

	// A rotation made and submitted by A, of media B approved.
	var pl store.Playlist
	must(t, v.do(a, "POST", "/playlists", map[string]any{"name": v.uniq("Vòng phát"), "items": []map[string]any{{"media_id": own, "duration_ms": 10000}}}), 201).json(t, &pl)
	must(t, v.do(a, "POST", path("playlists", pl.ID, "submit"), nil), 200)
	mustCode(t, v.do(a, "POST", path("playlists", pl.ID, "approve"), nil), 409, "own_work")
	must(t, v.do(admin, "POST", path("playlists", pl.ID, "approve"), nil), 200)

	// The admin turns the rule off (audited): then one may approve alone.
	before := v.auditCount()
	must(t, v.do(admin, "PATCH", "/settings", map[string]any{"two_person_rule": false}), 200).json(t, &set)
	if set.TwoPersonRule {
		t.Fatal("the rule is still on")
	}
	es, err := v.st.ListAudit(t.Context(), store.AuditFilter{Action: "settings.update"})
	if err != nil || len(es) != 1 || es[0].Detail["two_person_rule"] != false || v.auditCount() != before+1 {
		t.Fatalf("audit of the settings change: %+v, %v", es, err)
	}
	must(t, v.do(a, "POST", path("media", edited, "approve"), nil), 200)
	mustCode(t, v.do(a, "PATCH", "/settings", map[string]any{"two_person_rule": true}), 403, "forbidden")
}

// TestUrgentNoticeOfOwnContentIsRefused: one approver may send an urgent
// notice alone, but not of an approved media they had a hand in, unless
// the site turned the two-person rule off; a text composed on the spot is
// the approver's own urgent act and is allowed.
func TestUrgentNoticeOfOwnContentIsRefused(t *testing.T) {
	v := newEnv(t)
	a := v.session(v.user(store.RoleApprover, v.unitA.ID))
	b := v.session(v.user(store.RoleApprover, v.unitA.ID))
	admin := v.session(v.user(store.RoleAdmin, v.unitA.ID))
	var m store.Media
	must(t, v.do(a, "POST", "/media", map[string]any{"title": "Của A", "kind": "text", "body": "Nội dung của A"}), 201).json(t, &m)
	must(t, v.do(a, "POST", fmt.Sprintf("/media/%d/submit", m.ID), nil), 200)
	must(t, v.do(b, "POST", fmt.Sprintf("/media/%d/approve", m.ID), nil), 200)

	send := map[string]any{"media_id": m.ID, "minutes": 5}
	mustCode(t, v.do(a, "POST", "/urgent-notices", send), 409, "own_work")
	must(t, v.do(b, "POST", "/urgent-notices", send), 201)
	must(t, v.do(a, "POST", "/urgent-notices", map[string]any{"text": "Mất điện từ 14:00", "title": "Khẩn", "minutes": 5}), 201)

	must(t, v.do(admin, "PATCH", "/settings", map[string]any{"two_person_rule": false}), 200)
	must(t, v.do(a, "POST", "/urgent-notices", send), 201)
}
