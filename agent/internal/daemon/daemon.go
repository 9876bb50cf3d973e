// Package daemon is the agent's runtime: it ties the link, the clock, the
// cache, the player and the proof-of-play journal together, answers the
// controller's messages and reports health.
package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/pano-signage/pano/agent/internal/cache"
	"github.com/pano-signage/pano/agent/internal/clock"
	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/agent/internal/journal"
	"github.com/pano-signage/pano/agent/internal/link"
	"github.com/pano-signage/pano/agent/internal/player"
	"github.com/pano-signage/pano/protocol"
)

// Intervals of the agent's periodic work.
const (
	HealthInterval     = 10 * time.Second
	ScreenshotInterval = 60 * time.Second
	TimeSyncInterval   = 60 * time.Second
	UploadInterval     = 5 * time.Second
	SyncHorizon        = 48 * time.Hour // fetch what plays in the next 48 h first
	resyncInterval     = 5 * time.Minute
	// A failed download is tried again after retryMin, doubling up to
	// resyncInterval; a (re)connect to the controller resets the delay and
	// retries at once, since a link drop is the usual cause of a failure.
	retryMin    = time.Second
	uploadBatch = 500
)

// The journal keeps the item on screen, so a restart after a death records
// it (journal/open.go); the player uses that only if the journal says so.
var _ player.OpenRecorder = (*journal.Journal)(nil)

// Daemon is one agent.
type Daemon struct {
	cfg     Config
	dir     string
	version string
	log     *slog.Logger
	drv     driver.Driver

	Clock   *clock.Clock
	Cache   *cache.Cache
	Journal *journal.Journal
	Player  *player.Player
	Link    *link.Client

	started time.Time
	kick    chan struct{} // wakes the cache sync
	linkUp  chan struct{} // wakes the cache sync and resets its retry delay

	mu         sync.Mutex
	sess       *link.Session
	pending    map[string]journal.Batch // play_records message id → batch
	syncDone   int64
	syncTotal  int64
	missing    []string
	syncedRev  int64  // plan revision whose content was last fully synced
	storageErr string // the last sync's disk-full error, if any
	refused    string // why the newest plan was refused; empty once one is taken
	refusedRev int64  // its revision
	soon       soonReports
}

