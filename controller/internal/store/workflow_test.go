package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustUnit(t *testing.T, s *Store, name string) Unit {
	t.Helper()
	u, err := s.CreateUnit(context.Background(), System, Unit{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestApprovedRevisionKeepsPlayingWhileEditIsPending(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	unit := mustUnit(t, s, "Trường THCS")
	ed := Actor{Name: "editor"}
	ap := Actor{Name: "approver"}

	m, err := s.CreateMedia(ctx, ed, NewMedia{UnitID: unit.ID, Title: "Chuyển đổi số", Kind: KindText, Body: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveMedia(ctx, ap, m.ID); !errors.Is(err, ErrState) {
		t.Fatalf("approving a draft: %v, want ErrState", err)
	}
	mustDo(t)(s.SubmitMedia(ctx, ed, m.ID))
	mustDo(t)(s.ApproveMedia(ctx, ap, m.ID))

	p, err := s.CreatePlaylist(ctx, ed, NewPlaylist{UnitID: unit.ID, Name: "Vòng phát", Items: []PlaylistItem{{MediaID: m.ID, DurationMS: 10000}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGroup(ctx, System, "Trường học")
	if err != nil {
		t.Fatal(err)
	}
	x := Schedule{PlaylistID: p.ID, GroupID: &g.ID, StartsOn: "2026-01-01", EndsOn: "2026-12-31", Weekdays: 127, StartTime: "06:00", EndTime: "22:00"}
	if _, err := s.CreateSchedule(ctx, ap, x); !errors.Is(err, ErrState) {
		t.Fatalf("scheduling a draft playlist: %v, want ErrState", err)
	}
	mustDo(t)(s.SubmitPlaylist(ctx, ed, p.ID))
	mustDo(t)(s.RejectPlaylist(ctx, ap, p.ID, "thiếu nguồn"))
	if _, err := s.CreateSchedule(ctx, ap, x); !errors.Is(err, ErrState) {
		t.Fatalf("scheduling a rejected playlist: %v, want ErrState", err)
	}
	got, _ := s.Playlist(ctx, p.ID)
	if got.Status != StatusRejected || got.Current.RejectReason != "thiếu nguồn" {
		t.Fatalf("after reject: %+v", got.Current)
	}
	mustDo(t)(s.SubmitPlaylist(ctx, ed, p.ID))
	mustDo(t)(s.ApprovePlaylist(ctx, ap, p.ID))
	if _, err := s.CreateSchedule(ctx, ap, x); err != nil {
		t.Fatal(err)
	}

	// The editor changes the approved text: a new pending revision.
	body := "v2"
	m2, err := s.EditMedia(ctx, ed, m.ID, MediaEdit{Body: &body})
	if err != nil {
		t.Fatal(err)
	}
	if m2.Status != StatusPending || m2.Current.Number != 2 || m2.Approved == nil || m2.Approved.Body != "v1" {
		t.Fatalf("after edit: status %s current %d approved %+v", m2.Status, m2.Current.Number, m2.Approved)
	}
	name := "Vòng phát mới"
	p2, err := s.EditPlaylist(ctx, ed, p.ID, PlaylistEdit{Name: &name, Items: &[]PlaylistItem{{MediaID: m.ID, DurationMS: 5000}}})
	if err != nil {
		t.Fatal(err)
	}
	if p2.Status != StatusPending || p2.Approved == nil || p2.Approved.Items[0].DurationMS != 10000 {
		t.Fatalf("after playlist edit: %+v", p2)
	}
	play, err := s.Playable(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(play) != 1 || play[0].Body != "v1" || play[0].DurationMS != 10000 {
		t.Fatalf("playing while edits are pending: %+v, want v1 for 10 s", play)
	}
	// Rejecting the edit keeps v1; approving it replaces it.
	mustDo(t)(s.RejectMedia(ctx, ap, m.ID, "sai chính tả"))
	if play, _ := s.Playable(ctx, p.ID); play[0].Body != "v1" {
		t.Fatalf("after rejecting the edit: %+v", play)
	}
	mustDo(t)(s.EditMedia(ctx, ed, m.ID, MediaEdit{Body: &body}))
	mustDo(t)(s.SubmitMedia(ctx, ed, m.ID))
	mustDo(t)(s.ApproveMedia(ctx, ap, m.ID))
	mustDo(t)(s.ApprovePlaylist(ctx, ap, p.ID))
	if play, _ := s.Playable(ctx, p.ID); play[0].Body != "v2" || play[0].DurationMS != 5000 {
		t.Fatalf("after approving the edits: %+v", play)
	}
	if err := s.DeleteMedia(ctx, ed, m.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("deleting used media: %v, want ErrConflict", err)
	}
	if err := s.DeletePlaylist(ctx, ed, p.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("deleting a scheduled playlist: %v, want ErrConflict", err)
	}
}

// mustDo fails the test when the call it wraps returns an error.
func mustDo(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditChainDetectsEditedRow(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	for _, n := range []string{"A", "B", "C"} {
		mustUnit(t, s, n)
	}
	n, brk, err := s.VerifyAudit(ctx)
	if err != nil || brk != nil || n != 3 {
		t.Fatalf("clean chain: n=%d break=%v err=%v", n, brk, err)
	}
	// The controller itself cannot change the log.
	if _, err := s.w.Exec(`UPDATE audit_events SET actor_name = 'x' WHERE id = 2`); err == nil {
		t.Fatal("update of an audit event succeeded")
	}
	// Someone with the file drops the trigger and edits event 2.
	dropTrigger(t, s, "audit_events_no_update")
	if _, err := s.w.Exec(`UPDATE audit_events SET detail = '{"name":"Z"}' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	_, brk, err = s.VerifyAudit(ctx)
	if err != nil || brk == nil || brk.ID != 2 {
		t.Fatalf("edited chain: break=%+v err=%v, want event 2", brk, err)
	}
}

func TestAuditChainDetectsDeletedRow(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	for _, n := range []string{"A", "B", "C"} {
		mustUnit(t, s, n)
	}
	dropTrigger(t, s, "audit_events_no_delete")
	if _, err := s.w.Exec(`DELETE FROM audit_events WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	_, brk, err := s.VerifyAudit(ctx)
	if err != nil || brk == nil || brk.ID != 3 {
		t.Fatalf("break=%+v err=%v, want event 3", brk, err)
	}
}

func TestEnrolmentCodeIsOneTimeAndExpires(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	d, err := s.CreateDisplay(ctx, System, Display{Name: "truong-hoc", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnrolmentCode(ctx, System, d.ID, "h1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnrolmentCode(ctx, System, d.ID, "h2", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if id, err := s.RedeemEnrolmentCode(ctx, System, "h1", "secret1"); err != nil || id != d.ID {
		t.Fatalf("redeem = %d, %v", id, err)
	}
	if _, err := s.RedeemEnrolmentCode(ctx, System, "h1", "secret2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second use: %v, want ErrNotFound", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := s.RedeemEnrolmentCode(ctx, System, "h2", "secret3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired: %v, want ErrNotFound", err)
	}
	if got, err := s.DisplayByCredential(ctx, "secret1"); err != nil || got.Enrolment != EnrolmentEnrolled {
		t.Fatalf("credential: %+v, %v", got, err)
	}
	if err := s.RevokeDisplay(ctx, System, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DisplayByCredential(ctx, "secret1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked credential: %v", err)
	}
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	mustUnit(t, s, "Mặt trận Tổ quốc")
	// Kept in memory for the next flush: the copy has it all the same.
	if err := s.SeeAgent(ctx, Agent{Name: "cong-vien", Profile: "e131", PanelWidth: 64, PanelHeight: 32}, time.Now()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "copy")
	if err := os.MkdirAll(out, 0o750); err != nil {
		t.Fatal(err)
	}
	if s.pg {
		if err := s.Backup(ctx, filepath.Join(out, FileName)); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Fatalf("backup of a PostgreSQL store: %v, want a pointer to pg_dump", err)
		}
		return
	}
	if err := s.Backup(ctx, filepath.Join(out, FileName)); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, filepath.Join(out, FileName)); err == nil {
		t.Fatal("backup over an existing file succeeded")
	}
	// The copy's audit log is keyed: without the key (kept apart) it is
	// refused, not given a new key; with it, it opens.
	if c, err := Open(ctx, out); err == nil || !strings.Contains(err.Error(), "key file") {
		if c != nil {
			c.Close()
		}
		t.Fatalf("a keyed backup opened without its key: %v", err)
	}
	c, err := OpenKeyed(ctx, out, filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.UnitByName(ctx, "mặt trận tổ quốc"); err != nil {
		t.Fatalf("unit in the copy: %v", err)
	}
	if _, brk, err := c.VerifyAudit(ctx); brk != nil || err != nil {
		t.Fatalf("audit in the copy: %v %v", brk, err)
	}
	if as, err := c.Agents(ctx); err != nil || len(as) != 1 || as[0].Name != "cong-vien" {
		t.Fatalf("agents in the copy: %+v, %v; want the one seen before the backup", as, err)
	}
}

func TestNewUploadOfApprovedImageIsAPendingRevision(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	unit := mustUnit(t, s, "Khối phố 1")
	m, err := s.CreateMedia(ctx, System, NewMedia{UnitID: unit.ID, Title: "Áp phích", Kind: KindImage, SHA256: "aa", MIME: "image/png", Bytes: 10, Width: 64, Height: 32,
		OriginalName: "a.png", Processing: ProcessingProcessing, ProcessingProgress: 10})
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t)(s.SubmitMedia(ctx, System, m.ID))
	if _, err := s.ApproveMedia(ctx, System, m.ID); !errors.Is(err, ErrState) {
		t.Fatalf("approving media still processing: %v", err)
	}
	if err := s.SetMediaProcessing(ctx, m.ID, ProcessingReady, 100); err != nil {
		t.Fatal(err)
	}
	mustDo(t)(s.ApproveMedia(ctx, System, m.ID))
	got, err := s.EditMedia(ctx, System, m.ID, MediaEdit{File: &MediaFile{Kind: KindImage, SHA256: "bb", MIME: "image/png", Bytes: 20, Width: 64, Height: 32, OriginalName: "b.png"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusPending || got.Current.SHA256 != "bb" || got.Approved.SHA256 != "aa" || got.Current.Number != 2 {
		t.Fatalf("after a new upload: current %+v approved %+v", got.Current, got.Approved)
	}
	body := "x"
	if _, err := s.EditMedia(ctx, System, m.ID, MediaEdit{Body: &body}); !errors.Is(err, ErrState) {
		t.Fatalf("a body on an image: %v", err)
	}
}
