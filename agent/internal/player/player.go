// Package player turns a plan and the synced clock into frames on the panel.
//
// Every frame the player asks the plan's evaluator what is on at the current
// controller time, and draws that item's frame for the instant: a still is
// its rendition; a video shows frame k at item start + k/fps. Frames are
// drawn at instants aligned to multiples of the frame interval on controller
// time, so displays of a group draw the same frame at the same moment.
//
// The plan's power windows switch the panel off (black, and the receiver is
// told where the protocol can say it: driver.Switch) and on again at the
// instant the evaluator gives; its brightness windows set the level, below a
// manual override and above the profile's level.
//
// An item whose asset is missing or broken gives its time to the next
// playable item (and is reported); with nothing playable the panel shows the
// plan's fallback and Status says why. Each item shown is recorded for proof
// of play when it ends; while it plays, an OpenRecorder keeps its record so
// that a restart after the agent died closes it.
package player

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/assets/play"
	"github.com/pano-signage/pano/protocol"
)

// Clock is controller time.
type Clock interface {
	Now() time.Time
}

// Assets is the cache as the player sees it.
type Assets interface {
	Has(sha string) bool
	Path(sha string) string
}

// Recorder stores proof-of-play records.
type Recorder interface {
	Append(protocol.PlayRecord) error
}

// OpenRecorder is a Recorder that also keeps the record of the item on
// screen while it plays (the journal), so that a restart after the agent
// died closes it with what was shown: Begin when its first frame is shown
// (End = Start), Alive with the instant of a later frame shown, at most
// every Options.AliveEvery; the record's Append ends it.
type OpenRecorder interface {
	Recorder
	Begin(protocol.PlayRecord) error
	Alive(protocol.PlayRecord) error
}

// Options tune a player.
type Options struct {
	FPS     int // frames per second drawn (default 25)
	Display int64
	// PowerChanged, when set, is called (on a goroutine of its own) when
	// the plan switches the panel off or on, so health can say so at once.
	PowerChanged func()
	// AliveEvery is how often the item on screen is told alive to an
	// OpenRecorder (default 1 s): a record closed after the agent died
	// ends at most this much (and one write) before its last frame.
	AliveEvery time.Duration
}

// Status is what the player reports in health.
type Status struct {
	PlanRevision  int64
	CurrentItem   int64
	CurrentAsset  string
	Fallback      string // why the fallback shows, when it does
	FallbackCode  string // the same, as a protocol.Fallback… code for a UI to translate
	TargetFPS     float64
	AchievedFPS   float64
	FramesDropped int64
	Frozen        bool
	DriverState   string
	DriverError   string
	Broken        map[string]string // asset → why it cannot play
	Blanked       bool
	RecordError   string // the last proof-of-play write that failed, until one succeeds
	// Brightness is the level the panel is driven at: the override, else
	// the plan's, else the profile's; BrightnessSource says which
	// (protocol.LevelOverride, LevelWindow, LevelDay, LevelNight,
	// LevelProfile).
	Brightness       int
	BrightnessSource string
	// BrightnessOverride and BrightnessUntil: the manual override while it
	// lasts; nil otherwise.
	BrightnessOverride *int
	BrightnessUntil    *time.Time
	PowerOff           bool // the plan's power windows have the panel off
}

// Player is driven by Run; the other methods are safe to call from other
// goroutines.
type Player struct {
	drv   driver.Driver
	clk   Clock
	files Assets
	rec   Recorder
	log   *slog.Logger
	opt   Options

	sched    atomic.Pointer[protocol.Schedule]
	asleep   atomic.Bool // the loop sleeps past the next frame: the panel is off
	newTimer func(d time.Duration) loopTimer
	cmds     chan func(now time.Time)
	recs     chan recOp

	// Owned by the Run goroutine.
	frame    *image.RGBA
	cur      *showing
	next     *showing
	blanked  bool
	pattern  *pattern // identify or a test pattern, until it expires
	lastDraw time.Time
	// Power and brightness from the plan: each answer holds until the
	// instant the evaluator says it may change (its next).
	power   planAnswer[bool] // on
	bright  planAnswer[planLevel]
	level   int  // the level the driver was last set to; -1: not yet set
	offSaid bool // the driver told the receiver it is off; nothing is sent until a frame is drawn
	// Frozen output: when the plan moved to another asset, the frame on the
	// panel must change; switched is when it moved, zero once it did.
	frameSum    uint32
	switched    time.Time
	sumAtSwitch uint32
	fpsMark     time.Time
	fpsCount    int64

	mu       sync.Mutex
	status   Status
	broken   map[string]string
	needs    map[string][]string // a program asset's media, by the program's hash
	base     int                 // the profile's brightness
	override *levelOverride      // a manual brightness level, until it expires
}

