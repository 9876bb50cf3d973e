package store

import (
	"context"
	"testing"
	"time"
)

// TestPruneHealthSamplesInChunks: samples older than the limit go, in
// statements of pruneChunk rows, and the newer ones stay.
func TestPruneHealthSamplesInChunks(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	d, err := s.CreateDisplay(ctx, System, Display{Name: "a", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		if _, err := s.AddHealthSample(ctx, d.ID, HealthSample{At: t0.Add(time.Duration(i) * time.Minute), FPS: 25, TargetFPS: 25}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	defer func(n int) { pruneChunk = n }(pruneChunk)
	pruneChunk = 7 // 60 old samples: 8 full chunks and a last one of 4
	n, err := s.PruneHealthSamples(ctx, t0.Add(60*time.Minute))
	if err != nil || n != 60 {
		t.Fatalf("pruned %d (%v), want 60", n, err)
	}
	left, err := s.HealthSamples(ctx, d.ID, t0, t0.Add(2*time.Hour), 1000)
	if err != nil || len(left) != 40 || !left[0].At.Equal(t0.Add(60*time.Minute)) {
		t.Fatalf("left %d samples (%v), the first at %v", len(left), err, left[0].At)
	}
}
