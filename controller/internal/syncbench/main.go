// Command syncbench measures how together the screens of one group switch
// slides, for `make bench` (issue 10):
//
//	sync_agents=8 transitions=… skew_p50_ms=… skew_p99_ms=… skew_max_ms=…
//
// It starts a controller (--demo, on a temporary data directory) and eight
// real pano-agent processes, each enrolled for a display of one group that
// plays one rotation of solid-colour slides of 1–2 s. Every agent runs with
// its own clock put off by up to ±2 s (PANO_CLOCK_SKEW) and reaches the
// controller through a TCP proxy that holds every chunk 20 ± 10 ms in each
// direction, so it plays on controller time only through its clock sync.
// Half the agents drive E1.31, half DDP, each to a UDP port of one receiver
// written here from the protocol specs, which stamps (in the kernel) the
// first packet of every new slide. A transition's skew is the latest minus
// the earliest agent's first packet of the same item start.
//
// A second line breaks the skew down. Lag is first packet − the item's
// start on the plan (controller time is this machine's clock). The player
// draws on ticks every 40 ms of controller time, so an item starting between
// two ticks appears at the next one: lag_on_tick and lag_off_tick show it.
// Less that phase, an agent's median lag is its clock sync error plus a part
// common to all (clock_spread compares the agents), and its scatter around
// the median is pacing: timer wake-up, scheduling, the driver's send. With
// -v, each agent's lags beside the clock error its health reports.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pano-signage/pano/controller/internal/apiclient"
	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/protocol"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	agents  int
	window  time.Duration
	skew    time.Duration
	delay   time.Duration
	jitter  time.Duration
	bin     string
	seed    uint64
	verbose bool
	keep    bool
}

// The slides: solid colours far apart, so a pixel names its slide. The
// durations are whole frames at 25 fps (40 ms) except 1500 ms, whose starts
// fall between two frame ticks: that shows whether a slide starts at its
// start or at the next tick.
var slides = []struct {
	rgb [3]byte
	ms  int
}{
	{[3]byte{255, 0, 0}, 1000},
	{[3]byte{0, 255, 0}, 1500},
	{[3]byte{0, 0, 255}, 1000},
	{[3]byte{255, 255, 0}, 2000},
	{[3]byte{0, 255, 255}, 1500},
}