// loopTimer is the loop's one timer. It is a time.Timer; a test gives the
// player one on its own clock, which fires when the test moves that clock.
type loopTimer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time   { return r.t.C }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r realTimer) Stop()                 { r.t.Stop() }

// levelOverride is a manual brightness level until an instant.
type levelOverride struct {
	percent int
	until   time.Time
}

// planAnswer is one of the evaluator's answers for the schedule it came
// from, asked at at and holding until next (zero: for ever).
type planAnswer[T any] struct {
	sched    *protocol.Schedule
	at, next time.Time
	val      T
}

// valid reports whether the answer still holds at now for sched. A clock
// that stepped back re-asks too.
func (a *planAnswer[T]) valid(sched *protocol.Schedule, now time.Time) bool {
	return a.sched == sched && !now.Before(a.at) && (a.next.IsZero() || now.Before(a.next))
}

// planLevel is the plan's brightness and where it comes from
// (protocol.LevelProfile: the plan sets none).
type planLevel struct {
	percent int
	source  string
}

type showing struct {
	slot       protocol.Slot
	src        play.Source
	firstFrame time.Time
	aliveAt    time.Time // the frame last told alive to the recorder
	revision   int64
}

func (s *showing) key() slotKey {
	return slotKey{s.slot.Entry, s.slot.Index, s.slot.Start.UnixMilli()}
}

type slotKey struct {
	entry int64
	index int
	start int64
}

func keyOf(s protocol.Slot) slotKey { return slotKey{s.Entry, s.Index, s.Start.UnixMilli()} }

// New returns a player drawing on drv.
func New(drv driver.Driver, clk Clock, files Assets, rec Recorder, log *slog.Logger, opt Options) *Player {
	if opt.FPS <= 0 {
		opt.FPS = 25
	}
	if opt.AliveEvery <= 0 {
		opt.AliveEvery = time.Second
	}
	p := &Player{
		drv: drv, clk: clk, files: files, rec: rec, log: log, opt: opt,
		cmds:     make(chan func(time.Time), 8),
		recs:     make(chan recOp, 256),
		frame:    image.NewRGBA(drv.Bounds()),
		broken:   map[string]string{},
		base:     100,
		level:    -1,
		newTimer: func(d time.Duration) loopTimer { return realTimer{time.NewTimer(d)} },
	}
	p.status.TargetFPS = float64(opt.FPS)
	p.status.Brightness, p.status.BrightnessSource = p.base, protocol.LevelProfile
	p.status.DriverState = protocol.DriverStarting
	return p
}

// SetSchedule switches to a new plan from the next frame on.
func (p *Player) SetSchedule(s *protocol.Schedule) {
	needs := map[string][]string{}
	for _, a := range s.Plan().Assets {
		if len(a.Needs) > 0 {
			needs[a.SHA256] = a.Needs
		}
	}
	// What its programs need is known before the schedule is used.
	p.mu.Lock()
	p.broken = map[string]string{} // a new plan may bring fixed files
	p.needs = needs
	p.mu.Unlock()
	p.sched.Store(s)
	p.rouse()
}

// rouse has a loop that sleeps while the panel is off take the change up
// now rather than at its next look.
func (p *Player) rouse() {
	if p.asleep.Load() {
		p.do(func(time.Time) {})
	}
}

// Schedule returns the schedule in use, or nil.
func (p *Player) Schedule() *protocol.Schedule { return p.sched.Load() }

