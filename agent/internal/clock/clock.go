// Package clock keeps the agent on controller time.
//
// The agent estimates the offset between the controller's clock and its own
// from NTP-style exchanges over the websocket (four timestamps). Each
// exchange bounds the offset: the request cannot arrive before it was sent
// and the answer cannot arrive before it was sent, so the offset lies in
// [t3 − t4, t2 − t1], an interval as wide as the round trip. The clock keeps
// the last Window exchanges, widens each interval by the drift its age
// allows (MaxDrift), and takes the middle of their intersection: the
// fastest way up and the fastest way down, from any two exchanges, decide
// it, so jitter averages out where one min-RTT sample keeps half its
// asymmetry. An empty intersection (the controller's clock stepped) starts
// again from the newest exchange. Small corrections are slewed so playback
// never jumps backwards; large ones (over StepThreshold) are applied at
// once, as after a boot with a wrong real-time clock.
//
// The local side of every reading is the monotonic clock, so a jump of the
// board's wall clock (a late NTP step, a user changing the date) does not move
// controller time.
package clock

import (
	"math"
	"sync"
	"time"
)

const (
	// Window is how many recent samples are kept.
	Window = 32
	// Burst is how many exchanges the agent makes each time it syncs,
	// spaced out so that they meet different delays; FirstBurst, on
	// connecting, fills half the window at once.
	Burst      = 8
	FirstBurst = 16
	// BurstSpacing is the time between the exchanges of a burst.
	BurstSpacing = 100 * time.Millisecond
	// MaxDrift is how fast the agent's clock may run against the
	// controller's (50 ppm: a board's crystal without NTP); an old
	// sample's bounds widen by it.
	MaxDrift = 50e-6
	// StepThreshold: corrections larger than this are applied at once.
	StepThreshold = 250 * time.Millisecond
	// SlewRate is how fast a small correction is applied: 5 ms per second.
	SlewRate = 0.005
)

// Sample is one exchange's result.
type Sample struct {
	Offset time.Duration // controller − local, the middle of Lo and Hi
	RTT    time.Duration
	// Lo and Hi bound the offset: t3 − t4 and t2 − t1.
	Lo, Hi time.Duration
	At     time.Time // local time of the answer (t4)
}

// Clock is controller time as the agent sees it.
type Clock struct {
	local func() time.Time // monotonic local time

	mu      sync.Mutex
	samples []Sample
	synced  bool
	applied time.Duration // offset in use
	target  time.Duration // offset we slew towards
	rtt     time.Duration // the shortest round trip among samples
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
		Lo:     t3.Sub(t4), Hi: t2.Sub(t1), At: t4,
	}
	if s.RTT < 0 { // a controller whose clock stepped between t2 and t3
		s.RTT, s.Lo, s.Hi = 0, s.Offset, s.Offset
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slewLocked()
	c.samples = append(c.samples, s)
	if len(c.samples) > Window {
		c.samples = c.samples[len(c.samples)-Window:]
	}
	lo, hi, ok := intersect(c.samples, t4)
	if !ok {
		c.samples = append(c.samples[:0], s)
		lo, hi = s.Lo, s.Hi
	}
	c.target, c.rtt = lo+(hi-lo)/2, s.RTT
	for _, x := range c.samples {
		c.rtt = min(c.rtt, x.RTT)
	}
	if !c.synced || abs(c.target-c.applied) > StepThreshold {
		c.applied = c.target
	}
	c.synced = true
	return s
}

// intersect is the intersection of the samples' bounds, each widened by
// the drift its age at now allows; ok is false when it is empty.
func intersect(samples []Sample, now time.Time) (lo, hi time.Duration, ok bool) {
	lo, hi = time.Duration(math.MinInt64), time.Duration(math.MaxInt64)
	for _, x := range samples {
		slack := time.Duration(float64(now.Sub(x.At)) * MaxDrift)
		lo, hi = max(lo, x.Lo-slack), min(hi, x.Hi+slack)
	}
	return lo, hi, lo <= hi
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

// Status reports the offset in use, the shortest round trip among the
// samples kept, and whether any exchange has completed.
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