// New builds an agent from its state directory's config.
func New(dir string, cfg Config, credential, version string, drv driver.Driver, log *slog.Logger) (*Daemon, error) {
	tlsCfg, err := cfg.TLSConfig()
	if err != nil {
		return nil, err
	}
	clk := clock.New()
	// PANO_CLOCK_SKEW puts the agent's own clock off by a duration, to show
	// (and test) that it plays on controller time anyway.
	if v := os.Getenv("PANO_CLOCK_SKEW"); v != "" {
		skew, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("PANO_CLOCK_SKEW %q is not a duration such as 3s", v)
		}
		start := time.Now()
		clk = clock.NewWithLocal(func() time.Time { return start.Add(time.Since(start) + skew) })
		log.Warn("agent clock skewed on purpose", "skew", skew)
	}
	// PANO_CLOCK_FILE is for tests only: the agent's own clock reads the
	// instant in that file and runs on from it (clock.FileLocal), so a
	// test can move a real agent through a week in a minute. Never set it
	// on a screen: the agent then plays on the file's time, not the
	// board's, until a controller corrects it.
	if path := os.Getenv("PANO_CLOCK_FILE"); path != "" {
		if os.Getenv("PANO_CLOCK_SKEW") != "" {
			return nil, errors.New("PANO_CLOCK_FILE and PANO_CLOCK_SKEW: set one")
		}
		local, err := clock.FileLocal(path)
		if err != nil {
			return nil, fmt.Errorf("PANO_CLOCK_FILE: %w", err)
		}
		clk = clock.NewWithLocal(local)
		log.Warn("agent clock read from a file, for tests only", "file", path)
	}
	d := &Daemon{
		cfg: cfg, dir: dir, version: version, log: log, drv: drv,
		Clock: clk, started: time.Now(), kick: make(chan struct{}, 1), linkUp: make(chan struct{}, 1),
		pending: map[string]journal.Batch{},
	}
	first, controllers := cfg.Dial()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, ResponseHeaderTimeout: 30 * time.Second}}
	if d.Cache, err = cache.New(filepath.Join(dir, "cache"), HTTPBase(first), func() string { return credential }, client); err != nil {
		return nil, err
	}
	if d.Journal, err = journal.Open(filepath.Join(dir, "journal"), 0); err != nil {
		return nil, err
	}
	if id := d.Journal.ClosedAtOpen(); id != "" {
		// The agent died (power cut, kill -9) with this item on screen.
		log.Info("proof of play of the item on screen when the agent stopped recorded", "id", id)
	}
	d.Player = player.New(drv, d.Clock, d.Cache, d.Journal, log, player.Options{FPS: cfg.FPS, Display: cfg.DisplayID, PowerChanged: d.sendHealth})
	size := drv.Bounds().Size()
	// The TLS config holds roots only (the system's and --ca-file), no pin
	// to one controller's certificate: every replica's passes if it is
	// signed by them.
	d.Link, err = link.New(link.Config{
		Controller: first, Controllers: controllers, Remember: d.rememberControllers, Name: cfg.Name, AgentVersion: version, Profile: cfg.Profile,
		Panel: protocol.Panel{Width: size.X, Height: size.Y}, Credential: credential, TLS: tlsCfg,
		PlanRevision: d.planRevision, Handler: d,
	}, log)
	if err != nil {
		return nil, err
	}
	// Offline first: play the saved plan at once, controller or not.
	sched, err := LoadPlan(dir)
	if err != nil {
		log.Warn("saved plan unreadable; waiting for the controller", "err", err)
	}
	if sched != nil {
		d.Player.SetSchedule(sched)
	}
	return d, nil
}

// Run plays, syncs and reports until ctx ends or the controller refuses the
// agent.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(func(ctx context.Context) { _ = d.Player.Run(ctx) })
	run(d.syncLoop)
	run(d.reportLoop)
	run(d.watchdog)
	err := d.Link.Run(ctx)
	cancel()
	wg.Wait()
	d.Journal.Close()
	return err
}

func (d *Daemon) planRevision() int64 {
	if s := d.Player.Schedule(); s != nil {
		return s.Plan().Revision
	}
	return 0
}

// rememberControllers keeps the link's list of controllers and the one it is
// on in the config, so that the agent starts from them after a restart,
// even if the controller it enrolled with is gone by then.
func (d *Daemon) rememberControllers(list []string, current string) {
	d.mu.Lock()
	d.cfg.Controllers, d.cfg.LastController = list, current
	c := d.cfg
	d.mu.Unlock()
	if err := writeConfig(d.dir, c); err != nil {
		d.log.Error("cannot save the controllers' addresses; the agent uses them until it stops", "err", err)
	}
}

// Connected implements link.Handler.
func (d *Daemon) Connected(s *link.Session) {
	// Assets come from the controller the link is on: the one enrolled
	// with may be the replica that is gone.
	d.Cache.SetBase(HTTPBase(s.Controller))
	d.mu.Lock()
	d.sess = s
	d.pending = map[string]journal.Batch{}
	d.mu.Unlock()
	// Downloads cut by the drop resume now, not at the next resync.
	select {
	case d.linkUp <- struct{}{}:
	default:
	}
	// A first burst of clock samples at once, beside the first reports.
	go d.syncClock(s, clock.FirstBurst)
	go func() {
		d.sendHealth()
		d.sendScreenshot()
		d.upload()
	}()
}

// Disconnected implements link.Handler.
func (d *Daemon) Disconnected() {
	d.mu.Lock()
	d.sess = nil
	d.mu.Unlock()
}

func (d *Daemon) session() *link.Session {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sess
}

