package store

import (
	"context"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/storetest"
)

// Hellos, departures and acks taken while another connection holds
// SQLite's write lock are read at once; a flush that fails then loses
// none of them, and keeps their order with the ones that come after it:
// each older revision is replaced when the display acknowledged the first
// newer one, as if each ack had been stored when it came.
func TestFactsKeptInMemorySurviveAFailedFlush(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	now := t0
	s.SetNow(func() time.Time { return now })
	d, err := s.CreateDisplay(ctx, System, Display{Name: "x", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // revisions 1, 2, 3
		if _, _, err := s.SavePlan(ctx, d.ID, string(rune('a'+i)), func(int64) ([]byte, error) { return []byte(`{}`), nil }); err != nil {
			t.Fatal(err)
		}
	}
	_, release := storetest.LockWriter(t, where(s, dir))

	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	if err := s.SeeAgent(ctx, Agent{Name: "x", DisplayID: d.ID, Profile: "virtual"}, t0); err != nil {
		t.Fatal(err)
	}
	now = t1
	if err := s.SetPlanAcked(ctx, d.ID, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.FlushBehind(ctx); err == nil { // waits the writer's busy timeout, then fails
		t.Fatal("a flush with the write lock held by another connection succeeded")
	}
	now = t2
	if err := s.SetPlanAcked(ctx, d.ID, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.AgentLeft(ctx, "x", t2); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if p, err := s.DisplayPlan(ctx, d.ID); err != nil || p.AckedRevision != 3 {
			t.Fatalf("%s: acked revision %d (%v), want 3", when, p.AckedRevision, err)
		}
		for rev, want := range map[int64]*time.Time{1: &t1, 2: &t2, 3: nil} {
			p, err := s.PlanRevision(ctx, d.ID, rev)
			if err != nil {
				t.Fatal(err)
			}
			if (p.ReplacedAt == nil) != (want == nil) || want != nil && !p.ReplacedAt.Equal(*want) {
				t.Fatalf("%s: revision %d replaced at %v, want %v", when, rev, p.ReplacedAt, want)
			}
		}
		act, err := s.DisplayActivities(ctx, d.ID)
		if err != nil || act[d.ID].LastSeen == nil || !act[d.ID].LastSeen.Equal(t2) {
			t.Fatalf("%s: last seen %v (%v), want %v", when, act[d.ID].LastSeen, err, t2)
		}
		as, err := s.Agents(ctx)
		if err != nil || len(as) != 1 || !as[0].FirstSeen.Equal(t0) || !as[0].LastSeen.Equal(t2) {
			t.Fatalf("%s: agents %+v (%v)", when, as, err)
		}
	}
	check("with the writer busy")
	release()
	if err := s.FlushBehind(ctx); err != nil {
		t.Fatal(err)
	}
	check("stored")
	var pending int
	s.wb.mu.Lock()
	pending = s.wb.pending.size() + s.wb.inflight.size()
	s.wb.mu.Unlock()
	if pending != 0 {
		t.Fatalf("%d facts still pending after a flush", pending)
	}
}

// Without a call to flush, what is kept in memory is stored within
// BehindDelay or so.
func TestFactsAreFlushedByThemselves(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if err := s.SeeAgent(ctx, Agent{Name: "y", Profile: "virtual"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The flush runs on a timer of the store's own: poll what is stored
	// (read past the overlay), bounded.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM agents WHERE name = 'y'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a hello not stored 10 s after it came")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Screenshots (one a minute from every agent) take no write transaction
// each: taken while another connection holds the write lock, the latest of
// each display is read at once (Status, DisplayActivities), and one flush
// stores all of them.
func TestScreenshotsTakeNoWriteLockAndAreStoredInOneFlush(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	var ids []int64
	for _, name := range []string{"a", "b", "c"} {
		d, err := s.CreateDisplay(ctx, System, Display{Name: name, Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	_, release := storetest.LockWriter(t, where(s, dir))
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for i, id := range ids {
		for k := 0; k < 2; k++ { // the second of each display is its latest
			at := t0.Add(time.Duration(10*i+k) * time.Second)
			if err := s.SaveScreenshot(ctx, id, []byte{byte(id), byte(k)}, at); err != nil {
				t.Fatalf("screenshot with the write lock held: %v", err)
			}
		}
	}
	check := func(when string) {
		t.Helper()
		acts, err := s.DisplayActivities(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			st, err := s.Status(ctx, id)
			want := t0.Add(time.Duration(10*i+1) * time.Second)
			if err != nil || string(st.Screenshot) != string([]byte{byte(id), 1}) || st.ScreenshotAt == nil || !st.ScreenshotAt.Equal(want) {
				t.Fatalf("%s: display %d status %v at %v, %v; want its latest screenshot", when, id, st.Screenshot, st.ScreenshotAt, err)
			}
			if a := acts[id]; a.ScreenshotAt == nil || !a.ScreenshotAt.Equal(want) {
				t.Fatalf("%s: display %d activity screenshot at %v, want %v", when, id, a.ScreenshotAt, want)
			}
		}
	}
	check("held in memory")
	release()
	before := s.commits.Load()
	if err := s.FlushBehind(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.commits.Load() - before; n != 1 {
		t.Fatalf("six screenshots of three displays stored in %d transactions, want 1", n)
	}
	check("stored")
}
