// Package clock keeps the agent on controller time.
//
// The agent estimates the offset between the controller's clock and its own
// from NTP-style exchanges over the websocket (four timestamps), keeps the
// last few samples and trusts the one with the smallest round trip (its
// error is bounded by half that round trip). Small corrections are slewed so
// playback never jumps backwards; large ones (over StepThreshold) are applied
// at once, as after a boot with a wrong real-time clock.
//
// The local side of every reading is the monotonic clock, so a jump of the
// board's wall clock (a late NTP step, a user changing the date) does not move
// controller time.
package clock

import (
	"sync"
	"time"
)

const (
	// Window is how many recent samples are kept for the min-RTT filter.
	Window = 8
	// StepThreshold: corrections larger than this are applied at once.
	StepThreshold = 250 * time.Millisecond
	// SlewRate is how fast a small correction is applied: 5 ms per second.
	SlewRate = 0.005
)

// Sample is one exchange's result.
type Sample struct {
	Offset time.Duration // controller − local
	RTT    time.Duration
}

// Clock is controller time as the agent sees it.
type Clock struct {
	local func() time.Time // monotonic local time

	mu      sync.Mutex
	samples []Sample
	synced  bool
	applied time.Duration // offset in use
	target  time.Duration // offset we slew towards
	rtt     time.Duration // RTT of the sample behind target
	last    time.Time     // local time of the last slew step
}

// New returns a clock that starts on the local clock (offset 0).
func New() *Clock {
	start := time.Now()
	return NewWithLocal(func() time.Time { return start.Add(time.Since(start)) })
}

// NewWithLocal uses local as the agent's own clock (tests pass a fake one).
func NewWithLocal(local func() time.Time) *Clock {
	return &Clock{local: local, last: local()}
}

// Local is the agent's own clock: take T1 and T4 from it.
func (c *Clock) Local() time.Time { return c.local() }

// Add records one exchange: t1 agent send, t2 controller receive, t3
// controller send, t4 agent receive. It returns the sample.
func (c *Clock) Add(t1, t2, t3, t4 time.Time) Sample {
	s := Sample{
		Offset: (t2.Sub(t1) + t3.Sub(t4)) / 2,
		RTT:    t4.Sub(t1) - t3.Sub(t2),
	}
	if s.RTT < 0 {
		s.RTT = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slewLocked()
	c.samples = append(c.samples, s)
	if len(c.samples) > Window {
		c.samples = c.samples[len(c.samples)-Window:]
	}
	best := c.samples[0]
	for _, x := range c.samples[1:] {
		if x.RTT <= best.RTT { // on a tie, the newer sample
			best = x
		}
	}
	c.target, c.rtt = best.Offset, best.RTT
	if !c.synced || abs(c.target-c.applied) > StepThreshold {
		c.applied = c.target
	}
	c.synced = true
	return s
}

// Now returns controller time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.slewLocked()
	return now.Add(c.applied)
}

// slewLocked moves applied towards target by at most SlewRate of the time
// elapsed since the last step, and returns the local time.
func (c *Clock) slewLocked() time.Time {
	now := c.local()
	elapsed := now.Sub(c.last)
	c.last = now
	if elapsed <= 0 || c.applied == c.target {
		return now
	}
	step := time.Duration(float64(elapsed) * SlewRate)
	if d := c.target - c.applied; abs(d) <= step {
		c.applied = c.target
	} else if d > 0 {
		c.applied += step
	} else {
		c.applied -= step
	}
	return now
}

// Status reports the offset in use, the round trip of the sample it comes
// from, and whether any exchange has completed.
func (c *Clock) Status() (offset, rtt time.Duration, synced bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slewLocked()
	return c.applied, c.rtt, c.synced
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