// Message implements link.Handler.
func (d *Daemon) Message(s *link.Session, env protocol.Envelope) error {
	switch env.Type {
	case protocol.TypePlan:
		return d.onPlan(s, env)
	case protocol.TypeTimeResponse:
		t4 := d.Clock.Local()
		var r protocol.TimeResponse
		if err := protocol.DecodeBody(env, &r); err != nil {
			return err
		}
		d.Clock.Add(r.T1, r.T2, r.T3, t4)
		return nil
	case protocol.TypeAck:
		var a protocol.Ack
		if err := protocol.DecodeBody(env, &a); err != nil {
			return err
		}
		d.mu.Lock()
		b, ok := d.pending[a.Ref]
		delete(d.pending, a.Ref)
		d.mu.Unlock()
		if ok {
			if err := d.Journal.Ack(b); err != nil {
				d.log.Error("journal ack", "err", err)
			}
			if len(b.Records) == uploadBatch {
				go d.upload() // more waiting
			}
		}
		return nil
	case protocol.TypeError:
		// Logged by the link. A refused batch of play records is sent
		// again at the next upload.
		var e protocol.Error
		if protocol.DecodeBody(env, &e) == nil {
			d.mu.Lock()
			delete(d.pending, e.Ref)
			d.mu.Unlock()
		}
		return nil
	case protocol.TypeCommand:
		var c protocol.Command
		if err := protocol.DecodeBody(env, &c); err != nil {
			return err
		}
		res := protocol.CommandResult{Ref: env.ID, OK: true}
		if err := d.command(c); err != nil {
			res.OK, res.Error = false, err.Error()
		}
		_, err := s.Send(protocol.TypeCommandResult, res)
		if res.OK && c.Name != protocol.CmdScreenshot {
			// The dashboard shows the new state (blanked, test pattern) at
			// once, not at the next report: the player takes the command up
			// on its next frame.
			d.reportSoon(300*time.Millisecond, false)
		}
		return err
	}
	return link.ErrUnknownType
}

// onPlan checks a plan and, if it is good, saves it, plays it and acks it. A
// plan it cannot play (a newer schema, another panel size, a bad plan) is
// refused: the controller gets the error, health says so until a plan is
// taken, and the agent keeps playing the one it has.
func (d *Daemon) onPlan(s *link.Session, env protocol.Envelope) error {
	if err := d.takePlan(env); err != nil {
		return err
	}
	_, err := s.Send(protocol.TypeAck, protocol.Ack{Ref: env.ID})
	return err
}

