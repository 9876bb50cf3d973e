// Command loadgen holds thousands of simulated pano agents on one controller
// and measures what that costs the controller, for `make bench` (issue 14):
//
//	hub_agents=N rss_kib_per_agent=… idle_cpu_pct=… notice_max_ms=… notice_p99_ms=… notice_p50_ms=… applied_p99_ms=… connect_all_s=… storm_s=… drops=…
//	peer=gorilla-hub agents=N max_ms=… p99_ms=… p50_ms=… kib_per_conn=… ratio=…
//	peer=mosquitto agents=N max_ms=… p99_ms=… p50_ms=… kib_per_conn=… ratio=…
//
// It starts a controller (--demo, on a temporary data directory), creates N
// displays of 128×64 through the API, enrols one simulated agent per display
// with a one-time code (POST /agent/v1/enroll) and restarts the controller,
// so that every agent then connects to a cold one. Each agent speaks
// protocol v1 as pano-agent does (docs/PROTOCOL.md): hello with its device
// credential, clock-sync bursts, heartbeats, health every 10 s, a PNG
// screenshot a minute, and every plan decoded, validated, compiled and
// acked. The agents dial from 127.0.0.2–127.0.0.9, so that N may exceed the
// ephemeral ports of one source address.
//
// Then, in order: the time for all to connect from cold; an idle window
// (the controller's CPU and RSS, and links dropped); an urgent notice sent
// through the API, timed from the call until each agent has the plan that
// carries it (notice_*) and has acked it (applied); and a reconnect storm
// (every socket cut at once, timed until all are welcomed again).
//
// The peers, in the same run: the same number of clients, from the same
// source addresses, each receiving one message of the size of pano's notice
// plan, from a plain gorilla/websocket hub (./gorillahub) and from Mosquitto.
// ratio is pano's notice_max_ms over the peer's max_ms.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pano-signage/pano/controller/internal/apiclient"
	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/controller/internal/simagent"
	"github.com/pano-signage/pano/protocol"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	agents int
	idle   time.Duration
	dials  int
	bin    string
	peers  string
	keep   bool
	wait   time.Duration
	pprof  string

	replicas  int           // > 1: that many controllers on PostgreSQL and NATS (runReplicas)
	playEvery time.Duration // replicas: a proof-of-play record per agent this often
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.agents, "agents", 1000, "simulated agents (and peer clients)")
	fs.DurationVar(&c.idle, "idle", 30*time.Second, "idle window for CPU, memory and drops")
	fs.IntVar(&c.dials, "dials", 512, "websocket dials in flight at once (the kernel's listen backlog is 4,096)")
	fs.StringVar(&c.bin, "bin", "", "directory holding pano-controller (default: build it)")
	fs.StringVar(&c.peers, "peers", "gorilla-hub,mosquitto", "peers to run beside pano, comma-separated; empty for none")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (logs, database)")
	fs.DurationVar(&c.wait, "wait", 5*time.Minute, "longest wait for all agents to connect, or to get the notice")
	fs.StringVar(&c.pprof, "pprof", "", "write a 3 s CPU profile of the controller around the urgent notice to this file, one of the connect's first 5 s to FILE.connect, one of the idle window to FILE.idle, and its heap and goroutines with every agent connected to FILE.heap and FILE.goroutine (serve --pprof)")
	fs.IntVar(&c.replicas, "replicas", 1, "controller replicas: more than 1 runs them on one PostgreSQL database and one NATS server, the agents spread over them, and measures a change through the first and the failover when the last is killed (no peers)")
	fs.DurationVar(&c.playEvery, "play-every", 20*time.Second, "with -replicas: how often each agent makes a proof-of-play record and sends it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.agents < 1 || c.idle <= 0 || c.dials < 1 || c.replicas < 1 || c.playEvery <= 0 {
		fmt.Fprintln(stderr, "loadgen: -agents, -idle, -dials, -replicas and -play-every must be positive")
		return 2
	}
	if err := c.check(); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	b := &bench{cfg: c, out: stdout, log: stderr}
	err := b.run()
	b.stop()
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	return 0
}

func (c config) check() error {
	for _, p := range c.peerList() {
		if p != "gorilla-hub" && p != "mosquitto" {
			return fmt.Errorf("-peers: unknown peer %q (use gorilla-hub, mosquitto)", p)
		}
	}
	return nil
}

