package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/agentapi"
	"github.com/pano-signage/pano/controller/internal/alerts"
	"github.com/pano-signage/pano/controller/internal/api"
	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/capfeed"
	"github.com/pano-signage/pano/controller/internal/cluster"
	"github.com/pano-signage/pano/controller/internal/collect"
	"github.com/pano-signage/pano/controller/internal/events"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/leader"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/plans"
	"github.com/pano-signage/pano/controller/internal/reports"
	"github.com/pano-signage/pano/controller/internal/seed"
	"github.com/pano-signage/pano/controller/internal/server"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/pgsql"
	"github.com/pano-signage/pano/protocol"
)

const usage = `usage: pano-controller COMMAND [flags]

commands:
  serve         run the controller (HTTP API, dashboard, agent websocket)
  user add      create a user (the password is read from stdin)
  enrollment-code  create a one-time enrolment code for a display (by name)
  backup        write a consistent copy of the database while it runs, and its audit anchor
  audit verify  check the audit log's keyed hash chain (--anchor FILE: and that it still holds a backup's head)
  version       print the version

Run 'pano-controller COMMAND -h' for a command's flags.
`

// shutdownGrace bounds a clean stop: connections closed, database closed.
const shutdownGrace = 5 * time.Second

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, os.Stdin, stdout, stderr)
}

// runIO is run with stdin given, for `user add --password-stdin` and tests.
func runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			err = usageError{"usage: pano-controller user add --data DIR --name NAME --role ROLE [--unit UNIT] --password-stdin"}
			break
		}
		err = userAdd(ctx, args[2:], stdin, stdout, stderr)
	case "backup":
		err = backup(ctx, args[1:], stdout, stderr)
	case "enrollment-code", "enrolment-code":
		err = enrollmentCode(ctx, args[1:], stdout, stderr)
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			err = usageError{"usage: pano-controller audit verify --data DIR [--anchor FILE] [--key FILE]"}
			break
		}
		err = auditVerify(ctx, args[2:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "pano-controller", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q; run 'pano-controller help' for the list", args[0])}
	}
	return report(err, stderr)
}

// usageError is a mistake on the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// report prints err as one line and maps it to an exit code.
func report(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "pano-controller: %s\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// newFlagSet returns a flag set that reports errors through its return value
// only: the caller prints one line.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // printed by parseFlags for -h only; errors are one line
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "usage: pano-controller %s [flags]\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return usageError{fmt.Sprintf("%s: %v; run 'pano-controller %s -h' for the flags", fs.Name(), err, fs.Name())}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q; run 'pano-controller %s -h' for the flags", fs.Name(), fs.Arg(0), fs.Name())}
	}
	return nil
}

type serveConfig struct {
	listen   string
	data     string
	db       string // PostgreSQL's URL; empty: SQLite in data
	logLevel string
	tlsCert  string
	tlsKey   string
	demo     bool
	timezone string
	siteName string
	fallback string

	alertGrace   time.Duration
	alertWebhook string
	capPrivate   string

	maxImageMiB    int64
	maxVideoMiB    int64
	maxMegapixels  int64
	decodeMegapix  int64
	unitQuotaMiB   int64
	connsPerAddr   int
	collectGrace   time.Duration
	maxVideoLength time.Duration
	renderWorkers  int
	videoFPS       int
	pprof          string
	advertiseList  string   // --advertise as given
	advertise      []string // checked by validate
	nats           string
}

