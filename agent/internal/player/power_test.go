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
	level := func(at time.Duration, want int, wantPx uint8) {
		t.Helper()
		r.stepAt(at)
		if st := r.p.Status(); st.Brightness != want || r.pixel(5, 2).R != wantPx {
			t.Fatalf("at 06:00+%v: level %d, red %d; want %d, %d", at, st.Brightness, r.pixel(5, 2).R, want, wantPx)
		}
	}
	level(0, 40, 88) // the plan's window: 220 × 40 %
	level(time.Second, 40, 88)
	r.p.OverrideBrightness(90, r.window.Add(15*time.Second))
	level(2*time.Second, 90, 198)
	if st := r.p.Status(); st.BrightnessOverride == nil || *st.BrightnessOverride != 90 || !st.BrightnessUntil.Equal(r.window.Add(15*time.Second)) {
		t.Fatalf("status during the override: %+v", st)
	}
	level(15*time.Second, 40, 88) // the override ended: the plan's level again
	if st := r.p.Status(); st.BrightnessOverride != nil {
		t.Fatalf("override still reported: %v", *st.BrightnessOverride)
	}
	level(time.Minute, 70, 154) // no window: the profile's
	r.p.OverrideBrightness(20, r.window.Add(2*time.Minute))
	level(time.Minute+time.Second, 20, 44) // an override above the profile's level too
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

// offsetClock is the real clock moved by an offset the test can change.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *offsetClock) set(at time.Time) {
	c.mu.Lock()
	c.off = time.Until(at)
	c.mu.Unlock()
}

// TestPowerTimersAreOnTime runs the real loop: the panel goes off within a
// frame of the window's end, sends nothing while off (the loop sleeps), and
// draws its first frame within a frame of the next window's start — the
// wake-up is computed from the evaluator's next instant, not polled.
func TestPowerTimersAreOnTime(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	clk := &offsetClock{}
	sp := &switchPanel{Virtual: r.v, clk: clk}
	plan := *r.p.Schedule().Plan()
	plan.Schema = protocol.PlanSchema
	plan.Power = []protocol.Window{{From: "06:00", Until: "06:01"}, {From: "06:02", Until: "22:00"}}
	s, err := protocol.Compile(&plan)
	if err != nil {
		t.Fatal(err)
	}
	const fps = 25
	frame := time.Second / fps
	p := New(sp, clk, dirAssets{r.dir}, nil, r.p.log, Options{FPS: fps, Display: 3})
	p.SetSchedule(s)
	offAt, onAt := r.window.Add(time.Minute), r.window.Add(2*time.Minute)
	clk.set(offAt.Add(-300 * time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5 s", what)
			}
			time.Sleep(5 * time.Millisecond) // the panel has no change signal
		}
	}
	waitFor("off", func() bool { _, o := sp.counts(); return o == 1 })
	sp.mu.Lock()
	off := sp.offs[0]
	sp.mu.Unlock()
	if late := off.Sub(offAt); late < 0 || late > frame {
		t.Fatalf("off %v after the window closed; want within a frame (%v)", late, frame)
	}
	// Jump to 1.5 s before the next window: the sleeping loop follows
	// within its one-second bound, then wakes for the window itself.
	draws, _ := sp.counts()
	clk.set(onAt.Add(-1500 * time.Millisecond))
	waitFor("on", func() bool { d, _ := sp.counts(); return d > draws })
	sp.mu.Lock()
	first := sp.draws[draws]
	sp.mu.Unlock()
	if late := first.Sub(onAt); late < 0 || late > frame {
		t.Fatalf("first frame %v after the window opened; want within a frame (%v)", late, frame)
	}
	t.Logf("off %v after the edge, on %v after the edge", off.Sub(offAt), first.Sub(onAt))
}

// A plan that arrives while the panel is off and silent is taken up at
// once, not when the sleeping loop next looks.
func TestNewPlanWakesAnOffPanel(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	clk := &offsetClock{}
	clk.set(r.window.Add(30 * time.Second))
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
	p := New(sp, clk, dirAssets{r.dir}, nil, r.p.log, Options{FPS: 25, Display: 3})
	p.SetSchedule(off)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for _, o := sp.counts(); o == 0; _, o = sp.counts() {
		time.Sleep(5 * time.Millisecond) // the panel has no change signal
	}
	time.Sleep(50 * time.Millisecond) // the loop is asleep now
	draws, _ := sp.counts()
	sent := time.Now()
	p.SetSchedule(on)
	for d, _ := sp.counts(); d == draws; d, _ = sp.counts() {
		if time.Since(sent) > 500*time.Millisecond {
			t.Fatal("the new plan was not taken up within 500 ms")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("the first frame of the new plan came %v after it", time.Since(sent))
}