// takePlan is onPlan but for the answer.
func (d *Daemon) takePlan(env protocol.Envelope) error {
	// A newer controller's plan may hold fields this build does not know,
	// which the strict decoder refuses before anything looks at the schema:
	// read the schema first, leniently, so the refusal says why.
	var head struct {
		Plan struct {
			Schema   int   `json:"schema"`
			Revision int64 `json:"revision"`
		} `json:"plan"`
	}
	_ = json.Unmarshal(env.Body, &head)
	if head.Plan.Schema > protocol.PlanSchema {
		return d.refuse(head.Plan.Revision, &protocol.SchemaError{Schema: head.Plan.Schema})
	}
	var m protocol.PlanMessage
	if err := protocol.DecodeBody(env, &m); err != nil {
		return d.refuse(head.Plan.Revision, err)
	}
	size := d.drv.Bounds().Size()
	if m.Plan.Panel.Width != size.X || m.Plan.Panel.Height != size.Y {
		return d.refuse(m.Plan.Revision, fmt.Errorf("plan is for a %dx%d panel, this panel is %dx%d", m.Plan.Panel.Width, m.Plan.Panel.Height, size.X, size.Y))
	}
	sched, err := protocol.Compile(&m.Plan)
	if err != nil {
		return d.refuse(m.Plan.Revision, err)
	}
	d.mu.Lock()
	d.refused, d.refusedRev = "", 0
	d.mu.Unlock()
	// The controller's plan is the one to play, even with a lower revision
	// (a controller restored from a backup); the same revision is a resend.
	if m.Plan.Revision != d.planRevision() {
		if err := SavePlan(d.dir, &m.Plan); err != nil {
			d.log.Error("cannot save the plan; playing it from memory", "err", err)
		}
		d.Player.SetSchedule(sched)
		d.log.Info("new plan", "revision", m.Plan.Revision, "entries", len(m.Plan.Entries), "assets", len(m.Plan.Assets))
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// refuse records why the plan of revision rev was not taken, for health,
// and returns the error for the controller.
func (d *Daemon) refuse(rev int64, err error) error {
	d.log.Warn("plan refused; keeping the current one", "revision", rev, "err", err)
	d.mu.Lock()
	d.refused, d.refusedRev = err.Error(), rev
	d.mu.Unlock()
	// The dashboard shows the refusal now, not at the next report.
	d.reportSoon(300*time.Millisecond, false)
	return err
}

// syncLoop fetches what the plan needs in the next 48 hours and evicts what
// it no longer needs.
func (d *Daemon) syncLoop(ctx context.Context) {
	// Re-hash the cache once per start, beside playback rather than before
	// it: files are only ever renamed into place complete, and the player's
	// decoders check CRCs, so this catches bit rot without delaying the
	// first frame by the time it takes to hash gigabytes on a small board.
	if bad, _ := d.Cache.Verify(); len(bad) > 0 {
		d.log.Warn("removed corrupt cached files; they will be fetched again", "count", len(bad))
		d.Player.Restart()
	}
	t := time.NewTicker(resyncInterval)
	defer t.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	failures := 0
	for {
		if d.syncOnce(ctx) {
			failures = 0
			retry.Stop()
		} else {
			failures++
			retry.Reset(link.Backoff(failures, retryMin, resyncInterval, rand.Float64))
		}
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-d.linkUp:
			failures = 0
		case <-retry.C:
		case <-t.C:
		}
	}
}

// syncOnce makes one pass over the plan's assets; it reports whether every
// one is cached (true without a plan).
func (d *Daemon) syncOnce(ctx context.Context) bool {
	sched := d.Player.Schedule()
	if sched == nil {
		return true
	}
	now := d.Clock.Now()
	// What plays in the next 48 hours first, in the order it plays, then
	// the rest of the plan (content valid from next week, a rotation of
	// the weekend): an agent cut off for days has all the plan holds.
	need := map[string]bool{}
	order := sched.AssetsBetween(now, now.Add(SyncHorizon))
	for _, sha := range order {
		need[sha] = true
	}
	sizes := map[string]int64{}
	var total int64
	for _, a := range sched.Plan().Assets {
		sizes[a.SHA256] = a.Bytes
		total += a.Bytes
		if !need[a.SHA256] {
			need[a.SHA256] = true
			order = append(order, a.SHA256)
		}
	}
	var done int64
	for _, sha := range order {
		if d.Cache.Has(sha) {
			done += sizes[sha]
		}
	}
	d.mu.Lock()
	d.syncDone, d.syncTotal = done, total
	d.mu.Unlock()
	var missing []string
	storageErr := ""
	for _, sha := range order {
		if ctx.Err() != nil {
			return false
		}
		if d.Cache.Has(sha) {
			continue
		}
		err := d.Cache.Fetch(ctx, sha, func(n int64) {
			d.mu.Lock()
			d.syncDone += n
			d.mu.Unlock()
		})
		if err != nil {
			missing = append(missing, sha)
			if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
				storageErr = err.Error()
			}
			d.log.Warn("asset download failed; will retry", "asset", sha[:12], "err", err)
		}
	}
	d.mu.Lock()
	d.storageErr = storageErr
	d.mu.Unlock()
	d.mu.Lock()
	d.missing = missing
	rev := sched.Plan().Revision
	report := len(missing) == 0 && rev != d.syncedRev
	if report {
		d.syncedRev = rev
	}
	d.mu.Unlock()
	if report {
		d.log.Info("content synced", "revision", rev, "assets", len(order), "bytes", total)
		// Show the dashboard the new content soon, not at the next report:
		// the player takes it up on its next frame.
		d.reportSoon(time.Second, true)
	}
	// Keep everything the plan lists.
	keep := map[string]bool{}
	for _, a := range sched.Plan().Assets {
		keep[a.SHA256] = true
	}
	quota := d.cfg.CacheMB << 20
	if quota <= 0 {
		quota = 2048 << 20
	}
	d.Cache.Evict(keep, quota)
	return len(missing) == 0
}