func (c serveConfig) validate() error {
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		return usageError{fmt.Sprintf("--listen %q is not HOST:PORT (for example 127.0.0.1:8080)", c.listen)}
	}
	if c.db != "" && !strings.HasPrefix(c.db, "postgres://") && !strings.HasPrefix(c.db, "postgresql://") {
		return usageError{fmt.Sprintf("--db %q is not a PostgreSQL URL: give postgres://USER:PASSWORD@HOST:PORT/DB, or leave it empty for SQLite in --data", pgsql.RedactURL(c.db))}
	}
	if c.pprof != "" {
		if err := checkPprofAddr(c.pprof); err != nil {
			return err
		}
	}
	if c.nats != "" {
		if err := cluster.CheckURL(c.nats); err != nil {
			return usageError{fmt.Sprintf("--nats: %v", err)}
		}
	}
	if strings.TrimSpace(c.data) == "" {
		return usageError{"--data must name a directory (for example ./var)"}
	}
	switch c.capPrivate {
	case "auto", "allow", "refuse":
	default:
		return usageError{fmt.Sprintf("--cap-private %q: choose allow, refuse or auto", c.capPrivate)}
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return usageError{"give both --tls-cert and --tls-key, or neither"}
	}
	if c.alertGrace < 10*time.Second {
		return usageError{"--alert-grace must be at least 10s (for example 2m)"}
	}
	if c.alertWebhook != "" {
		if u, err := url.Parse(c.alertWebhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Sprintf("--alert-webhook %q must be an http:// or https:// URL", c.alertWebhook)}
		}
	}
	if _, err := time.LoadLocation(c.timezone); err != nil || c.timezone == "" {
		return usageError{fmt.Sprintf("--timezone %q is not an IANA time zone (for example Asia/Ho_Chi_Minh)", c.timezone)}
	}
	switch c.fallback {
	case protocol.FallbackBlack, protocol.FallbackLastFrame, protocol.FallbackIdleCard:
	default:
		return usageError{fmt.Sprintf("--fallback %q: use black, last_frame or idle_card", c.fallback)}
	}
	if c.maxImageMiB < 1 || c.maxVideoMiB < 1 || c.maxImageMiB > 1<<20 || c.maxVideoMiB > 1<<20 {
		return usageError{"--max-image-mib and --max-video-mib must be from 1 to 1048576"}
	}
	if c.maxMegapixels < 1 || c.maxMegapixels > 10000 {
		return usageError{"--max-megapixels must be from 1 to 10000"}
	}
	if c.decodeMegapix < 1 || c.decodeMegapix > 100000 {
		return usageError{"--decode-megapixels must be from 1 to 100000 (about 4 MB of memory each)"}
	}
	if c.connsPerAddr < 0 {
		return usageError{"--max-conns-per-address must be 0 (the default rule) or more"}
	}
	if c.unitQuotaMiB < 0 {
		return usageError{"--unit-quota-mib must be 0 (no quota) or more"}
	}
	if c.collectGrace < time.Minute {
		return usageError{"--collect-grace must be at least 1m (an agent may be fetching what is collected)"}
	}
	if c.maxVideoLength < time.Second {
		return usageError{"--max-video-length must be at least 1s (for example 30m)"}
	}
	if c.renderWorkers < 1 || c.renderWorkers > 64 {
		return usageError{"--render-workers must be from 1 to 64"}
	}
	if c.videoFPS < 1 || c.videoFPS > 60 {
		return usageError{"--video-fps must be from 1 to 60"}
	}
	if _, err := protocol.SplitControllers(c.advertiseList); err != nil {
		return usageError{fmt.Sprintf("--advertise: %v; list every replica's address as agents reach it, comma-separated", err)}
	}
	return nil
}

// programFiles keeps compiled programs in the asset store, where agents
// fetch them like renditions.
type programFiles struct {
	st *store.Store
	as *assets.Store
}

func (p programFiles) PutProgram(ctx context.Context, data []byte) (string, error) {
	sha, _, err := p.as.Put(data, ".json")
	if err != nil {
		return "", err
	}
	return sha, p.st.AddProgramFile(ctx, sha, int64(len(data)))
}