const panelW, panelH, fps = 64, 32, 25

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("syncbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.agents, "agents", 8, "agents in the group")
	fs.DurationVar(&c.window, "window", 60*time.Second, "how long transitions are measured")
	fs.DurationVar(&c.skew, "skew", 2*time.Second, "each agent's clock is off by a random amount within ± this")
	fs.DurationVar(&c.delay, "delay", 20*time.Millisecond, "link delay per direction")
	fs.DurationVar(&c.jitter, "jitter", 10*time.Millisecond, "link delay varies by ± this (uniform, per chunk)")
	fs.StringVar(&c.bin, "bin", "", "directory holding pano-controller and pano-agent (default: build them)")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed for clock offsets and delays (default: from the time)")
	fs.BoolVar(&c.verbose, "v", false, "print each agent's figures")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (logs)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.agents < 2 || c.window <= 0 {
		fmt.Fprintln(stderr, "syncbench: need at least 2 agents and a positive window")
		return 2
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	b := &bench{cfg: c, out: stdout, log: stderr}
	err := b.run()
	b.stop()
	if err != nil {
		fmt.Fprintln(stderr, "syncbench:", err)
		return 1
	}
	return 0
}

type bench struct {
	cfg      config
	out, log io.Writer
	dir      string
	ctlBin   string
	agentBin string
	ctl      *childproc.Proc
	prx      *proxy
	agents   []*agent
	api      string
	tech     *apiclient.Client
	appr     *apiclient.Client
	author   *apiclient.Client // drafts and submits: the two-person rule keeps the approver from approving their own work
}

type agent struct {
	name    string
	proto   string
	skew    time.Duration
	display int64
	rx      *port
	proc    *childproc.Proc
}

func (b *bench) run() error {
	var err error
	if b.dir, err = os.MkdirTemp("", "syncbench"); err != nil {
		return err
	}
	if err := b.binaries(); err != nil {
		return err
	}
	if err := b.startController(); err != nil {
		return err
	}
	if b.prx, err = newProxy(strings.TrimPrefix(b.api, "http://"), b.cfg.delay, b.cfg.jitter, b.cfg.seed); err != nil {
		return err
	}
	media, err := b.setUp()
	if err != nil {
		return err
	}
	if err := b.startAgents(); err != nil {
		return err
	}
	// Ready when every agent has all the slides (its log says so) and plays
	// them (its first slide colour on the receiver). Until then an agent
	// may show another slide in place of one still downloading.
	synced := regexp.MustCompile(fmt.Sprintf(`msg="content synced" revision=\d+ assets=%d`, len(slides)))
	for _, a := range b.agents {
		if _, err := a.proc.WaitLine(synced, 3*time.Minute); err != nil {
			return fmt.Errorf("agent %s: %v:\n%s", a.name, err, a.proc.Tail())
		}
		select {
		case <-a.rx.started:
		case <-a.proc.Done:
			return fmt.Errorf("agent %s exited before playing:\n%s", a.name, a.proc.Tail())
		case <-time.After(time.Minute):
			return fmt.Errorf("agent %s synced but sent no slide within a minute:\n%s", a.name, a.proc.Tail())
		}
	}
	plan, err := b.appr.Plan(b.agents[0].display)
	if err != nil {
		return err
	}
	sched, err := protocol.Compile(&plan)
	if err != nil {
		return err
	}
	// The window opens 200 ms before an item start, and after the last
	// agent's switch from a stand-in slide to the right one (the frame
	// after its sync); it lasts a duration, and a transition cut by its end
	// is counted as incomplete.
	ready := time.Now()
	slot, ok := sched.At(ready)
	for ok && slot.End.Sub(ready) < 300*time.Millisecond {
		slot, ok = sched.At(slot.End)
	}
	if !ok {
		return errors.New("the plan has nothing on now")
	}
	from := slot.End.Add(-200 * time.Millisecond)
	to := from.Add(b.cfg.window)
	loadFrom := loadavg()
	time.Sleep(time.Until(to) + 100*time.Millisecond) // the measuring window is a duration
	loadTo := loadavg()

	health := map[string]*protocol.Health{}
	for _, a := range b.agents {
		if h, err := b.appr.Health(a.display); err == nil {
			health[a.name] = h
		}
	}
	b.report(sched, media, from, to, health, loadFrom+"→"+loadTo)
	return nil
}

// binaries are the two programs, from -bin or built here.
func (b *bench) binaries() error {
	if b.cfg.bin != "" {
		b.ctlBin, b.agentBin = filepath.Join(b.cfg.bin, "pano-controller"), filepath.Join(b.cfg.bin, "pano-agent")
		return nil
	}
	b.ctlBin, b.agentBin = filepath.Join(b.dir, "pano-controller"), filepath.Join(b.dir, "pano-agent")
	for _, x := range []struct{ out, pkg, cgo string }{{b.ctlBin, "./controller", "1"}, {b.agentBin, "./agent", "0"}} {
		cmd := exec.Command("go", "build", "-o", x.out, x.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+x.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", x.pkg, err, out)
		}
	}
	return nil
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

func (b *bench) startController() error {
	data := filepath.Join(b.dir, "controller")
	var err error
	b.ctl, err = childproc.Start(filepath.Join(b.dir, "controller.log"), nil, b.ctlBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", data)
	if err != nil {
		return err
	}
	line, err := b.ctl.WaitLine(listening, 60*time.Second)
	if err != nil {
		return fmt.Errorf("controller: %v\n%s", err, b.ctl.Tail())
	}
	b.api = listening.FindStringSubmatch(line)[1]
	b.tech, b.appr, b.author = apiclient.New(b.api, 30*time.Second), apiclient.New(b.api, 30*time.Second), apiclient.New(b.api, 30*time.Second)
	if err := b.tech.Login("technician"); err != nil {
		return err
	}
	if err := b.author.Login("admin"); err != nil {
		return err
	}
	return b.appr.Login("approver")
}

// setUp creates the group, its displays, the slides, the rotation and its
// schedule, and returns the media ID of each slide.
func (b *bench) setUp() ([]int64, error) {
	var g struct{ ID int64 }
	if err := b.tech.Call("POST", "/groups", map[string]any{"name": "syncbench"}, &g); err != nil {
		return nil, err
	}
	rnd := rand.New(rand.NewPCG(b.cfg.seed, 1))
	for i := 0; i < b.cfg.agents; i++ {
		a := &agent{name: fmt.Sprintf("sync-%d", i+1), proto: "e131"}
		profile := "e131"
		if i%2 == 1 {
			a.proto, profile = "ddp", "ddp-wled"
		}
		a.skew = time.Duration(rnd.Int64N(int64(2*b.cfg.skew)+1)) - b.cfg.skew
		var d struct{ ID int64 }
		if err := b.tech.Call("POST", "/displays", map[string]any{"name": a.name, "width": panelW, "height": panelH, "profile": profile, "group_id": g.ID}, &d); err != nil {
			return nil, err
		}
		a.display = d.ID
		b.agents = append(b.agents, a)
	}
	var media []int64
	var items []any
	for i, s := range slides {
		id, err := b.slide(fmt.Sprintf("syncbench %d", i+1), s.rgb)
		if err != nil {
			return nil, err
		}
		media = append(media, id)
		items = append(items, map[string]any{"media_id": id, "duration_ms": s.ms})
	}
	var pl struct{ ID int64 }
	if err := b.author.Call("POST", "/playlists", map[string]any{"name": "syncbench", "items": items}, &pl); err != nil {
		return nil, err
	}
	if err := b.author.Call("POST", fmt.Sprintf("/playlists/%d/submit", pl.ID), nil, nil); err != nil {
		return nil, err
	}
	if err := b.appr.Call("POST", fmt.Sprintf("/playlists/%d/approve", pl.ID), nil, nil); err != nil {
		return nil, err
	}
	today := time.Now().UTC()
	err := b.appr.Call("POST", "/schedules", map[string]any{
		"playlist_id": pl.ID, "group_id": g.ID,
		"starts_on": today.AddDate(0, 0, -1).Format(time.DateOnly), "ends_on": today.AddDate(0, 0, 2).Format(time.DateOnly),
		"weekdays": 127, "start_time": "00:00", "end_time": "24:00", "priority": 50,
	}, nil)
	return media, err
}

// slide uploads and submits a solid-colour PNG of the panel's size, and
// has the approver approve it once the pipeline has made its renditions.
func (b *bench) slide(title string, rgb [3]byte) (int64, error) {
	img := image.NewRGBA(image.Rect(0, 0, panelW, panelH))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = rgb[0], rgb[1], rgb[2], 255
	}
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		return 0, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", title)
	fw, _ := mw.CreateFormFile("file", strings.ReplaceAll(title, " ", "-")+".png")
	fw.Write(pngData.Bytes())
	mw.Close()
	var m struct {
		ID         int64
		Processing string
	}
	if err := b.author.Do("POST", "/media", mw.FormDataContentType(), &body, &m); err != nil {
		return 0, err
	}
	for i := 0; m.Processing != "ready" && m.Processing != ""; i++ {
		if i == 600 {
			return 0, fmt.Errorf("media %d still %q after 60 s", m.ID, m.Processing)
		}
		time.Sleep(100 * time.Millisecond) // the pipeline has no signal over HTTP: bounded poll
		if err := b.author.Call("GET", fmt.Sprintf("/media/%d", m.ID), nil, &m); err != nil {
			return 0, err
		}
	}
	if err := b.author.Call("POST", fmt.Sprintf("/media/%d/submit", m.ID), nil, nil); err != nil {
		return 0, err
	}
	if err := b.appr.Call("POST", fmt.Sprintf("/media/%d/approve", m.ID), nil, nil); err != nil {
		return 0, err
	}
	return m.ID, nil
}

// startAgents enrols each agent through the proxy and starts it with its
// clock skew and its own receiver port.
func (b *bench) startAgents() error {
	palette := make([][3]byte, len(slides))
	for i, s := range slides {
		palette[i] = s.rgb
	}
	for _, a := range b.agents {
		var err error
		if a.rx, err = listenPort(a.proto, palette); err != nil {
			return err
		}
		go a.rx.run()
		var code struct{ Code string }
		if err := b.tech.Call("POST", fmt.Sprintf("/displays/%d/enrollment-codes", a.display), nil, &code); err != nil {
			return err
		}
		state := filepath.Join(b.dir, a.name)
		profile := map[string]string{"e131": "e131", "ddp": "ddp-wled"}[a.proto]
		enrol := exec.Command(b.agentBin, "enroll", "--controller", "ws://"+b.prx.addr(), "--code", code.Code, "--state", state,
			"--profile", profile, "--name", a.name, "--set", "host=127.0.0.1", "--set", fmt.Sprintf("port=%d", a.rx.addr()),
			"--set", fmt.Sprintf("width=%d", panelW), "--set", fmt.Sprintf("height=%d", panelH), "--set", "gamma=1")
		if out, err := enrol.CombinedOutput(); err != nil {
			return fmt.Errorf("enrol %s: %v\n%s", a.name, err, out)
		}
		a.proc, err = childproc.Start(filepath.Join(b.dir, a.name+".log"), []string{"PANO_CLOCK_SKEW=" + a.skew.String()},
			b.agentBin, "run", "--state", state)
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) stop() {
	for _, a := range b.agents {
		if a.proc != nil {
			a.proc.Stop()
		}
		if a.rx != nil {
			a.rx.conn.Close()
		}
	}
	if b.prx != nil {
		b.prx.close()
	}
	if b.ctl != nil {
		b.ctl.Stop()
	}
	if b.dir == "" {
		return
	}
	if b.cfg.keep {
		fmt.Fprintln(b.log, "syncbench: logs kept in", b.dir)
		return
	}
	os.RemoveAll(b.dir)
}

// report matches every agent's slide starts to the plan's item starts and
// prints the figures.
func (b *bench) report(sched *protocol.Schedule, media []int64, from, to time.Time, health map[string]*protocol.Health, load string) {
	interval := time.Second / fps
	// lags[item start, Unix ms][agent] = first packet − item start, ms.
	lags := map[int64]map[string]float64{}
	wrong := 0
	for _, a := range b.agents {
		for _, ev := range a.rx.snapshot() {
			if ev.at.Before(from) || !ev.at.Before(to) {
				continue
			}
			slot, ok := nearestStart(sched, ev.at)
			if !ok || slot.Item.Media != media[ev.slide] {
				wrong++
				if b.cfg.verbose {
					fmt.Fprintf(b.out, "  unmatched: %s showed slide %d at %s; nearest start %s (media %d, slide %d is media %d)\n",
						a.name, ev.slide+1, ev.at.UTC().Format("15:04:05.000"), slot.Start.UTC().Format("15:04:05.000"), slot.Item.Media, ev.slide+1, media[ev.slide])
				}
				continue
			}
			k := slot.Start.UnixMilli()
			if lags[k] == nil {
				lags[k] = map[string]float64{}
			}
			lags[k][a.name] = ms(ev.at.Sub(slot.Start))
		}
	}
	keys := make([]int64, 0, len(lags))
	for k := range lags {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })

	// phase is how long after an item's start the player's next frame tick
	// comes (ticks are multiples of the frame interval on controller time);
	// tickLag = lag − phase is what is left to clock error and pacing.
	var skews, onTick, offTick []float64
	tickLags := map[string][]float64{}
	incomplete := 0
	var worst []string
	for _, k := range keys {
		at := lags[k]
		if len(at) < len(b.agents) {
			incomplete++
			continue
		}
		start := time.UnixMilli(k)
		tick := start.Truncate(interval)
		if tick.Before(start) {
			tick = tick.Add(interval)
		}
		phase := ms(tick.Sub(start))
		lo, hi := math.Inf(1), math.Inf(-1)
		for name, l := range at {
			lo, hi = min(lo, l), max(hi, l)
			tickLags[name] = append(tickLags[name], l-phase)
			if phase == 0 {
				onTick = append(onTick, l)
			} else {
				offTick = append(offTick, l)
			}
		}
		skews = append(skews, hi-lo)
		if b.cfg.verbose && hi-lo > 10 {
			line := fmt.Sprintf("  transition %s (phase %.0f ms) skew %.1f ms:", start.UTC().Format("15:04:05.000"), phase, hi-lo)
			for _, a := range b.agents {
				line += fmt.Sprintf(" %.1f", at[a.name])
			}
			worst = append(worst, line)
		}
	}
	sort.Float64s(skews)
	e131, ddp := 0, 0
	for _, a := range b.agents {
		if a.proto == "e131" {
			e131++
		} else {
			ddp++
		}
	}
	fmt.Fprintf(b.out, "sync_agents=%d transitions=%d skew_p50_ms=%.1f skew_p99_ms=%.1f skew_max_ms=%.1f (%d×%d, %d E1.31 + %d DDP, clocks off by up to ±%v, link %v ± %v per direction, %v window; aim: p99 ≤ 5)\n",
		len(b.agents), len(skews), pct(skews, 50), pct(skews, 99), pct(skews, 100),
		panelW, panelH, e131, ddp, b.cfg.skew, b.cfg.delay, b.cfg.jitter, b.cfg.window)

	// The breakdown: an agent's median tick lag is its clock error plus a
	// part common to all (drawing and sending); its scatter around that
	// median is pacing (timer wake-up, scheduling, the driver's send).
	medians := map[string]float64{}
	var spreadLo, spreadHi float64 = math.Inf(1), math.Inf(-1)
	var scatter []float64
	for _, a := range b.agents {
		l := append([]float64(nil), tickLags[a.name]...)
		sort.Float64s(l)
		m := pct(l, 50)
		medians[a.name] = m
		spreadLo, spreadHi = min(spreadLo, m), max(spreadHi, m)
		for _, x := range l {
			scatter = append(scatter, math.Abs(x-m))
		}
	}
	sort.Float64s(scatter)
	sort.Float64s(onTick)
	sort.Float64s(offTick)
	var dropped int64
	for _, h := range health {
		dropped += h.FramesDropped
	}
	fmt.Fprintf(b.out, "sync_breakdown: clock_spread_ms=%.1f (max − min over agents of the median lag after the next frame tick) pacing_p99_ms=%.1f (an agent's scatter around its median) lag_on_tick_p50_ms=%.1f lag_off_tick_p50_ms=%.1f (first packet − item start, for starts on a 40 ms frame tick / 20 ms before one) incomplete=%d unmatched=%d frames_dropped=%d load_1m=%s seed=%d\n",
		spreadHi-spreadLo, pct(scatter, 99), pct(onTick, 50), pct(offTick, 50), incomplete, wrong, dropped, load, b.cfg.seed)
	if !b.cfg.verbose {
		return
	}
	for _, l := range worst {
		fmt.Fprintln(b.out, l)
	}
	for _, a := range b.agents {
		l := append([]float64(nil), tickLags[a.name]...)
		sort.Float64s(l)
		line := fmt.Sprintf("  %s %-4s skew=%+8.1fms starts=%d tick_lag min=%.1f p50=%.1f max=%.1f", a.name, a.proto, ms(a.skew), len(l), pct(l, 0), pct(l, 50), pct(l, 100))
		if h := health[a.name]; h != nil {
			// offset = controller − agent = −skew when exact; the rest is
			// the sync error: positive plays early.
			line += fmt.Sprintf(" clock_error=%+.1fms rtt=%.1fms dropped=%d", h.ClockOffsetMS+ms(a.skew), h.ClockRTTMS, h.FramesDropped)
		}
		fmt.Fprintln(b.out, line)
	}
}

// nearestStart is the plan's slot whose start is nearest t (an agent may
// be a little early or late).
func nearestStart(sched *protocol.Schedule, t time.Time) (protocol.Slot, bool) {
	s, ok := sched.At(t)
	if !ok {
		return s, false
	}
	if t.Sub(s.Start) > s.End.Sub(t) {
		return sched.At(s.End)
	}
	return s, true
}

// loadavg is the machine's one-minute load (Linux), to read the figures
// by: other work on the cores delays the agents' frames.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pct is the nearest-rank percentile of sorted xs (NaN for none).
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(p/100*float64(len(xs)))) - 1
	return xs[max(0, min(i, len(xs)-1))]
}