func (c config) peerList() []string {
	var out []string
	for _, p := range strings.Split(c.peers, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sourceIPs are the loopback addresses the clients dial from, in turn.
var sourceIPs = func() []net.IP {
	var ips []net.IP
	for i := 2; i <= 9; i++ {
		ips = append(ips, net.IPv4(127, 0, 0, byte(i)))
	}
	return ips
}()

// panel is every simulated display's geometry.
var panel = protocol.Panel{Width: 128, Height: 64}

type bench struct {
	cfg       config
	out, log  io.Writer
	dir       string
	ctlBin    string
	ctl       *childproc.Proc
	api       string // http://host:port
	pprofAddr string // the controller's --pprof, with -pprof
	procs     []*childproc.Proc
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	agents    []*simagent.Agent

	result        panoResult
	cleanups      []func() // run by stop, last first, after the processes end
	replicaResult replicaResult

	// afterNotice, if set, runs once every agent has the urgent notice,
	// before the reconnect storm (the test checks the controller's side).
	afterNotice func(appr *apiclient.Client) error
}

// panoResult is what the pano line says; the peers' ratios use it.
type panoResult struct {
	noticeMax, noticeP99, noticeP50, appliedP99 float64 // ms
	msgBytes                                    int
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "loadgen: "+format+"\n", args...)
}

func (b *bench) run() error {
	limit, err := raiseNoFile()
	if err != nil {
		return fmt.Errorf("raise the open-file limit: %w", err)
	}
	if need := uint64(b.cfg.agents) + 200; limit < need {
		return fmt.Errorf("the open-file limit is %d; %d agents need %d (ulimit -n)", limit, b.cfg.agents, need)
	}
	if b.dir, err = os.MkdirTemp("", "loadgen"); err != nil {
		return err
	}
	if err := b.binaries(); err != nil {
		return err
	}
	if b.cfg.replicas > 1 {
		return b.runReplicas()
	}
	if err := b.runPano(); err != nil {
		return err
	}
	for _, p := range b.cfg.peerList() {
		var err error
		switch p {
		case "gorilla-hub":
			err = b.runGorilla()
		case "mosquitto":
			err = b.runMosquitto()
		}
		if err != nil {
			return fmt.Errorf("peer %s: %w", p, err)
		}
	}
	return nil
}

// binaries builds what -bin does not hold: the controller, and the gorilla
// hub (always built here: it is only this bench's).
func (b *bench) binaries() error {
	type target struct{ out, pkg, cgo string }
	var ts []target
	if b.cfg.bin != "" {
		b.ctlBin = filepath.Join(b.cfg.bin, "pano-controller")
	} else {
		b.ctlBin = filepath.Join(b.dir, "pano-controller")
		ts = append(ts, target{b.ctlBin, "./controller", "1"})
	}
	if slices.Contains(b.cfg.peerList(), "gorilla-hub") && b.cfg.replicas <= 1 {
		ts = append(ts, target{filepath.Join(b.dir, "gorillahub"), "./controller/internal/loadgen/gorillahub", "0"})
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return fmt.Errorf("find the module: %w", err)
	}
	for _, t := range ts {
		cmd := exec.Command("go", "build", "-o", t.out, t.pkg)
		cmd.Dir = strings.TrimSpace(string(root))
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+t.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", t.pkg, err, out)
		}
	}
	return nil
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

func (b *bench) startController(n int) error {
	var err error
	// Real screens come from addresses of their own; these share eight,
	// so the per-address cap (128 by default) is raised to let them in.
	perAddr := max(128, b.cfg.agents/len(sourceIPs)+128)
	args := []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--data", filepath.Join(b.dir, "data"),
		"--max-conns-per-address", fmt.Sprint(perAddr)}
	if b.cfg.pprof != "" {
		if b.pprofAddr, err = freeLoopbackAddr(); err != nil {
			return err
		}
		args = append(args, "--pprof", b.pprofAddr)
	}
	b.ctl, err = childproc.Start(filepath.Join(b.dir, fmt.Sprintf("controller-%d.log", n)), nil, b.ctlBin, args...)
	if err != nil {
		return err
	}
	line, err := b.ctl.WaitLine(listening, 60*time.Second)
	if err != nil {
		return fmt.Errorf("controller: %v (log in %s)", err, b.dir)
	}
	b.api = listening.FindStringSubmatch(line)[1]
	return nil
}

// freeLoopbackAddr is a loopback address with a port free a moment ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// profile fetches a CPU profile of the controller (serve --pprof at
// addr) of secs seconds into file.
func profile(addr string, secs int, file string) error {
	return fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), file)
}

