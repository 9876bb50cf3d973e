package player

import (
	"context"
	"image"
	"image/color"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/protocol"
)

// switchPanel is a virtual panel that can be told it is off, and records
// when (on the player's clock) it draws, is switched off, and what levels
// it is given.
type switchPanel struct {
	*driver.Virtual
	clk    Clock
	mu     sync.Mutex
	draws  []time.Time
	offs   []time.Time
	levels []int
}

func (s *switchPanel) Draw(f *image.RGBA) error {
	s.mu.Lock()
	s.draws = append(s.draws, s.clk.Now())
	s.mu.Unlock()
	return s.Virtual.Draw(f)
}

func (s *switchPanel) Off() error {
	s.mu.Lock()
	s.offs = append(s.offs, s.clk.Now())
	s.mu.Unlock()
	return nil
}

func (s *switchPanel) SetBrightness(p int) error {
	s.mu.Lock()
	s.levels = append(s.levels, p)
	s.mu.Unlock()
	return s.Virtual.SetBrightness(p)
}

func (s *switchPanel) counts() (draws, offs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.draws), len(s.offs)
}

var _ driver.Switch = (*switchPanel)(nil)

// withPlan gives the rig a player on drv (nil: the rig's virtual panel)
// and the rig's plan changed by edit.
func (r *rig) withPlan(t *testing.T, drv driver.Driver, edit func(*protocol.Plan)) {
	t.Helper()
	plan := *r.p.Schedule().Plan()
	plan.Schema = protocol.PlanSchema
	edit(&plan)
	s, err := protocol.Compile(&plan)
	if err != nil {
		t.Fatal(err)
	}
	if drv == nil {
		drv = r.v
	}
	r.p = New(drv, r.clk, dirAssets{r.dir}, r.rec, r.p.log, Options{FPS: 10, Display: 3})
	r.p.SetSchedule(s)
}

var black = color.RGBA{A: 255}

// The plan has the panel on 06:00–06:01 and from 06:02: at 06:01 the
// player draws one black frame and tells the driver it is off, then sends
// nothing; at 06:02 it draws the item due then.
func TestPowerWindowSwitchesOffAndOn(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	sp := &switchPanel{Virtual: r.v, clk: r.clk}
	r.withPlan(t, sp, func(p *protocol.Plan) {
		p.Power = []protocol.Window{{From: "06:00", Until: "06:01"}, {From: "06:02", Until: "22:00"}}
	})
	r.stepAt(30 * time.Second) // 06:00:30: red's loop, item 0
	if r.pixel(5, 2) != red || r.p.Status().PowerOff {
		t.Fatalf("06:00:30: pixel %v, status %+v", r.pixel(5, 2), r.p.Status())
	}
	r.stepAt(time.Minute - 100*time.Millisecond)
	if _, offs := sp.counts(); offs != 0 {
		t.Fatal("off before the window closed")
	}
	r.stepAt(time.Minute)
	draws, offs := sp.counts()
	if offs != 1 || r.pixel(5, 2) != black || !r.p.Status().PowerOff || r.p.Status().CurrentItem != 0 {
		t.Fatalf("06:01: %d offs, pixel %v, status %+v", offs, r.pixel(5, 2), r.p.Status())
	}
	for d := time.Minute + 100*time.Millisecond; d < 2*time.Minute; d += 7 * time.Second {
		r.stepAt(d)
	}
	if d2, o2 := sp.counts(); d2 != draws || o2 != 1 {
		t.Fatalf("while off: %d more frames, %d more offs; want none", d2-draws, o2-1)
	}
	if st := r.p.Status(); st.Frozen || !st.PowerOff {
		t.Fatalf("while off: %+v; want off and not frozen (off is meant to look the same)", st)
	}
	r.stepAt(2 * time.Minute) // 06:02:00 = 8 loops of 15 s: red again
	if r.pixel(5, 2) != red || r.p.Status().PowerOff || r.p.Status().CurrentItem != 11 {
		t.Fatalf("06:02: pixel %v, status %+v", r.pixel(5, 2), r.p.Status())
	}
	// Proof of play ends the item shown at 06:01:00, when the panel went off.
	r.p.end(r.clk.Now())
	close(r.p.recs)
	r.p.writeRecords()
	var cut bool
	for _, rec := range r.rec.all() {
		if rec.End.Equal(r.window.Add(time.Minute)) {
			cut = true
		}
		if rec.End.After(r.window.Add(time.Minute)) && rec.Start.Before(r.window.Add(2*time.Minute)) {
			t.Fatalf("a record overlaps the time the panel was off: %+v", rec)
		}
	}
	if !cut {
		t.Fatalf("no record ends when the panel went off: %+v", r.rec.all())
	}
}