// Status returns a copy of the player's state.
func (p *Player) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.status
	now := p.clk.Now()
	if o := p.override; o != nil && now.Before(o.until) {
		pct, until := o.percent, o.until.UTC()
		s.BrightnessOverride, s.BrightnessUntil = &pct, &until
	}
	s.Broken = make(map[string]string, len(p.broken))
	for k, v := range p.broken {
		s.Broken[k] = v
	}
	// The loop stalls or the driver hangs, or the plan moved on and the
	// picture did not: the panel shows a stale frame.
	if !p.lastDraw.IsZero() && now.Sub(p.lastDraw) > frozenAfter {
		s.Frozen = true
	}
	if !p.switched.IsZero() && now.Sub(p.switched) > frozenAfter {
		s.Frozen = true
	}
	return s
}

// SetBaseBrightness sets the profile's level, used when neither an override
// nor the plan sets one.
func (p *Player) SetBaseBrightness(percent int) {
	p.mu.Lock()
	p.base = percent
	p.status.Brightness = percent // until the first frame says
	p.mu.Unlock()
}

// OverrideBrightness drives the panel at percent until the instant until
// (controller time), above what the plan says; a newer override replaces an
// older one. The player applies it from its next frame and drops it at the
// first frame at or after until.
func (p *Player) OverrideBrightness(percent int, until time.Time) {
	p.mu.Lock()
	p.override = &levelOverride{percent: percent, until: until}
	p.mu.Unlock()
	p.rouse()
}

// Blank turns the panel off (true) or back on (false).
func (p *Player) Blank(on bool) { p.do(func(time.Time) { p.blanked = on }) }

// pattern replaces the schedule for a while: what it draws, and until when.
type pattern struct {
	name  string
	until time.Time
	draw  func(dst *image.RGBA, n int, now time.Time)
	n     int // frames drawn so far
}

// Identify flashes the panel white and black for d so a technician can
// find it.
func (p *Player) Identify(d time.Duration) {
	p.ShowPattern(protocol.DriverIdentify, d, func(dst *image.RGBA, _ int, now time.Time) {
		fill := image.Black
		if now.UnixMilli()/250%2 == 0 {
			fill = image.White
		}
		draw.Draw(dst, dst.Bounds(), fill, image.Point{}, draw.Src)
	})
}

// ShowPattern draws with f instead of the schedule for d (a test pattern,
// an identify flash); f gets the frame number and the time. A zero d ends
// the pattern on screen.
func (p *Player) ShowPattern(name string, d time.Duration, f func(dst *image.RGBA, n int, now time.Time)) {
	p.do(func(now time.Time) { p.pattern = &pattern{name: name, until: now.Add(d), draw: f} })
}

func (p *Player) do(f func(time.Time)) {
	select {
	case p.cmds <- f:
	default: // the loop is far behind; a command is not worth blocking for
	}
}

// Run draws frames until ctx ends, then finishes the current record.
func (p *Player) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); p.writeRecords() }()
	defer func() {
		p.end(p.clk.Now())
		p.closeSources()
		close(p.recs)
		wg.Wait()
	}()

	interval := time.Second / time.Duration(p.opt.FPS)
	timer := p.newTimer(0)
	defer timer.Stop()
	p.fpsMark = p.clk.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-p.cmds:
			f(p.clk.Now())
			if p.offSaid {
				// The loop sleeps while the panel is off: a command
				// (identify, blank, a level) takes effect now.
				timer.Reset(0)
			}
			continue
		case <-timer.C():
		}
		now := p.clk.Now()
		p.step(now)
		p.account(now, interval)
		next := now.Truncate(interval).Add(interval)
		late := p.clk.Now().Sub(next)
		if late > 0 {
			// We overran at least one frame: skip to the next boundary.
			skipped := int64(late/interval) + 1
			p.mu.Lock()
			p.status.FramesDropped += skipped
			p.mu.Unlock()
			next = next.Add(time.Duration(skipped) * interval)
		}
		if p.offSaid {
			// Off and said so: nothing to send until the power window
			// opens. Wake at that instant, computed from the evaluator's
			// next on this clock, so the first frame is on time; and at
			// least once a second, so a clock that is corrected meanwhile
			// is followed and health sees a live loop.
			wake := now.Add(time.Second)
			if n := p.power.next; !n.IsZero() && n.Before(wake) {
				wake = n
			}
			if wake.After(next) {
				next = wake
			}
		}
		p.asleep.Store(p.offSaid)
		// A clock stepped back since now was read (a large sync
		// correction is applied at once) must not put the loop to sleep
		// for the size of the step: never longer than a frame, or than
		// the second's bound while off.
		wait, limit := next.Sub(p.clk.Now()), interval
		if p.offSaid {
			limit = time.Second
		}
		timer.Reset(min(wait, limit))
	}
}

