package link

import (
	"testing"
	"time"
)

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	min, max := 500*time.Millisecond, 30*time.Second
	for _, tc := range []struct {
		attempt  int
		rnd      float64
		want     time.Duration
		describe string
	}{
		{1, 0, 250 * time.Millisecond, "first retry, no jitter: half of min"},
		{1, 1, 500 * time.Millisecond, "first retry, full jitter: min"},
		{2, 0, 500 * time.Millisecond, "doubles"},
		{4, 1, 4 * time.Second, "min·2³"},
		{7, 1, 30 * time.Second, "capped: 500ms·2⁶ = 32s > 30s"},
		{1000, 0.5, 22500 * time.Millisecond, "stays capped, never overflows"},
	} {
		got := Backoff(tc.attempt, min, max, func() float64 { return tc.rnd })
		if got != tc.want {
			t.Errorf("%s: Backoff(%d, rnd=%v) = %v, want %v", tc.describe, tc.attempt, tc.rnd, got, tc.want)
		}
	}
}