func (d *Daemon) reportLoop(ctx context.Context) {
	health := time.NewTicker(HealthInterval)
	shot := time.NewTicker(ScreenshotInterval)
	timeSync := time.NewTicker(TimeSyncInterval)
	upload := time.NewTicker(UploadInterval)
	defer health.Stop()
	defer shot.Stop()
	defer timeSync.Stop()
	defer upload.Stop()
	// Reports asked for soon (reportSoon) are sent from here, so none is
	// sent once Run has returned.
	soon := time.NewTimer(time.Hour)
	soon.Stop()
	defer soon.Stop()
	kick := d.soonKick()
	arm := func() {
		d.mu.Lock()
		next, ok := d.soon.next()
		d.mu.Unlock()
		if ok {
			soon.Reset(time.Until(next))
		}
	}
	arm()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
			arm()
		case <-soon.C:
			d.mu.Lock()
			health, shot := d.soon.due(time.Now())
			d.mu.Unlock()
			if health {
				d.sendHealth()
			}
			if shot {
				d.sendScreenshot()
			}
			arm()
		case <-health.C:
			d.sendHealth()
		case <-shot.C:
			d.sendScreenshot()
		case <-timeSync.C:
			if s := d.session(); s != nil {
				go d.syncClock(s, clock.Burst)
			}
		case <-upload.C:
			d.upload()
		}
	}
}

// soonReports are the reports asked for before their period: health (and
// a screenshot) shortly after a command or a plan, so the dashboard sees the
// change when it happens.
type soonReports struct {
	kick chan struct{} // tells reportLoop the earliest may have changed
	at   []soonReport
}

type soonReport struct {
	at   time.Time // local monotonic time
	shot bool      // a screenshot too
}

// next is the earliest report asked for.
func (q *soonReports) next() (time.Time, bool) {
	if len(q.at) == 0 {
		return time.Time{}, false
	}
	first := q.at[0].at
	for _, r := range q.at[1:] {
		if r.at.Before(first) {
			first = r.at
		}
	}
	return first, true
}

// due takes the reports due at now off the queue: one health report for
// them all, and a screenshot if one of them asked for it.
func (q *soonReports) due(now time.Time) (health, shot bool) {
	keep := q.at[:0]
	for _, r := range q.at {
		if r.at.After(now) {
			keep = append(keep, r)
			continue
		}
		health, shot = true, shot || r.shot
	}
	q.at = keep
	return health, shot
}

// soonKick is reportLoop's signal that a report was asked for.
func (d *Daemon) soonKick() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.soon.kick == nil {
		d.soon.kick = make(chan struct{}, 1)
	}
	return d.soon.kick
}

// reportSoon has reportLoop send health (and a screenshot, with shot) after
// delay rather than at the next period. It never blocks; once Run has
// returned nothing is sent.
func (d *Daemon) reportSoon(delay time.Duration, shot bool) {
	kick := d.soonKick()
	d.mu.Lock()
	d.soon.at = append(d.soon.at, soonReport{at: time.Now().Add(delay), shot: shot})
	d.mu.Unlock()
	select {
	case kick <- struct{}{}:
	default:
	}
}