// renditionOf finds the ready rendition of a media revision for a panel.
func renditionOf(st *store.Store) plans.RenditionFunc {
	return func(ctx context.Context, revisionID int64, w, h int, fit string) (protocol.Asset, error) {
		r, err := st.RenditionFor(ctx, revisionID, w, h, fit)
		if err != nil {
			return protocol.Asset{}, err
		}
		a := protocol.Asset{SHA256: r.SHA256, Kind: protocol.AssetImage, Bytes: r.Bytes, TickerPPS: r.TickerPPS}
		if r.Kind == "video" {
			a.Kind, a.FPS = protocol.AssetVideo, r.FPS
		}
		return a, nil
	}
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: use debug, info, warn or error", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs := newFlagSet("serve")
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "address to serve HTTP and the agent websocket on")
	fs.StringVar(&cfg.data, "data", "./var", "data directory: holds pano.db and the asset files")
	fs.StringVar(&cfg.db, "db", os.Getenv("PANO_DB"), "PostgreSQL database for controller replicas, postgres://USER:PASSWORD@HOST:PORT/DB (or $PANO_DB); empty: SQLite in --data (docs/SCALE-OUT.md)")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "PEM certificate file: serve HTTPS (with --tls-key); session cookies are then Secure")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key file for --tls-cert")
	fs.StringVar(&cfg.siteName, "site-name", "", "who runs these screens, as printed on reports (for example \"UBND phường Hải Châu\"); empty: the lead unit's name")
	fs.StringVar(&cfg.timezone, "timezone", "Asia/Ho_Chi_Minh", "time zone of schedule dates and hours, and of times shown in the dashboard")
	fs.StringVar(&cfg.fallback, "fallback", protocol.FallbackBlack, "what a screen shows when nothing is playable: black, last_frame or idle_card")
	fs.DurationVar(&cfg.alertGrace, "alert-grace", 2*time.Minute, "how long a screen may be offline before it raises an alert")
	fs.StringVar(&cfg.alertWebhook, "alert-webhook", "", "URL to POST alerts to as JSON (a chat bot, an SMS gateway); empty: none")
	fs.StringVar(&cfg.capPrivate, "cap-private", "auto", "CAP feeds on loopback, private or link-local addresses: allow, refuse, or auto (allowed with --demo, else refused)")
	fs.BoolVar(&cfg.demo, "demo", false, "on an empty database, create the demo ward: units, one user per role (password "+seed.DemoPassword+"), the 57-NQ/TW campaign, groups and screens")
	fs.Int64Var(&cfg.maxImageMiB, "max-image-mib", 50, "largest image upload, in MiB")
	fs.Int64Var(&cfg.maxVideoMiB, "max-video-mib", 2048, "largest video upload, in MiB")
	fs.Int64Var(&cfg.maxMegapixels, "max-megapixels", 100, "largest image, in megapixels (checked before decoding)")
	fs.Int64Var(&cfg.decodeMegapix, "decode-megapixels", 150, "image pixels decoded at once by uploads, previews and renditions together, in megapixels (each takes about 4 MB of memory); a decode larger than this waits for all of it")
	fs.IntVar(&cfg.connsPerAddr, "max-conns-per-address", 0, "connections one IP address may hold at once; 0: 128, at most a quarter of the open-file limit (raise it behind a reverse proxy, where every client has the proxy's address)")
	fs.Int64Var(&cfg.unitQuotaMiB, "unit-quota-mib", 20480, "storage each unit's media may take (originals and renditions), in MiB; 0: no quota")
	fs.DurationVar(&cfg.collectGrace, "collect-grace", time.Hour, "how long a rendition or file nothing needs is kept before it is deleted")
	fs.DurationVar(&cfg.maxVideoLength, "max-video-length", 30*time.Minute, "longest video upload")
	fs.IntVar(&cfg.renderWorkers, "render-workers", 2, "renditions made at once (each video one ffmpeg)")
	fs.IntVar(&cfg.videoFPS, "video-fps", 25, "frame rate of video renditions")
	fs.StringVar(&cfg.advertiseList, "advertise", "", "the agents' websocket address of every controller replica, comma-separated, for example wss://pano-1.example.vn,wss://pano-2.example.vn: given to agents at enrolment and in each welcome, so that they move to another when theirs is gone; empty: agents keep the address they enrolled with")
	fs.StringVar(&cfg.nats, "nats", "", "NATS server joining this controller to its replicas, for example nats://10.0.0.5:4222 (several: separated by commas); shares asset files through JetStream's object store (nats-server -js), cached in --data; see docs/SCALE-OUT.md; empty: a single controller")
	fs.StringVar(&cfg.pprof, "pprof", "", "serve Go's profiler (net/http/pprof, /debug/pprof/) on this loopback HOST:PORT, for example 127.0.0.1:6060; empty: off")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	cfg.advertise, _ = protocol.SplitControllers(cfg.advertiseList) // checked by validate
	log, err := newLogger(stderr, cfg.logLevel)
	if err != nil {
		return err
	}

	var st *store.Store
	if cfg.db != "" {
		st, err = store.OpenPostgres(ctx, cfg.data, cfg.db)
		if err != nil {
			// pgx says each address it tried on a line of its own: one line.
			return fmt.Errorf("cannot open the database: %s (check --db, and that PostgreSQL runs and takes this user)", strings.Join(strings.Fields(err.Error()), " "))
		}
	} else if st, err = store.Open(ctx, cfg.data); err != nil {
		return fmt.Errorf("cannot open the data directory %s: %w (choose a writable --data)", cfg.data, err)
	}
	defer st.Close()
	st.SetLogger(log)

	var tlsConf *tls.Config
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("cannot load --tls-cert/--tls-key: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if cfg.demo {
		seeded, err := seed.Demo(ctx, st, auth.DefaultParams)
		if err != nil {
			return fmt.Errorf("cannot seed the demo data: %w", err)
		}
		if seeded {
			log.Info("demo data created", "users", "admin approver editor technician viewer", "password", seed.DemoPassword)
		}
	}

	if cfg.pprof != "" {
		if err := servePprof(ctx, cfg.pprof, log); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot listen on %s: the address is in use (stop the other program or choose another --listen)", cfg.listen)
		}
		return fmt.Errorf("cannot listen on %s: %w (choose another --listen)", cfg.listen, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && cfg.demo && !tcp.IP.IsLoopback() {
		// The demo's users share a published password.
		log.Warn("the demo listens beyond this machine: anyone who can reach it logs in as admin with the demo password", "listen", ln.Addr().String())
		fmt.Fprintf(stderr, "WARNING: --demo on %s: its users' password is public; listen on 127.0.0.1 or drop --demo\n", ln.Addr())
	}

	as, err := assets.OpenStore(filepath.Join(cfg.data, "assets"))
	if err != nil {
		return fmt.Errorf("cannot open the asset store in %s: %w (choose a writable --data)", cfg.data, err)
	}
	if cfg.nats != "" {
		stopShare, err := shareAssets(ctx, cfg.nats, as, log)
		if err != nil {
			return err
		}
		defer stopShare()
	}
	// The rendition pipeline runs on the leading replica (below); a
	// program's window, an upload or an urgent notice asks for renditions
	// through renderer, here or there.
	renderer := &leadRenderer{st: st}
	// Plans are compiled from the store and pushed through the hub, which
	// asks the plans service for them: build both, then connect them. A
	// change in the store or a new rendition recompiles the plans. The
	// agents' reports go to the report sink.
	plansSvc := plans.New(st, renditionOf(st), log, plans.Options{TimeZone: cfg.timezone, Fallback: cfg.fallback,
		Programs: programFiles{st, as},
		Render: func(revisionID int64, w, h int, fit string) {
			if err := st.EnqueueRendition(ctx, revisionID, w, h, fit); err != nil {
				log.Warn("cannot queue a program window's rendition", "revision", revisionID, "err", err)
				return
			}
			renderer.Kick(ctx)
		}})
	sink := reports.New(st, log, reports.Options{})
	agents := agentapi.New(st, log, cfg.advertise)
	hubOpt := hub.Options{Version: version, Auth: agents.Authenticator(), Plans: plansSvc, Reports: sink, Controllers: cfg.advertise}
	// PANO_CLOCK_SKEW is for tests only: the time the controller gives its
	// agents (clock exchanges) is off by this much, so that a test with
	// the controller and an agent on one host can tell an agent that plays
	// on controller time from one that plays on its host's.
	if v := os.Getenv("PANO_CLOCK_SKEW"); v != "" {
		skew, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("PANO_CLOCK_SKEW %q is not a duration such as 1.6s", v)
		}
		hubOpt.Now = func() time.Time { return time.Now().Add(skew) }
		log.Warn("controller clock given to agents skewed on purpose, for tests only", "skew", skew)
	}
	// With --nats, replicas tell each other what they saved, and
	// commands, plans and revocations reach a display whichever replica
	// holds its link (controller/internal/cluster). bus is nil for a
	// single controller, and its methods then do nothing.
	var bus *cluster.Bus
	if cfg.nats != "" {
		host, _ := os.Hostname()
		if bus, err = cluster.Join(cfg.nats, cluster.Options{Log: log, Name: host}); err != nil {
			return err
		}
		defer bus.Close()
		hubOpt.OnLink, hubOpt.Reports = bus.LinkChanged, bus.Relay(sink)
	}
	h := hub.New(log, st, hubOpt)
	var reach interface { // the agents, here or on another replica
		api.Agents
		plans.Pusher
	} = h
	// fleet is who is online for the alerts, the event stream and (through
	// reach) the dashboard: with --nats, every replica's agents.
	var fleet events.Agents = h
	if bus != nil {
		bus.Attach(h)
		reach, fleet = bus, bus
	}
	plansSvc.SetPusher(reach)
	changed := func(objectType string, id int64) {
		if plans.Affects(objectType) {
			plansSvc.Changed(objectType, id) // recompiles the plans it reaches
		}
	}
	// leading: this replica runs the work that must run once (below).
	var leading atomic.Bool
	// An upload, a new display or an urgent notice saved on another
	// replica needs renditions here: the pipeline's workers wait for a
	// kick, given off the bus's goroutine (it writes to the database).
	kickRenditions := make(chan struct{}, 1)
	bus.OnChange(func(objectType string, id int64) { // saved on another replica
		changed(objectType, id)
		switch objectType {
		case "media", "display", "urgent_notice":
			select {
			case kickRenditions <- struct{}{}:
			default: // one kick pending covers this change too
			}
		}
	})
	st.OnChange(func(objectType string, id int64) {
		changed(objectType, id)
		bus.PublishChange(objectType, id)
	})
	bg, stopBG := context.WithCancel(context.Background())
	var bgDone sync.WaitGroup
	watcher := alerts.New(fleet, st, log, alerts.Options{Grace: cfg.alertGrace, Webhook: cfg.alertWebhook, Posts: leading.Load})
	changes := events.New(fleet, watcher)
	bgDone.Add(3)
	go func() { defer bgDone.Done(); sink.Run(bg) }()
	go func() { defer bgDone.Done(); watcher.Run(bg) }()
	go func() { defer bgDone.Done(); changes.Run(bg) }()
	defer func() { stopBG(); bgDone.Wait() }()

	// One decode budget for everything that decodes images: a 290 KB PNG
	// may be 400 MB of pixels.
	decode := assets.NewBudget(cfg.decodeMegapix * 1_000_000)
	pipeOpt := pipeline.Options{Log: log, Store: st, Assets: as, Workers: cfg.renderWorkers, FPS: cfg.videoFPS, Budget: decode,
		OnReady: func(int64) { plansSvc.Kick() }}
	// CAP emergency feeds: one poller, beside the plan service.
	urgentText := &pipeline.Urgent{Store: st, Assets: as, Kick: renderer.Kick, Log: log}
	capPoller := capfeed.New(st, urgentText, capfeed.Options{Log: log,
		AllowPrivate: cfg.capPrivate == "allow" || cfg.capPrivate == "auto" && cfg.demo})
	limits := assets.Limits{MaxImageBytes: cfg.maxImageMiB << 20, MaxVideoBytes: cfg.maxVideoMiB << 20,
		MaxPixels: cfg.maxMegapixels * 1_000_000, MaxVideoDuration: cfg.maxVideoLength}
	loc, _ := time.LoadLocation(cfg.timezone) // checked by validate
	rest := api.New(api.Options{Log: log, Store: st, Hub: reach, Results: sink, Previews: plansSvc, Alerts: watcher, Events: changes, Location: loc,
		SecureCookies: tlsConf != nil, Assets: as, Pipeline: renderer, Limits: limits, CAP: capPoller, Decode: decode, UnitQuota: cfg.unitQuotaMiB << 20})
	// The collector removes renditions and files nothing needs any more.
	collector := collect.New(st, as, collect.Options{Log: log, Grace: cfg.collectGrace,
		Keep: store.Geometry{Width: api.ThumbWidth, Height: api.ThumbHeight, Fit: "contain"}})
	if cfg.nats != "" {
		// The leader's collector removes the shared objects and the rows;
		// every replica trims its own copies of files nothing names since.
		trim := collect.New(st, as.Cache(), collect.Options{Log: log, Grace: cfg.collectGrace, FilesOnly: true})
		bgDone.Add(1)
		go func() { defer bgDone.Done(); trim.Run(bg) }()
	}

	// The work that must run once — compiling plans, rendering, polling
	// CAP feeds, collecting, posting alerts — runs on the replica that
	// leads (always this one on SQLite; on PostgreSQL the one holding the
	// database's lead, taken over within seconds when it dies). The
	// others serve the plans it stores and hear of changes to pass on.
	plansSvc.SetLeader(false)
	leadWork := func(ctx context.Context) {
		// Renditions left unfinished by the last leader resume, and what
		// the displays need (the demo's notice included) is queued.
		pipe := pipeline.New(pipeOpt)
		if err := pipe.Start(ctx); err != nil {
			// The lead is let go and asked for again (another replica may
			// take it): a leader that cannot render leads no one.
			log.Error("cannot start the content pipeline; letting the lead go", "err", err)
			pipe.Close(context.Background())
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		renderer.set(pipe)
		plansSvc.SetLeader(true)
		leading.Store(true)
		var wg sync.WaitGroup
		wg.Go(func() { plansSvc.Run(ctx) })
		wg.Go(func() { capPoller.Run(ctx) })
		wg.Go(func() { collector.Run(ctx) })
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-kickRenditions:
					if err := renderer.Kick(ctx); err != nil && ctx.Err() == nil {
						log.Warn("cannot queue the renditions a change on another replica needs", "err", err)
					}
				}
			}
		})
		<-ctx.Done()
		leading.Store(false)
		plansSvc.SetLeader(false)
		renderer.set(nil)
		wg.Wait()
		// Kills any ffmpeg; its rendition resumes with the next leader.
		closing, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := pipe.Close(closing); err != nil {
			log.Error("content pipeline", "err", err)
		}
	}
	leadCtx, stopLead := context.WithCancel(context.Background())
	leadDone := make(chan struct{})
	go func() {
		defer close(leadDone)
		leader.Run(leadCtx, st.Lead, store.ErrLeadTaken, time.Second, log, leadWork)
	}()
	defer func() { stopLead(); <-leadDone }()

	ln = server.LimitListener(ln, log, server.ClientLimits{PerAddress: cfg.connsPerAddr})
	scheme := "http"
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		scheme = "https"
	}
	// Slow clients: header, idle and body deadlines, and caps on the
	// connections open at once (see server.ClientLimits).
	srv := server.NewHTTPServer(server.New(server.Deps{Log: log, Store: st, Hub: h, Version: version, TimeZone: cfg.timezone, SiteName: cfg.siteName, API: rest, Agents: agents,
		Collectors: slices.Concat(st.Collectors(), decodeCollectors(decode), assetCollectors(as), plansSvc.Collectors(), bus.Collectors())}),
		log, server.ClientLimits{})
	srv.RegisterOnShutdown(changes.Close) // event streams end, or Shutdown would wait for them
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("controller started", "version", version, "listen", scheme+"://"+ln.Addr().String(), "data", cfg.data)
	fmt.Fprintf(stdout, "pano-controller listening on %s://%s (data in %s)\n", scheme, ln.Addr(), cfg.data)

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server stopped: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	errSrv := srv.Shutdown(sctx)
	errHub := h.Close(sctx)
	stopLead() // the pipeline kills any ffmpeg; its rendition resumes at the next start
	<-leadDone
	stopBG()
	bgDone.Wait()
	if err := errors.Join(errSrv, errHub); err != nil {
		log.Warn("shutdown did not finish in time", "err", err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// leadRenderer asks for renditions: it queues what is missing and wakes
// the pipeline, when this replica leads; on another replica the leader's
// pipeline hears of the change through the cluster bus (its change
// handler kicks it).
type leadRenderer struct {
	st   *store.Store
	mu   sync.Mutex
	pipe *pipeline.Pipeline // nil: another replica leads
}

func (r *leadRenderer) set(p *pipeline.Pipeline) {
	r.mu.Lock()
	r.pipe = p
	r.mu.Unlock()
}

func (r *leadRenderer) Kick(ctx context.Context) error {
	r.mu.Lock()
	p := r.pipe
	r.mu.Unlock()
	if p != nil {
		return p.Kick(ctx)
	}
	_, err := r.st.EnqueueRenditions(ctx)
	return err
}