// A driver that cannot say "off" gets black frames all the while, so a
// panel that must be refreshed stays dark.
func TestPowerOffDrawsBlackWithoutSwitch(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	cd := &countingDriver{Virtual: r.v, at: -1}
	r.withPlan(t, cd, func(p *protocol.Plan) {
		p.Power = []protocol.Window{{From: "07:00", Until: "22:00"}}
	})
	for i := 0; i < 5; i++ {
		r.stepAt(time.Duration(i) * time.Second)
	}
	if cd.n != 5 || r.pixel(5, 2) != black || !r.p.Status().PowerOff {
		t.Fatalf("%d frames, pixel %v, status %+v", cd.n, r.pixel(5, 2), r.p.Status())
	}
}

// The level: a manual override while it lasts, else the plan's window, else
// the profile's; the driver is set only when it changes.
func TestBrightnessOverridePlanProfile(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	sp := &switchPanel{Virtual: r.v, clk: r.clk}
	r.withPlan(t, sp, func(p *protocol.Plan) {
		p.Brightness = []protocol.BrightnessWindow{{Window: protocol.Window{From: "06:00", Until: "06:01"}, Percent: 40}}
	})
	r.p.SetBaseBrightness(70)
	level := func(at time.Duration, want int, wantPx uint8, source string) {
		t.Helper()
		r.stepAt(at)
		if st := r.p.Status(); st.Brightness != want || r.pixel(5, 2).R != wantPx || st.BrightnessSource != source {
			t.Fatalf("at 06:00+%v: level %d from %q, red %d; want %d from %q, %d", at, st.Brightness, st.BrightnessSource, r.pixel(5, 2).R, want, source, wantPx)
		}
	}
	level(0, 40, 88, protocol.LevelWindow) // the plan's window: 220 × 40 %
	level(time.Second, 40, 88, protocol.LevelWindow)
	r.p.OverrideBrightness(90, r.window.Add(15*time.Second))
	level(2*time.Second, 90, 198, protocol.LevelOverride)
	if st := r.p.Status(); st.BrightnessOverride == nil || *st.BrightnessOverride != 90 || !st.BrightnessUntil.Equal(r.window.Add(15*time.Second)) {
		t.Fatalf("status during the override: %+v", st)
	}
	level(15*time.Second, 40, 88, protocol.LevelWindow) // the override ended: the plan's level again
	if st := r.p.Status(); st.BrightnessOverride != nil {
		t.Fatalf("override still reported: %v", *st.BrightnessOverride)
	}
	level(time.Minute, 70, 154, protocol.LevelProfile) // no window: the profile's
	r.p.OverrideBrightness(20, r.window.Add(2*time.Minute))
	level(time.Minute+time.Second, 20, 44, protocol.LevelOverride) // an override above the profile's level too
	sp.mu.Lock()
	got := append([]int(nil), sp.levels...)
	sp.mu.Unlock()
	want := []int{40, 90, 40, 70, 20}
	if len(got) != len(want) {
		t.Fatalf("levels set %v, want %v (only changes)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("levels set %v, want %v", got, want)
		}
	}
}

// stepClock is controller time that moves only when the test moves it,
// and the player loop's timer on it: the timer fires when the clock reaches
// its deadline. The test learns from it when the loop has done all it can
// at the present instant (it armed the timer for a later one), so it needs
// no sleeps.
type stepClock struct {
	mu       sync.Mutex
	now      time.Time
	deadline time.Time
	armed    bool
	resets   int
	c        chan time.Time
	changed  chan struct{}
}