func (p *Player) account(now time.Time, interval time.Duration) {
	if p.offSaid {
		// Off and silent: no frames, and none missing.
		p.fpsCount, p.fpsMark = 0, now
		p.mu.Lock()
		p.status.AchievedFPS = 0
		p.mu.Unlock()
		return
	}
	p.fpsCount++
	if el := now.Sub(p.fpsMark); el >= time.Second {
		p.mu.Lock()
		p.status.AchievedFPS = float64(p.fpsCount) / el.Seconds()
		p.mu.Unlock()
		p.fpsCount, p.fpsMark = 0, now
	}
}

func (p *Player) playable(sha string) bool {
	if !p.files.Has(sha) {
		return false
	}
	p.mu.Lock()
	_, bad := p.broken[sha]
	needs := p.needs[sha]
	p.mu.Unlock()
	if bad {
		return false
	}
	for _, n := range needs { // a program plays when its media windows can
		if !p.playable(n) {
			return false
		}
	}
	return true
}

func (p *Player) openProgram(plan *protocol.Plan, a protocol.Asset, start time.Time) (play.Source, error) {
	loc, err := time.LoadLocation(plan.TimeZone)
	if err != nil {
		return nil, err
	}
	env := play.Env{Assets: make(map[string]protocol.Asset, len(plan.Assets)), Path: p.files.Path, Loc: loc}
	for _, x := range plan.Assets {
		env.Assets[x.SHA256] = x
	}
	return play.OpenProgram(p.files.Path(a.SHA256), p.frame.Bounds(), start, env)
}

// step draws the frame for instant now.
func (p *Player) step(now time.Time) {
	sched := p.sched.Load()
	p.applyLevel(sched, now)
	on := p.powerOn(sched, now)
	p.mu.Lock()
	changed := p.status.PowerOff == on
	p.status.PowerOff = !on
	p.mu.Unlock()
	if changed && p.opt.PowerChanged != nil {
		go p.opt.PowerChanged()
	}
	switch {
	case p.pattern != nil && now.Before(p.pattern.until):
		p.end(now)
		p.pattern.draw(p.frame, p.pattern.n, now)
		p.pattern.n++
		p.show(now, p.pattern.name)
		return
	case p.blanked:
		// Blanked as when off: one black frame, then the receiver is told
		// (E1.31 Stream_Terminated) and nothing more is sent until the
		// blank is lifted; a driver that cannot say it gets black frames.
		p.end(now)
		if p.offSaid {
			p.mu.Lock()
			p.lastDraw = now
			p.mu.Unlock()
			return
		}
		draw.Draw(p.frame, p.frame.Bounds(), image.Black, image.Point{}, draw.Src)
		if p.show(now, protocol.DriverBlanked) {
			p.sayOff()
		}
		return
	case !on:
		p.powerOff(now)
		return
	}
	if sched == nil {
		p.fallback(now, protocol.FallbackBlack, protocol.FallbackNoPlan, "no plan yet")
		return
	}
	// A broken asset found while loading gives way to the next item; the
	// loop is bounded by the number of items that can break.
	for tries := 0; tries < 64; tries++ {
		slot, ok := sched.AtPlayable(now, p.playable)
		if !ok {
			code, why := p.whyNothing(sched, now)
			p.fallback(now, sched.Plan().Fallback, code, why)
			return
		}
		if rev := sched.Plan().Revision; p.cur != nil && p.cur.revision != rev && p.cur.key() == keyOf(slot) &&
			p.cur.slot.Item.Asset == slot.Item.Asset && p.cur.slot.Item.Media == slot.Item.Media {
			// A new plan (a brightness window, an urgent notice elsewhere)
			// that keeps this item where it was: it plays on, one record.
			p.cur.revision, p.cur.slot = rev, slot
			p.mu.Lock()
			p.status.PlanRevision = rev
			p.mu.Unlock()
		}
		if p.cur == nil || p.cur.key() != keyOf(slot) || p.cur.revision != sched.Plan().Revision {
			p.end(now)
			s, err := p.load(slot, sched.Plan().Revision)
			if err != nil {
				p.markBroken(slot.Item.Asset, err)
				continue
			}
			p.cur = s
			p.mu.Lock()
			if slot.Item.Asset != p.status.CurrentAsset && p.status.CurrentAsset != "" {
				p.switched, p.sumAtSwitch = now, p.frameSum
			}
			p.status.CurrentItem, p.status.CurrentAsset, p.status.Fallback, p.status.FallbackCode = slot.Item.ID, slot.Item.Asset, "", ""
			p.status.PlanRevision = sched.Plan().Revision
			p.mu.Unlock()
		}
		if err := p.cur.src.Frame(now.Sub(p.cur.slot.Start), p.frame); err != nil {
			p.markBroken(slot.Item.Asset, err)
			p.end(now)
			continue
		}
		if p.show(now, protocol.DriverOK) {
			p.shown(p.cur, now)
		}
		p.prepareNext(sched, slot, now)
		return
	}
}

