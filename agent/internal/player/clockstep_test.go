package player

import (
	"image"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// stepBackPanel steps the clock back by an hour while the loop draws its
// fifth frame: as a large clock correction (applied at once, not slewed)
// lands between the loop reading the time and setting its timer.
type stepBackPanel struct {
	*switchPanel
	sc *stepClock
}

func (s *stepBackPanel) Draw(f *image.RGBA) error {
	err := s.switchPanel.Draw(f)
	if d, _ := s.counts(); d == 5 {
		s.sc.set(s.sc.Now().Add(-time.Hour))
	}
	return err
}

// TestClockSteppedBackMidFrameKeepsDrawing: the frame after a step back of
// the clock is due within a frame, not an hour later.
func TestClockSteppedBackMidFrameKeepsDrawing(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	clk := newStepClock(r.window.Add(2 * time.Hour))
	sp := &stepBackPanel{switchPanel: &switchPanel{Virtual: r.v, clk: clk}, sc: clk}
	runOnStepClock(t, r, sp, clk, r.p.Schedule())
	const frame = time.Second / 25
	n := 0
	for i := 0; i < 8; i++ {
		at := clk.idle(t, n)
		n = clk.resetCount()
		if wait := at.Sub(clk.Now()); wait > frame {
			t.Fatalf("after %d frames the loop waits %v for its next: the clock stepped back an hour mid-frame", i+1, wait)
		}
		clk.set(at)
	}
	if d, _ := sp.counts(); d < 8 {
		t.Fatalf("%d frames drawn, want 8", d)
	}
}