func newStepClock(at time.Time) *stepClock {
	return &stepClock{now: at, c: make(chan time.Time, 1), changed: make(chan struct{}, 1)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// timer is the player's newTimer: the clock is the loop's one timer.
func (c *stepClock) timer(d time.Duration) loopTimer {
	c.Reset(d)
	return c
}

func (c *stepClock) C() <-chan time.Time { return c.c }

func (c *stepClock) Reset(d time.Duration) {
	c.mu.Lock()
	select {
	case <-c.c: // a tick not taken is dropped, as time.Timer.Reset does
	default:
	}
	c.deadline, c.armed = c.now.Add(d), true
	c.resets++
	c.fire()
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *stepClock) Stop() {
	c.mu.Lock()
	c.armed = false
	c.mu.Unlock()
}

// fire ticks once the clock has reached the deadline; c.mu is held.
func (c *stepClock) fire() {
	if c.armed && !c.now.Before(c.deadline) {
		c.armed = false
		c.c <- c.now
	}
}

// set moves the clock to at (forward or, as a corrected clock may, back).
func (c *stepClock) set(at time.Time) {
	c.mu.Lock()
	c.now = at
	c.fire()
	c.mu.Unlock()
}

func (c *stepClock) resetCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resets
}

// idle waits until the loop has armed its timer more than after times in
// all and for an instant still ahead — it is waiting for time to pass —
// and returns that instant.
func (c *stepClock) idle(t *testing.T, after int) time.Time {
	t.Helper()
	give := time.After(10 * time.Second) // a bound for a loop that hangs, not a timing
	for {
		c.mu.Lock()
		if c.resets > after && c.armed && c.deadline.After(c.now) {
			at := c.deadline
			c.mu.Unlock()
			return at
		}
		c.mu.Unlock()
		select {
		case <-c.changed:
		case <-give:
			t.Fatal("the player loop did not settle within 10 s")
		}
	}
}

// runOnStepClock runs a player on drv and clk's timer until the test ends.
func runOnStepClock(t *testing.T, r *rig, drv driver.Driver, clk *stepClock, s *protocol.Schedule) *Player {
	t.Helper()
	p := New(drv, clk, dirAssets{r.dir}, nil, r.p.log, Options{FPS: 25, Display: 3})
	p.newTimer = clk.timer
	p.SetSchedule(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// TestPowerTimersAreOnTime runs the real loop on a clock the test moves:
// the panel goes off at the frame that starts when the window ends, sends
// nothing while off (the loop sleeps, waking once a second to follow a
// corrected clock), and wakes exactly at the next window's start for its
// first frame — the instant comes from the evaluator, it is not polled.
func TestPowerTimersAreOnTime(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	offAt, onAt := r.window.Add(time.Minute), r.window.Add(2*time.Minute)
	clk := newStepClock(offAt.Add(-300 * time.Millisecond))
	sp := &switchPanel{Virtual: r.v, clk: clk}
	plan := *r.p.Schedule().Plan()
	plan.Schema = protocol.PlanSchema
	plan.Power = []protocol.Window{{From: "06:00", Until: "06:01"}, {From: "06:02", Until: "22:00"}}
	s, err := protocol.Compile(&plan)
	if err != nil {
		t.Fatal(err)
	}
	p := runOnStepClock(t, r, sp, clk, s)
	const frame = time.Second / 25

	// Frame by frame to the window's end.
	var at time.Time
	for i := 0; ; i++ {
		at = clk.idle(t, 0)
		if _, offs := sp.counts(); offs > 0 {
			break
		}
		if i > 20 {
			t.Fatal("not off 20 frames after the clock passed the window's end")
		}
		if wait := at.Sub(clk.Now()); wait > frame || !at.Equal(at.Truncate(frame)) || p.asleep.Load() {
			t.Fatalf("while on: the loop waits %v until %v (asleep %v); want the next frame boundary", wait, at, p.asleep.Load())
		}
		clk.set(at)
	}
	sp.mu.Lock()
	off, draws := sp.offs[0], len(sp.draws)
	sp.mu.Unlock()
	if !off.Equal(offAt) {
		t.Fatalf("off at %v; want %v, when the window closed", off, offAt)
	}
	// Asleep: a second at most, not a frame.
	if !at.Equal(offAt.Add(time.Second)) || !p.asleep.Load() {
		t.Fatalf("off: the loop waits until %v (asleep %v); want %v, asleep", at, p.asleep.Load(), offAt.Add(time.Second))
	}
	// The clock is corrected to 1.5 s before the next window: the loop
	// follows it, sleeps half a second, then until the window opens.
	clk.set(onAt.Add(-1500 * time.Millisecond))
	want := []time.Time{onAt.Add(-500 * time.Millisecond), onAt}
	for _, w := range want {
		at := clk.idle(t, 0)
		if !at.Equal(w) || !p.asleep.Load() {
			t.Fatalf("off: the loop waits until %v (asleep %v); want %v, asleep", at, p.asleep.Load(), w)
		}
		clk.set(at)
	}
	clk.idle(t, 0)
	sp.mu.Lock()
	got := sp.draws[draws:]
	sp.mu.Unlock()
	if len(got) != 1 || !got[0].Equal(onAt) || p.asleep.Load() {
		t.Fatalf("frames since off %v (asleep %v); want one, at %v", got, p.asleep.Load(), onAt)
	}
}

// A plan that arrives while the panel is off and silent is taken up at
// once, not when the sleeping loop next looks: the clock does not move.
func TestNewPlanWakesAnOffPanel(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	clk := newStepClock(r.window.Add(30 * time.Second))
	sp := &switchPanel{Virtual: r.v, clk: clk}
	plan := *r.p.Schedule().Plan()
	plan.Schema = protocol.PlanSchema
	plan.Power = []protocol.Window{{From: "07:00", Until: "22:00"}} // off at 06:00:30
	off, err := protocol.Compile(&plan)
	if err != nil {
		t.Fatal(err)
	}
	plan.Power, plan.Revision = nil, plan.Revision+1
	on, _ := protocol.Compile(&plan)
	p := runOnStepClock(t, r, sp, clk, off)
	clk.idle(t, 0)
	draws, offs := sp.counts()
	if offs != 1 || !p.asleep.Load() {
		t.Fatalf("before the new plan: %d offs, asleep %v; want 1, asleep", offs, p.asleep.Load())
	}
	n := clk.resetCount()
	p.SetSchedule(on)
	clk.idle(t, n)
	sp.mu.Lock()
	got := sp.draws[draws:]
	sp.mu.Unlock()
	if len(got) != 1 || !got[0].Equal(r.window.Add(30*time.Second)) || p.asleep.Load() {
		t.Fatalf("frames after the new plan %v (asleep %v); want one, at once", got, p.asleep.Load())
	}
}

// Blanking a panel whose driver can say "off" (E1.31) draws one black
// frame, tells the receiver, and sends nothing more until the blank is
// lifted; lifting it draws the item again.
func TestBlankTellsTheReceiverOff(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	sp := &switchPanel{Virtual: r.v, clk: r.clk}
	r.withPlan(t, sp, func(p *protocol.Plan) {})
	r.stepAt(30 * time.Second)
	if r.pixel(5, 2) != red {
		t.Fatalf("before the blank: pixel %v", r.pixel(5, 2))
	}
	r.p.blanked = true
	r.stepAt(31 * time.Second)
	draws, offs := sp.counts()
	if offs != 1 || r.pixel(5, 2) != black || !r.p.Status().Blanked {
		t.Fatalf("blanked: %d offs, pixel %v, status %+v; want 1 off after a black frame", offs, r.pixel(5, 2), r.p.Status())
	}
	for d := 32 * time.Second; d < 40*time.Second; d += time.Second {
		r.stepAt(d)
	}
	if d2, o2 := sp.counts(); d2 != draws || o2 != 1 {
		t.Fatalf("while blanked: %d more frames, %d more offs; want none", d2-draws, o2-1)
	}
	r.p.blanked = false
	r.stepAt(45 * time.Second)
	if d2, _ := sp.counts(); d2 != draws+1 || r.p.Status().Blanked {
		t.Fatalf("after the blank: %d more frames, status %+v; want the item drawn again", d2-draws, r.p.Status())
	}
}