// powerOn asks the plan whether the panel is on at now; the answer is kept
// until the evaluator's next instant. Without a plan the panel is on.
func (p *Player) powerOn(sched *protocol.Schedule, now time.Time) bool {
	if sched == nil {
		return true
	}
	if !p.power.valid(sched, now) {
		on, next := sched.PowerAt(now)
		p.power = planAnswer[bool]{sched: sched, at: now, next: next, val: on}
	}
	return p.power.val
}

// applyLevel sets the driver's brightness when the level changes: a live
// override, else the plan's level at now, else the profile's.
func (p *Player) applyLevel(sched *protocol.Schedule, now time.Time) {
	p.mu.Lock()
	level, source, override := p.base, protocol.LevelProfile, p.override
	if override != nil && !now.Before(override.until) {
		p.override, override = nil, nil // expired
	}
	p.mu.Unlock()
	switch {
	case override != nil:
		level, source = override.percent, protocol.LevelOverride
	case sched != nil:
		if !p.bright.valid(sched, now) {
			pct, src, next := sched.BrightnessBy(now)
			p.bright = planAnswer[planLevel]{sched: sched, at: now, next: next, val: planLevel{pct, src}}
		}
		if p.bright.val.source != protocol.LevelProfile {
			level, source = p.bright.val.percent, p.bright.val.source
		}
	}
	p.mu.Lock()
	p.status.BrightnessSource = source
	p.mu.Unlock()
	if level == p.level {
		return
	}
	// Status first: whoever sees the driver's new level sees it in health.
	p.mu.Lock()
	p.status.Brightness = level
	p.mu.Unlock()
	if err := p.drv.SetBrightness(level); err != nil {
		p.log.Warn("brightness not set", "percent", level, "err", err)
	}
	p.level = level
}