// syncClock makes a burst of n clock exchanges, spaced so that they meet
// different delays on the link (clock.BurstSpacing); it stops when the
// session ends.
func (d *Daemon) syncClock(s *link.Session, n int) {
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(clock.BurstSpacing)
		}
		if _, err := s.Send(protocol.TypeTimeRequest, protocol.TimeRequest{T1: d.Clock.Local()}); err != nil {
			return
		}
	}
}

// upload sends the next batch of proof-of-play records, one batch in flight.
// The batch is registered under its message id before it is sent, so an
// ack that comes back at once is not missed.
func (d *Daemon) upload() {
	s := d.session()
	if s == nil {
		return
	}
	d.mu.Lock()
	if len(d.pending) > 0 {
		d.mu.Unlock()
		return
	}
	b, err := d.Journal.Pending(uploadBatch)
	if err != nil || len(b.Records) == 0 {
		d.mu.Unlock()
		return
	}
	id := protocol.NewID()
	d.pending[id] = b
	d.mu.Unlock()
	if err := s.SendAs(id, protocol.TypePlayRecords, protocol.PlayRecords{Records: b.Records, Dropped: b.Dropped}); err != nil {
		d.mu.Lock()
		delete(d.pending, id)
		d.mu.Unlock()
	}
}

// Health gathers the agent's state.
func (d *Daemon) Health() protocol.Health {
	st := d.Player.Status()
	offset, rtt, _ := d.Clock.Status()
	d.mu.Lock()
	done, total, missing, storageErr := d.syncDone, d.syncTotal, append([]string(nil), d.missing...), d.storageErr
	refused, refusedRev := d.refused, d.refusedRev
	d.mu.Unlock()
	if storageErr == "" {
		storageErr = st.RecordError
	}
	for sha := range st.Broken {
		missing = append(missing, sha)
	}
	_, dropped := d.Journal.Stats()
	h := protocol.Health{
		UptimeMS: time.Since(d.started).Milliseconds(), AgentVersion: d.version,
		PlanRevision: d.planRevision(), CurrentItem: st.CurrentItem, CurrentAsset: st.CurrentAsset,
		Fallback: st.Fallback, FallbackCode: st.FallbackCode, TargetFPS: st.TargetFPS, AchievedFPS: st.AchievedFPS,
		FramesDropped: st.FramesDropped, Frozen: st.Frozen, DriverState: st.DriverState, DriverError: st.DriverError,
		ClockOffsetMS: float64(offset) / float64(time.Millisecond), ClockRTTMS: float64(rtt) / float64(time.Millisecond),
		CacheBytes: d.Cache.Bytes(), SyncDone: done, SyncTotal: total, Missing: missing,
		PlayDropped: dropped, StorageError: storageErr, BrightnessOverride: st.BrightnessOverride, BrightnessUntil: st.BrightnessUntil,
		Brightness: &st.Brightness, BrightnessSource: st.BrightnessSource, PowerOff: st.PowerOff, PlanRefused: refused, PlanRefusedRevision: refusedRev,
		At: d.Clock.Now().UTC(),
	}
	if sr, ok := d.drv.(driver.StateReporter); ok {
		// Frames drawn that the link could not carry (a serial line
		// slower than the frame rate) are frames the panel never showed.
		// A video output's missed page flips are such frames too.
		st := sr.State()
		h.FramesDropped += st.Dropped
		h.DriverMode = st.Mode
	}
	h.DiskFreeBytes = diskFree(d.dir)
	h.MemoryBytes = memoryRSS()
	h.CPUTempC = cpuTemp()
	return h
}

func (d *Daemon) sendHealth() {
	if s := d.session(); s != nil {
		_, _ = s.Send(protocol.TypeHealth, d.Health())
	}
}

func (d *Daemon) sendScreenshot() {
	s := d.session()
	if s == nil {
		return
	}
	img := d.Player.Snapshot()
	if img == nil {
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return
	}
	_, _ = s.Send(protocol.TypeScreenshot, protocol.Screenshot{At: d.Clock.Now().UTC(), PNG: buf.Bytes()})
}
