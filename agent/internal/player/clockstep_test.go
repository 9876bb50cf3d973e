package player

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// stepBackPanel steps its clock back by an hour while the loop draws its
// fifth frame: as a large clock correction (applied at once, not slewed)
// lands between the loop reading the time and setting its timer.
type stepBackPanel struct {
	*switchPanel
	oc *offsetClock
}

func (s *stepBackPanel) Draw(f *image.RGBA) error {
	err := s.switchPanel.Draw(f)
	if d, _ := s.counts(); d == 5 {
		s.oc.mu.Lock()
		s.oc.off -= time.Hour
		s.oc.mu.Unlock()
	}
	return err
}

// TestClockSteppedBackMidFrameKeepsDrawing: the frame after a step back of
// the clock comes within a frame or so, not an hour later.
func TestClockSteppedBackMidFrameKeepsDrawing(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	clk := &offsetClock{}
	clk.set(r.window.Add(2 * time.Hour))
	sp := &stepBackPanel{switchPanel: &switchPanel{Virtual: r.v, clk: clk}, oc: clk}
	p := New(sp, clk, dirAssets{r.dir}, nil, r.p.log, Options{FPS: 25, Display: 3})
	p.SetSchedule(r.p.Schedule())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(2 * time.Second)
	for d, _ := sp.counts(); d < 8; d, _ = sp.counts() {
		if time.Now().After(deadline) {
			t.Fatalf("%d frames in 2 s: the loop sleeps for the hour the clock stepped back", d)
		}
		time.Sleep(5 * time.Millisecond) // the panel has no change signal
	}
}