// powerOff keeps the panel off: one black frame, then the driver tells the
// receiver (driver.Switch) and nothing more is sent until the power window
// opens; a driver that cannot say it gets black frames, which also keeps a
// panel that must be refreshed (serial, a WLED's realtime mode) dark.
func (p *Player) powerOff(now time.Time) {
	p.end(now)
	p.mu.Lock()
	p.status.CurrentItem, p.status.CurrentAsset, p.status.Fallback, p.status.FallbackCode = 0, "", "", ""
	p.switched = time.Time{} // off is meant to look the same: not frozen
	if p.offSaid {
		p.lastDraw = now // the loop is alive; the panel is meant to be still
		p.status.Blanked = p.blanked
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	draw.Draw(p.frame, p.frame.Bounds(), image.Black, image.Point{}, draw.Src)
	if p.show(now, protocol.DriverOK) {
		p.sayOff()
	}
}

// sayOff tells the receiver the output is off, after a black frame, where
// the driver can (driver.Switch); nothing is sent afterwards until a frame
// is drawn again.
func (p *Player) sayOff() {
	sw, ok := p.drv.(driver.Switch)
	if !ok {
		return
	}
	switch err := sw.Off(); {
	case err == nil:
		p.offSaid = true
	case errors.Is(err, driver.ErrNoOff):
	default:
		p.mu.Lock()
		p.status.DriverState, p.status.DriverError = protocol.DriverFailing, err.Error()
		p.mu.Unlock()
	}
}

// prepareNext loads the item that follows slot shortly before it is due,
// so the switch costs no frame.
func (p *Player) prepareNext(sched *protocol.Schedule, slot protocol.Slot, now time.Time) {
	if slot.End.Sub(now) > time.Second {
		return
	}
	nextSlot, ok := sched.AtPlayable(slot.End, p.playable)
	if !ok || (p.next != nil && p.next.key() == keyOf(nextSlot)) {
		return
	}
	if p.next != nil {
		p.next.src.Close()
		p.next = nil
	}
	if s, err := p.load(nextSlot, sched.Plan().Revision); err == nil {
		p.next = s
	}
}

func (p *Player) load(slot protocol.Slot, revision int64) (*showing, error) {
	if p.next != nil && p.next.key() == keyOf(slot) && p.next.revision == revision {
		s := p.next
		p.next = nil
		return s, nil
	}
	plan := p.sched.Load().Plan()
	asset := protocol.Asset{SHA256: slot.Item.Asset, Kind: protocol.AssetImage}
	for _, a := range plan.Assets {
		if a.SHA256 == slot.Item.Asset {
			asset = a
			break
		}
	}
	var src play.Source
	var err error
	if asset.Kind == protocol.AssetProgram {
		src, err = p.openProgram(plan, asset, slot.Start)
	} else {
		src, err = play.Open(asset, p.files.Path(slot.Item.Asset), p.frame.Bounds())
	}
	if err != nil {
		return nil, err
	}
	return &showing{slot: slot, src: src, revision: revision}, nil
}

func (p *Player) markBroken(sha string, err error) {
	p.mu.Lock()
	_, known := p.broken[sha]
	p.broken[sha] = err.Error()
	p.mu.Unlock()
	if !known {
		p.log.Warn("asset cannot play; skipping it", "asset", short(sha), "err", err)
	}
}

func (p *Player) whyNothing(sched *protocol.Schedule, now time.Time) (code, why string) {
	if _, ok := sched.At(now); !ok {
		return protocol.FallbackNoEntry, "no schedule entry applies now"
	}
	var missing []string
	for _, a := range sched.Plan().Assets {
		if !p.playable(a.SHA256) {
			missing = append(missing, short(a.SHA256))
		}
	}
	sort.Strings(missing)
	return protocol.FallbackNothingPlayable, fmt.Sprintf("nothing playable now: %d assets missing or broken %v", len(missing), missing)
}

func (p *Player) fallback(now time.Time, mode, code, why string) {
	p.end(now)
	switch mode {
	case protocol.FallbackLastFrame:
		// keep p.frame as it is
	case protocol.FallbackIdleCard:
		idleCard(p.frame)
	default:
		draw.Draw(p.frame, p.frame.Bounds(), image.Black, image.Point{}, draw.Src)
	}
	p.mu.Lock()
	p.status.CurrentItem, p.status.CurrentAsset, p.status.Fallback, p.status.FallbackCode = 0, "", why, code
	p.mu.Unlock()
	p.show(now, protocol.DriverOK)
}

// show sends p.frame to the driver and reports whether it went out.
func (p *Player) show(now time.Time, state string) bool {
	p.offSaid = false // a frame restarts the stream
	err := p.drv.Draw(p.frame)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status.Blanked = p.blanked
	if err != nil {
		p.status.DriverState, p.status.DriverError = protocol.DriverFailing, err.Error()
		return false
	}
	p.status.DriverState, p.status.DriverError = state, ""
	p.lastDraw = now
	p.frameSum = crc32.ChecksumIEEE(p.frame.Pix) // ~10 µs for 192×96
	if p.frameSum != p.sumAtSwitch {
		p.switched = time.Time{}
	}
	return true
}

// frozenAfter is how long a stale picture may last before it is reported.
const frozenAfter = 2 * time.Second

// end closes the item on screen and records it for proof of play.
func (p *Player) end(now time.Time) {
	if p.cur == nil {
		return
	}
	s := p.cur
	p.cur = nil
	s.src.Close()
	if s.firstFrame.IsZero() {
		return
	}
	p.queue(recOp{kind: opEnd, rec: p.record(s, now)})
}

// shown notes a frame of s shown at now: the first opens its record, and
// one every AliveEvery moves the open record's end.
func (p *Player) shown(s *showing, now time.Time) {
	switch {
	case s.firstFrame.IsZero():
		s.firstFrame, s.aliveAt = now, now
		p.queue(recOp{kind: opBegin, rec: p.record(s, now)})
	case now.Sub(s.aliveAt) >= p.opt.AliveEvery:
		s.aliveAt = now
		p.queue(recOp{kind: opAlive, rec: p.record(s, now)})
	}
}

// record is the proof-of-play record of s shown until end.
func (p *Player) record(s *showing, end time.Time) protocol.PlayRecord {
	return protocol.PlayRecord{
		// One slot of one display has one ID, so a record written twice (a
		// restart in the middle of an item) is deduplicated upstream.
		ID:           fmt.Sprintf("%d-%d-%d-%d", p.opt.Display, s.slot.Entry, s.slot.Item.ID, s.slot.Start.UnixMilli()),
		Display:      p.opt.Display,
		PlanRevision: s.revision,
		Entry:        s.slot.Entry,
		Item:         s.slot.Item.ID,
		Media:        s.slot.Item.Media,
		Campaign:     s.slot.Item.Campaign,
		Start:        s.firstFrame.UTC(),
		End:          end.UTC(),
	}
}

// recOp is what the record writer is asked to do, in the order asked.
type recOp struct {
	kind int
	rec  protocol.PlayRecord
}

const (
	opEnd   = iota // the item ended: append its record
	opBegin        // its first frame is shown
	opAlive        // a later frame is shown at rec.End
)

// queue hands op to the record writer without ever blocking the frame loop.
func (p *Player) queue(op recOp) {
	select {
	case p.recs <- op:
	default:
		if op.kind == opEnd {
			p.log.Error("proof-of-play queue full; record lost", "id", op.rec.ID)
		}
	}
}

// writeRecords writes records (and notes of the item on screen) off the
// frame loop: an fsync must never delay a frame.
func (p *Player) writeRecords() {
	open, _ := p.rec.(OpenRecorder)
	for op := range p.recs {
		if p.rec == nil {
			continue
		}
		var err error
		switch {
		case op.kind == opEnd:
			err = p.rec.Append(op.rec)
		case open == nil:
			continue
		case op.kind == opBegin:
			err = open.Begin(op.rec)
		default:
			err = open.Alive(op.rec)
		}
		p.mu.Lock()
		p.status.RecordError = ""
		if err != nil {
			p.status.RecordError = err.Error()
		}
		p.mu.Unlock()
		if err != nil {
			p.log.Error("proof-of-play record not written", "id", op.rec.ID, "err", err)
		}
	}
}

func (p *Player) closeSources() {
	if p.next != nil {
		p.next.src.Close()
		p.next = nil
	}
}

// idleCard draws a dim frame with a bright border: the screen works and
// waits for content.
func idleCard(f *image.RGBA) {
	b := f.Bounds()
	draw.Draw(f, b, image.NewUniform(colorRGB(0, 0, 24)), image.Point{}, draw.Src)
	border := image.NewUniform(colorRGB(0, 90, 160))
	for _, r := range []image.Rectangle{
		{b.Min, image.Pt(b.Max.X, b.Min.Y+1)}, {image.Pt(b.Min.X, b.Max.Y-1), b.Max},
		{b.Min, image.Pt(b.Min.X+1, b.Max.Y)}, {image.Pt(b.Max.X-1, b.Min.Y), b.Max},
	} {
		draw.Draw(f, r, border, image.Point{}, draw.Src)
	}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// Snapshot returns a copy of the frame on the panel, or nil if the player
// loop does not answer within a second.
func (p *Player) Snapshot() *image.RGBA {
	reply := make(chan *image.RGBA, 1)
	p.do(func(time.Time) {
		cp := image.NewRGBA(p.frame.Bounds())
		copy(cp.Pix, p.frame.Pix)
		reply <- cp
	})
	select {
	case img := <-reply:
		return img
	case <-time.After(time.Second):
		return nil
	}
}

// Restart drops what the player holds (loaded items, the list of broken
// assets) and starts the current item afresh.
func (p *Player) Restart() {
	p.do(func(now time.Time) {
		p.end(now)
		p.closeSources()
		p.mu.Lock()
		p.broken = map[string]string{}
		p.mu.Unlock()
	})
}

func colorRGB(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 255} }