// fetchProfile writes what a pprof URL answers into file.
func fetchProfile(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (b *bench) stop() {
	if b.cancel != nil {
		b.cancel()
		b.wg.Wait()
	}
	if b.ctl != nil {
		b.ctl.Stop()
	}
	for _, p := range b.procs {
		select {
		case <-p.Done: // killed
		default:
			p.Stop()
		}
	}
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
	if b.dir != "" {
		if b.cfg.keep {
			b.logf("kept %s", b.dir)
		} else {
			os.RemoveAll(b.dir)
		}
	}
}

func (b *bench) runPano() error {
	if err := b.startController(1); err != nil {
		return err
	}
	start := time.Now()
	if err := b.enrol(); err != nil {
		return err
	}
	b.logf("%d displays created and agents enrolled in %.1f s", b.cfg.agents, time.Since(start).Seconds())
	// The baseline: this controller with every display and no agent, its
	// garbage collected by the enrolment's traffic. A controller just
	// started holds start-up garbage (a login's argon2 hash alone is 64
	// MiB) until traffic triggers a collection, so its RSS is no baseline.
	rss0, err := settledRSS(b.ctl.PID())
	if err != nil {
		return err
	}
	// Cold: a controller that has not seen an agent since it started.
	b.ctl.Stop()
	if err := b.startController(2); err != nil {
		return err
	}

	f := simagent.NewFleet([]string{"ws" + strings.TrimPrefix(b.api, "http") + protocol.Path}, panel, screenshotPNG(), b.cfg.dials)
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	var connectProf chan error
	if b.cfg.pprof != "" {
		// What a cold connect costs the controller: its first 5 s.
		connectProf = make(chan error, 1)
		go func() { connectProf <- profile(b.pprofAddr, 5, b.cfg.pprof+".connect") }()
	}
	t0 := time.Now()
	for _, a := range b.agents {
		b.wg.Add(1)
		go func() { defer b.wg.Done(); a.Run(ctx, f, 0) }()
	}
	if connectProf != nil {
		defer func() {
			if err := <-connectProf; err != nil {
				b.logf("CPU profile of the connect: %v", err)
			}
		}()
	}
	welcomed := func(s simagent.State) time.Time { return s.WelcomeAt }
	missing := map[string]int{}
	left, err := b.waitAll("connect", t0, func(s simagent.State) bool { return s.WelcomeAt.After(t0) }, welcomed, 0)
	if err != nil {
		return err
	}
	missing["connect"] = left
	connectAll := latest(b.agents, welcomed).Sub(t0)
	// A plan follows the welcome, or never (the controller logs why): wait
	// until 15 s pass without one.
	planned := func(s simagent.State) time.Time { return s.PlanAt }
	if missing["plan"], err = b.waitAll("first plan", t0, func(s simagent.State) bool { return s.PlanCount > 0 }, planned, 15*time.Second); err != nil {
		return err
	}
	b.logf("%d connected in %.2f s; %d hold a plan after %.2f s", len(b.agents)-missing["connect"], connectAll.Seconds(),
		len(b.agents)-missing["plan"], latest(b.agents, planned).Sub(t0).Seconds())

	// Idle: every agent connected and holding its plan, reporting.
	drops0 := f.Drops.Load()
	cpu0, err := cpuTicks(b.ctl.PID())
	if err != nil {
		return err
	}
	idleFrom := time.Now()
	var idleProf chan error
	if b.cfg.pprof != "" {
		// What idle agents cost: a profile of the idle window's middle.
		idleProf = make(chan error, 1)
		secs := max(1, int(b.cfg.idle/time.Second)/2)
		go func() { idleProf <- profile(b.pprofAddr, secs, b.cfg.pprof+".idle") }()
	}
	// RSS moves with each garbage collection: the median of a sample every
	// 2 s over the window.
	var samples []int64
	for time.Since(idleFrom) < b.cfg.idle {
		x, err := rssKiB(b.ctl.PID())
		if err != nil {
			return err
		}
		samples = append(samples, x)
		time.Sleep(min(2*time.Second, b.cfg.idle-time.Since(idleFrom)))
	}
	cpu1, err := cpuTicks(b.ctl.PID())
	if err != nil {
		return err
	}
	idleCPU := float64(cpu1-cpu0) / clockTicks / time.Since(idleFrom).Seconds() * 100
	if idleProf != nil {
		if err := <-idleProf; err != nil {
			return fmt.Errorf("CPU profile of the idle window: %w", err)
		}
		b.logf("CPU profile of the idle window in %s.idle", b.cfg.pprof)
		// Where the memory per agent goes: the heap (after a collection)
		// and the goroutines, with every agent connected.
		for _, p := range []struct{ url, file string }{
			{"heap?gc=1", ".heap"}, {"goroutine", ".goroutine"},
			{"heap?debug=1", ".memstats"}, // ends with runtime.MemStats: stacks, heap in use, idle
		} {
			if err := fetchProfile("http://"+b.pprofAddr+"/debug/pprof/"+p.url, b.cfg.pprof+p.file); err != nil {
				return fmt.Errorf("%s profile: %w", p.file, err)
			}
		}
		b.logf("heap and goroutine profiles with every agent connected in %s.heap and %s.goroutine (runtime.MemStats at the end of %s.memstats)", b.cfg.pprof, b.cfg.pprof, b.cfg.pprof)
	}
	slices.Sort(samples)
	rss1 := samples[len(samples)/2]
	idleDrops := f.Drops.Load() - drops0
	b.logf("controller RSS: %d KiB with no agent, %d KiB (median; %d–%d) with %d", rss0, rss1, samples[0], samples[len(samples)-1], len(b.agents))

	// An urgent notice to every display, sent by the demo's approver.
	appr := apiclient.New(b.api, 60*time.Second)
	if err := appr.Login("approver"); err != nil {
		return err
	}

	var prof chan error
	if b.cfg.pprof != "" {
		// The profile's 3 s begin just before the notice and cover it.
		prof = make(chan error, 1)
		go func() { prof <- profile(b.pprofAddr, 3, b.cfg.pprof) }()
		time.Sleep(100 * time.Millisecond)
	}
	tn := time.Now()
	for _, a := range b.agents {
		a.Watch(tn)
	}
	if err := appr.Call("POST", "/urgent-notices", map[string]any{
		"text": "Thông báo khẩn: load generator", "minutes": 30, "every_display": true,
	}, nil); err != nil {
		return fmt.Errorf("urgent notice: %w", err)
	}
	apiMS := ms(time.Since(tn))
	if _, err := b.waitAll("urgent notice", tn, func(s simagent.State) bool { return !s.NoticeAt.IsZero() },
		func(s simagent.State) time.Time { return s.NoticeAt }, 30*time.Second); err != nil {
		return err
	}
	if prof != nil {
		if err := <-prof; err != nil {
			return fmt.Errorf("CPU profile: %w", err)
		}
		b.logf("CPU profile of the notice in %s (go tool pprof -top %s)", b.cfg.pprof, b.cfg.pprof)
	}
	var notice, applied []float64
	for _, a := range b.agents {
		s := a.Snapshot()
		if s.NoticeAt.IsZero() {
			missing["notice"]++
		} else {
			notice = append(notice, ms(s.NoticeAt.Sub(tn)))
			applied = append(applied, ms(s.NoticeAck.Sub(tn)))
			b.result.msgBytes = max(b.result.msgBytes, s.NoticeBytes)
		}
	}
	if len(notice) == 0 {
		return errors.New("no agent got the urgent notice")
	}
	slices.Sort(notice)
	slices.Sort(applied)
	r := &b.result
	r.noticeMax, r.noticeP99, r.noticeP50, r.appliedP99 = notice[len(notice)-1], pct(notice, 99), pct(notice, 50), pct(applied, 99)
	b.logf("urgent notice: API answered in %.0f ms; plan message %d bytes", apiMS, r.msgBytes)
	if b.afterNotice != nil {
		if err := b.afterNotice(appr); err != nil {
			return err
		}
	}

	// The reconnect storm: every socket cut at once.
	ts := time.Now()
	for _, a := range b.agents {
		a.CutLink()
	}
	if missing["storm"], err = b.waitAll("reconnect", ts, func(s simagent.State) bool { return s.WelcomeAt.After(ts) }, welcomed, 0); err != nil {
		return err
	}
	storm := latest(b.agents, welcomed).Sub(ts)
	drops := f.Drops.Load()

	b.cancel()
	b.wg.Wait()
	b.cancel = nil
	b.ctl.Stop()
	b.ctl = nil

	line := fmt.Sprintf("hub_agents=%d rss_kib_per_agent=%.1f idle_cpu_pct=%.1f notice_max_ms=%.1f notice_p99_ms=%.1f notice_p50_ms=%.1f applied_p99_ms=%.1f connect_all_s=%.2f storm_s=%.2f drops=%d",
		len(b.agents), float64(rss1-rss0)/float64(len(b.agents)), idleCPU, r.noticeMax, r.noticeP99, r.noticeP50, r.appliedP99,
		connectAll.Seconds(), storm.Seconds(), drops)
	// Agents a phase did not reach within -wait (or, for plans and the
	// notice, after 15 s or 30 s with no progress): the figures above are
	// of those it did reach.
	for _, k := range []string{"connect", "plan", "notice", "storm"} {
		if missing[k] > 0 {
			line += fmt.Sprintf(" %s_missing=%d", k, missing[k])
		}
	}
	fmt.Fprintln(b.out, line)
	b.logf("drops: %d while idle %.0f s, %d in all; why links ended or dials failed: %s", idleDrops, b.cfg.idle.Seconds(), drops, f.ErrorSummary())
	return nil
}

// waitAll waits until done holds for every agent (read under its lock),
// or -wait has passed since from, or, with quiet, no agent has come to hold
// it (at says when one did) for that long. It returns how many are left.
// It polls: the figures come from the agents' own timestamps, not from when
// the wait ends.
func (b *bench) waitAll(what string, from time.Time, done func(simagent.State) bool, at func(simagent.State) time.Time, quiet time.Duration) (int, error) {
	deadline := from.Add(b.cfg.wait)
	for {
		left := 0
		last := from
		var refused error
		for _, a := range b.agents {
			s := a.Snapshot()
			if !done(s) {
				left++
			} else if t := at(s); t.After(last) {
				last = t
			}
			if s.Refused != nil {
				refused = s.Refused
			}
		}
		if left == 0 {
			return 0, nil
		}
		if refused != nil {
			return left, fmt.Errorf("%s: an agent gave up: %w", what, refused)
		}
		now := time.Now()
		if now.After(deadline) || quiet > 0 && now.Sub(last) > quiet {
			b.logf("%s: %d of %d agents not there after %.0f s (logs: -keep)", what, left, len(b.agents), now.Sub(from).Seconds())
			return left, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func latest(agents []*simagent.Agent, at func(simagent.State) time.Time) time.Time {
	var t time.Time
	for _, a := range agents {
		if x := at(a.Snapshot()); x.After(t) {
			t = x
		}
	}
	return t
}

// enrol creates a display per agent through the API, and enrols the agent
// with a one-time code as `pano-agent enroll` does.
func (b *bench) enrol() error {
	tech := apiclient.New(b.api, 60*time.Second)
	if err := tech.Login("technician"); err != nil {
		return err
	}
	b.agents = make([]*simagent.Agent, b.cfg.agents)
	errs := make(chan error, 8)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a, err := b.enrolOne(tech, i)
				if err != nil {
					errs <- err
					for range next {
					}
					return
				}
				b.agents[i] = a
			}
		}()
	}
	for i := range b.agents {
		select {
		case next <- i:
		case err := <-errs:
			close(next)
			wg.Wait()
			return err
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

func (b *bench) enrolOne(tech *apiclient.Client, i int) (*simagent.Agent, error) {
	name := fmt.Sprintf("lg-%05d", i)
	var d struct{ ID int64 }
	if err := tech.Call("POST", "/displays", map[string]any{"name": name, "width": panel.Width, "height": panel.Height, "profile": "virtual"}, &d); err != nil {
		return nil, err
	}
	var code struct{ Code string }
	if err := tech.Call("POST", fmt.Sprintf("/displays/%d/enrollment-codes", d.ID), nil, &code); err != nil {
		return nil, err
	}
	// The enrolment request as `pano-agent enroll` sends it.
	var out protocol.EnrollResponse
	agentClient := &apiclient.Client{Base: b.api, HTTP: tech.HTTP} // no prefix: the agent's endpoint
	if err := agentClient.Call("POST", protocol.EnrollPath, protocol.EnrollRequest{
		Code: code.Code, Name: name, Profile: "virtual", Panel: panel, AgentVersion: "loadgen",
	}, &out); err != nil {
		return nil, fmt.Errorf("enrol %s: %w", name, err)
	}
	if out.Credential == "" || out.DisplayID != d.ID {
		return nil, errors.New("enrol " + name + ": the answer holds no credential for the display")
	}
	return &simagent.Agent{Name: name, Display: d.ID, Credential: out.Credential, Local: sourceIPs[i%len(sourceIPs)]}, nil
}

// screenshotPNG is a small valid PNG of the panel: a gradient, so that it
// is not all one colour.
func screenshotPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, panel.Width, panel.Height))
	for y := 0; y < panel.Height; y++ {
		for x := 0; x < panel.Width; x++ {
			img.Set(x, y, color.RGBA{uint8(2 * x), uint8(4 * y), 128, 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pct is the p-th percentile of sorted xs (nearest rank).
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(float64(len(xs))*p/100+0.5) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}
