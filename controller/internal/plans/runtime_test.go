package plans

import (
	"context"
	"testing"
	"time"

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
	got, err = st.HealthSamples(ctx, id, start, now.Add(time.Second), 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60*2+1 || got[0].At.Before(now.Add(-HealthKeep)) {
		t.Fatalf("after pruning: %d samples from %v, want the last hour's 120 and the new one", len(got), got[0].At)
	}
}
