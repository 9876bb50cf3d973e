package clock

import (
	"testing"
	"time"
)

// fake is a local clock the test moves by hand.
type fake struct{ t time.Time }

func (f *fake) now() time.Time          { return f.t }
func (f *fake) advance(d time.Duration) { f.t = f.t.Add(d) }

// exchange simulates one request: out and back are the one-way delays, skew
// is controller − local.
func exchange(c *Clock, f *fake, skew, out, back time.Duration) Sample {
	t1 := f.now()
	f.advance(out)
	t2 := f.now().Add(skew)
	f.advance(100 * time.Microsecond)
	t3 := f.now().Add(skew)
	f.advance(back)
	return c.Add(t1, t2, t3, f.now())
}

func TestThreeSecondsOffIsCorrectedAtOnce(t *testing.T) {
	f := &fake{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	c := NewWithLocal(f.now)
	skew := 3 * time.Second
	exchange(c, f, skew, 2*time.Millisecond, 2*time.Millisecond)
	controllerNow := f.now().Add(skew)
	if d := c.Now().Sub(controllerNow); abs(d) > time.Millisecond {
		t.Fatalf("after one sync the clock is %v off controller time", d)
	}
	off, rtt, ok := c.Status()
	if !ok || abs(off-skew) > time.Millisecond || rtt != 4*time.Millisecond {
		t.Fatalf("status %v %v %v", off, rtt, ok)
	}
}

func TestMinRTTSampleWins(t *testing.T) {
	f := &fake{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	c := NewWithLocal(f.now)
	skew := -1500 * time.Millisecond
	// Asymmetric, slow exchanges give offsets that are off by up to half the
	// asymmetry; one fast exchange is nearly exact.
	exchange(c, f, skew, 300*time.Millisecond, 10*time.Millisecond)
	exchange(c, f, skew, 1*time.Millisecond, 1*time.Millisecond)
	exchange(c, f, skew, 10*time.Millisecond, 400*time.Millisecond)
	_, rtt, _ := c.Status()
	if rtt != 2*time.Millisecond {
		t.Fatalf("rtt %v, want the fastest exchange's 2ms", rtt)
	}
	// The applied offset slews from the first (bad) estimate; give it time.
	f.advance(60 * time.Second)
	off, _, _ := c.Status()
	if d := off - skew; abs(d) > 200*time.Microsecond {
		t.Fatalf("offset %v, want %v (error %v)", off, skew, d)
	}
}

func TestSmallCorrectionsSlewAndNeverGoBackwards(t *testing.T) {
	f := &fake{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	c := NewWithLocal(f.now)
	exchange(c, f, 0, time.Millisecond, time.Millisecond)
	before := c.Now()
	// The controller is now 100 ms behind: a small correction, slewed.
	exchange(c, f, -100*time.Millisecond, time.Millisecond, time.Millisecond)
	prev := before
	for i := 0; i < 300; i++ {
		f.advance(100 * time.Millisecond)
		now := c.Now()
		if !now.After(prev) {
			t.Fatalf("step %d: time went from %v to %v", i, prev, now)
		}
		prev = now
	}
	off, _, _ := c.Status()
	if abs(off+100*time.Millisecond) > time.Millisecond {
		t.Fatalf("after 30 s the offset is %v, want -100ms", off)
	}
}

func TestWallClockJumpDoesNotMoveControllerTime(t *testing.T) {
	c := New()
	t0 := c.Local()
	// New() reads the monotonic clock; there is no way to jump it, but its
	// readings must carry monotonic time so that Sub ignores wall jumps.
	if t0.Round(0) == t0 {
		t.Fatal("local readings carry no monotonic clock reading")
	}
}
