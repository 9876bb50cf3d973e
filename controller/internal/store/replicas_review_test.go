package store

import (
	"context"
	"testing"
	"time"
)

// Cases of replicas sharing one database found in the review of issue 15
// (run on both engines, as every store test).

// probeDisplay makes a display named name in s.
func probeDisplay(t *testing.T, s *Store, name string) Display {
	t.Helper()
	d, err := s.CreateDisplay(context.Background(), System, Display{Name: name, Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFlushSurvivesDisplayDeletedElsewhere: a display deleted through
// another replica (so this store's forgetDisplay never ran) while this
// replica holds a hello and a screenshot of it in memory: the flush stores
// the rest. (It used to let the foreign key refuse the row and go on in
// the same transaction, which PostgreSQL had aborted: every later flush
// failed until a restart.)
func TestFlushSurvivesDisplayDeletedElsewhere(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	other, err := reopen(ctx, s, dir) // another replica on the same database
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	gone := probeDisplay(t, s, "xoa-o-noi-khac")
	kept := probeDisplay(t, s, "con-lai")
	if err := s.FlushBehind(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteDisplay(ctx, System, gone.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	s.SeeAgent(ctx, Agent{Name: "agent-gone", DisplayID: gone.ID, AgentVersion: "1", Profile: "virtual", PanelWidth: 64, PanelHeight: 32, RemoteAddr: "10.0.0.1"}, now)
	s.SeeAgent(ctx, Agent{Name: "agent-kept", DisplayID: kept.ID, AgentVersion: "1", Profile: "virtual", PanelWidth: 64, PanelHeight: 32, RemoteAddr: "10.0.0.2"}, now)
	if err := s.FlushBehind(ctx); err != nil {
		t.Fatalf("flush with a hello of a display deleted on another replica: %v", err)
	}
	s.SaveScreenshot(ctx, gone.ID, []byte("png"), now)
	s.SaveScreenshot(ctx, kept.ID, []byte("png"), now)
	if err := s.FlushBehind(ctx); err != nil {
		t.Fatalf("flush with a screenshot of a display deleted on another replica: %v", err)
	}
	st, err := s.Status(ctx, kept.ID)
	if err != nil || st.Screenshot == nil {
		t.Fatalf("the other display's screenshot: %v %v", st.Screenshot, err)
	}
}

// TestSaveHealthsSurvivesDisplayDeleted: SaveHealths skips a display
// deleted meanwhile and stores every other display's health. (It used to
// go on after the foreign key's refusal, which on PostgreSQL aborted the
// transaction and lost the whole batch.)
func TestSaveHealthsSurvivesDisplayDeleted(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	gone := probeDisplay(t, s, "xoa")
	kept := probeDisplay(t, s, "giu")
	if err := s.DeleteDisplay(ctx, System, gone.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err := s.SaveHealths(ctx, []HealthWrite{
		{DisplayID: gone.ID, Health: []byte(`{}`), At: now},
		{DisplayID: kept.ID, Health: []byte(`{}`), At: now},
	}, 10*time.Second)
	if err != nil {
		t.Fatalf("health of a batch with a deleted display: %v", err)
	}
	st, err := s.Status(ctx, kept.ID)
	if err != nil || st.Health == nil {
		t.Fatalf("the other display's health: %s %v", st.Health, err)
	}
}

// TestRevisionProgressSameOnBothEngines: a video's processing
// progress is the mean of its renditions'. CAST(avg(…) AS INTEGER)
// truncates on SQLite and rounds on PostgreSQL: renditions at 99% and 100%
// made the revision "processing, 100%" on PostgreSQL (99% on SQLite).
func TestRevisionProgressSameOnBothEngines(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	u := mustUnit(t, s, "Phường")
	for i, g := range []Geometry{{64, 32, "contain"}, {128, 64, "cover"}} {
		if _, err := s.CreateDisplay(ctx, System, Display{Name: string(rune('a' + i)), Width: g.Width, Height: g.Height, Fit: g.Fit, Profile: "virtual"}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.CreateMedia(ctx, System, NewMedia{UnitID: u.ID, Title: "Phim", Kind: KindVideo, SHA256: "ab", MIME: "video/mp4",
		Processing: ProcessingProcessing})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitMedia(ctx, System, m.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.EnqueueRenditions(ctx); err != nil || n != 2 {
		t.Fatalf("enqueued %d, %v", n, err)
	}
	for _, pct := range []int{99, 100} {
		j, err := s.ClaimRendition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetRenditionProgress(ctx, j.Rendition.ID, pct); err != nil {
			t.Fatal(err)
		}
	}
	m, err = s.Media(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Current.Processing != ProcessingProcessing || m.Current.ProcessingProgress != 99 {
		t.Fatalf("revision %s %d%%, want processing 99%% (the mean 99.5, truncated as on SQLite)", m.Current.Processing, m.Current.ProcessingProgress)
	}
}

// TestOldLeaderCannotRequeueTheNewLeadersClaim: the lead moves while the
// old leader renders R. The new leader's pipeline.Start requeues every
// processing rendition (R among them) and claims R. The old leader then
// notices it lost the lead and stops: putting "its" R back in the queue,
// or settling or failing it, must not touch the new leader's claim, or
// two ffmpegs would make the same rendition (found in review).
func TestOldLeaderCannotRequeueTheNewLeadersClaim(t *testing.T) {
	ctx := context.Background()
	newLeader, dir := openTest(t)
	oldLeader, err := reopen(ctx, newLeader, dir) // another replica on the same database
	if err != nil {
		t.Fatal(err)
	}
	defer oldLeader.Close()
	u := mustUnit(t, newLeader, "Phường")
	if _, err := newLeader.CreateDisplay(ctx, System, Display{Name: "a", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"}); err != nil {
		t.Fatal(err)
	}
	m, err := newLeader.CreateMedia(ctx, System, NewMedia{UnitID: u.ID, Title: "Phim", Kind: KindVideo, SHA256: "ab", MIME: "video/mp4",
		Processing: ProcessingProcessing})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newLeader.SubmitMedia(ctx, System, m.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := newLeader.EnqueueRenditions(ctx); err != nil || n != 1 {
		t.Fatalf("enqueued %d, %v", n, err)
	}
	old, err := oldLeader.ClaimRendition(ctx) // the old leader renders R
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newLeader.RequeueRenditions(ctx); err != nil { // the new leader's pipeline.Start
		t.Fatal(err)
	}
	mine, err := newLeader.ClaimRendition(ctx) // and its worker claims R
	if err != nil || mine.Rendition.ID != old.Rendition.ID {
		t.Fatalf("new leader claimed %+v, %v", mine.Rendition, err)
	}
	id := old.Rendition.ID
	if err := oldLeader.SetRenditionProgress(ctx, id, 90); err != nil {
		t.Fatal(err)
	}
	if err := oldLeader.FailRendition(ctx, id, "killed"); err != nil {
		t.Fatal(err)
	}
	if err := oldLeader.RequeueRendition(ctx, id); err != nil { // the old leader stops
		t.Fatal(err)
	}
	if again, err := newLeader.ClaimRendition(ctx); err == nil {
		t.Fatalf("rendition %d, which the new leader is making, was claimed a second time", again.Rendition.ID)
	}
	r, err := newLeader.Rendition(ctx, id)
	if err != nil || r.Status != "processing" || r.Progress != 0 || r.Error != "" {
		t.Fatalf("the new leader's rendition after the old leader stopped: %+v %v", r, err)
	}
	if err := newLeader.FinishRendition(ctx, id, Rendition{SHA256: "cd", Kind: "video"}); err != nil {
		t.Fatal(err)
	}
	if r, err := newLeader.Rendition(ctx, id); err != nil || r.Status != "ready" {
		t.Fatalf("the new leader finished it: %+v %v", r, err)
	}
}
