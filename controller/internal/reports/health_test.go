package reports

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/storetest"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Health reports every 10 s keep one sample per 30 s in the history, and
// samples past the retention are pruned.
func TestHealthIsSampledForTheHistory(t *testing.T) {
	s, st, _ := setup(t)
	ctx := context.Background()
	ids, err := st.DisplayIDs(ctx)
	if err != nil || len(ids) == 0 {
		t.Fatalf("demo displays: %v %v", ids, err)
	}
	id := ids[0]
	start := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	now := start
	s.opt.Now = func() time.Time { return now }
	for i := 0; i < 3*60*6; i++ { // 3 h of reports every 10 s
		now = start.Add(time.Duration(i) * 10 * time.Second)
		if err := s.Health(ctx, id, protocol.Health{AchievedFPS: 25, At: now}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 { // flushed every 30 s
			if err := s.FlushHealth(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.FlushHealth(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := st.HealthSamples(ctx, id, start, now.Add(time.Second), 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3*60*2 {
		t.Fatalf("%d samples for 3 h, want %d (one per 30 s)", len(got), 3*60*2)
	}
	now = start.Add(HealthKeep + 2*time.Hour) // past the retention of the first 2 h, and an hour since the last prune
	if err := s.Health(ctx, id, protocol.Health{At: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.FlushHealth(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = st.HealthSamples(ctx, id, start, now.Add(time.Second), 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60*2+1 || got[0].At.Before(now.Add(-HealthKeep)) {
		t.Fatalf("after pruning: %d samples from %v, want the last hour's 120 and the new one", len(got), got[0].At)
	}
}

// Health reports take no writer: with another process holding SQLite's
// write lock, agents' reports are still taken; the next flush stores each
// display's latest in one transaction, and an agent's leaving has its own
// stored by the flush of departures (store.BehindDelay later).
func TestHealthReportsAreKeptInMemoryAndStoredInOneFlush(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 20)
	ids, _ := f.st.DisplayIDs(ctx)
	_, release := storetest.LockWriter(t, filepath.Join(f.dir, store.FileName))
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second) // bounds a wait on the writer; not a speed test
	defer cancel()
	for round := 1; round <= 3; round++ {
		for _, id := range ids {
			if err := f.sink.Health(wctx, id, protocol.Health{AchievedFPS: float64(round), At: time.Now()}); err != nil {
				t.Fatalf("report of display %d with the writer busy: %v", id, err)
			}
		}
	}
	release()
	if err := f.sink.FlushHealth(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		st, err := f.st.Status(ctx, id)
		var h protocol.Health
		if err != nil || json.Unmarshal(st.Health, &h) != nil || h.AchievedFPS != 3 {
			t.Fatalf("display %d stored %s (%v), want its latest report", id, st.Health, err)
		}
	}
	if err := f.sink.Health(ctx, ids[0], protocol.Health{AchievedFPS: 4, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f.sink.AgentLeft(ctx, ids[0])
	if err := f.sink.FlushDeparted(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := f.st.Status(ctx, ids[0])
	var h protocol.Health
	if json.Unmarshal(st.Health, &h) != nil || h.AchievedFPS != 4 {
		t.Fatalf("after the agent left, stored %s, want its last report", st.Health)
	}
}

// Agents leaving all at once (a network cut) take no writer each: with
// another connection holding SQLite's write lock, every departure returns
// at once, and one transaction then stores every departed display's last
// report and samples.
func TestDeparturesTakeNoWriteLock(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 50)
	ids, _ := f.st.DisplayIDs(ctx)
	for _, id := range ids {
		if err := f.sink.Health(ctx, id, protocol.Health{AchievedFPS: 7, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	_, release := storetest.LockWriter(t, filepath.Join(f.dir, store.FileName))
	for _, id := range ids {
		f.sink.AgentLeft(ctx, id) // the old code waited out the busy timeout here, and lost the report
	}
	release()
	before := f.st.Commits()
	if err := f.sink.FlushDeparted(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.st.Commits() - before; n != 1 {
		t.Fatalf("%v transactions stored %d departures, want 1", n, len(ids))
	}
	for _, id := range ids {
		st, err := f.st.Status(ctx, id)
		var h protocol.Health
		if err != nil || json.Unmarshal(st.Health, &h) != nil || h.AchievedFPS != 7 {
			t.Fatalf("display %d stored %s (%v), want its last report", id, st.Health, err)
		}
		got, err := f.st.HealthSamples(ctx, id, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("display %d: %d samples (%v), want its one", id, len(got), err)
		}
	}
}

// What the agents reported last is kept across a restart: when Run ends,
// the reports kept in memory are stored.
func TestRunStoresTheHealthKeptWhenItEnds(t *testing.T) {
	f := newFleet(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); f.sink.Run(ctx) }()
	ids, err := f.st.DisplayIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := f.sink.Health(ctx, id, protocol.Health{AchievedFPS: 9, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	<-ran
	for _, id := range ids {
		st, err := f.st.Status(context.Background(), id)
		var h protocol.Health
		if err != nil || json.Unmarshal(st.Health, &h) != nil || h.AchievedFPS != 9 {
			t.Fatalf("display %d stored %s (%v) when Run ended, want its last report", id, st.Health, err)
		}
	}
}
