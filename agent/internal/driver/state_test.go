package driver

import (
	"errors"
	"testing"
	"time"
)

// TestStateFollowsFramesAndKeepsItsCounts: a failed frame takes the state
// down (once: Since is when it changed), a good one up again; the frames
// dropped since the driver opened and a video mode survive both.
func TestStateFollowsFramesAndKeepsItsCounts(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s := State{Up: true, Since: t0, Dropped: 7, Mode: "drm card0 1920x1080"}
	cut := errors.New("link down")
	s.sent(cut, t0.Add(time.Second))
	s.Retries = 3
	s.sent(cut, t0.Add(2*time.Second))
	if s.Up || !s.Since.Equal(t0.Add(time.Second)) || s.Err != cut || s.Retries != 3 {
		t.Fatalf("after two failed frames: %+v", s)
	}
	s.sent(nil, t0.Add(3*time.Second))
	if !s.Up || !s.Since.Equal(t0.Add(3*time.Second)) || s.Err != nil || s.Retries != 0 {
		t.Fatalf("after a good frame: %+v", s)
	}
	if s.Dropped != 7 || s.Mode != "drm card0 1920x1080" {
		t.Fatalf("dropped %d, mode %q: the counts were lost", s.Dropped, s.Mode)
	}
}
