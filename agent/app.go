package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"

	"github.com/pano-signage/pano/agent/internal/daemon"
	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/agent/internal/link"
	"github.com/pano-signage/pano/protocol"
)

const usage = `usage: pano-agent COMMAND [flags]

commands:
  enroll         join a controller with a one-time code from a technician
  run            play what the controller schedules on the panel (after enroll)
  status         what this agent holds and should play now, from its state (on site)
  test-pattern   drive the panel with a test pattern, no controller needed
  profiles       list the bundled firmware profiles
  profile check  validate a firmware profile file (or a bundled one)
  version        print the version

Run 'pano-agent COMMAND -h' for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = runAgent(ctx, args[1:], stderr)
	case "enroll", "enrol":
		err = enroll(ctx, args[1:], stdout, stderr)
	case "status":
		err = status(args[1:], stdout, stderr)
	case "test-pattern":
		err = runTestPattern(ctx, args[1:], stdout, stderr)
	case "profiles":
		err = listProfiles(args[1:], stdout, stderr)
	case "profile":
		if len(args) < 2 || args[1] != "check" {
			err = usageError{"profile: the only subcommand is 'check': pano-agent profile check FILE"}
			break
		}
		err = checkProfile(args[2:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "pano-agent", version, "protocol", protocol.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q; run 'pano-agent help' for the list", args[0])}
	}
	return report(err, stderr)
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func report(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "pano-agent: %s\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// multiFlag collects a repeated flag such as --set k=v.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

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
			fmt.Fprintf(stderr, "usage: pano-agent %s [flags]\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return usageError{fmt.Sprintf("%s: %v; run 'pano-agent %s -h' for the flags", fs.Name(), err, fs.Name())}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q; run 'pano-agent %s -h' for the flags", fs.Name(), fs.Arg(0), fs.Name())}
	}
	return nil
}

func newLog(level string, stderr io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: use debug, info, warn or error", level)}
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l})), nil
}

// exitRefused is the exit status of an agent whose credential the controller
// refused: the systemd unit does not restart it (RestartPreventExitStatus).
const exitRefused = 3

func runAgent(ctx context.Context, args []string, stderr io.Writer) error {
	var state, logLevel, metricsAddr string
	fs := newFlagSet("run")
	fs.StringVar(&state, "state", "./agent-state", "state directory written by 'pano-agent enroll': config, credential, plan, cache, journal")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&metricsAddr, "metrics", "", "serve Prometheus metrics of the agent's health on HOST:PORT/metrics, such as "+daemon.MetricsAddr+"; off when empty")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	log, err := newLog(logLevel, stderr)
	if err != nil {
		return err
	}
	// The port is taken before the panel is opened, so a busy one fails
	// the start at once rather than leaving an agent nobody can scrape.
	var metricsLn net.Listener
	if metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", metricsAddr); err != nil {
			return usageError{fmt.Sprintf("--metrics %q: %v; give a free HOST:PORT such as %s, or leave the flag out", metricsAddr, err, daemon.MetricsAddr)}
		}
		defer metricsLn.Close()
	}
	cfg, credential, err := daemon.LoadConfig(state)
	if err != nil {
		return usageError{err.Error()}
	}
	prof, err := loadProfile(cfg.Profile, cfg.Settings)
	if err != nil {
		return err
	}
	if cid, ok := prof.Settings["cid"]; ok && (cid == nil || cid == "") {
		// Each agent is its own E1.31 source: two agents on one machine
		// must not look like one source to a receiver.
		id, err := daemon.SourceID(state)
		if err != nil {
			return fmt.Errorf("source id in %s: %w", state, err)
		}
		prof.Settings["cid"] = id
	}
	if err := driver.Check(prof.Driver, driver.Settings(prof.Settings)); err != nil {
		return settingError(prof, err)
	}
	fps := cfg.FPS
	if fps <= 0 {
		fps = 25 // the player's default
	}
	if err := checkFPS(prof, float64(fps), fmt.Sprintf("%s: fps %d", filepath.Join(state, daemon.ConfigFile), fps)); err != nil {
		return err
	}
	drv, err := openDriver(prof)
	if err != nil {
		return err
	}
	defer drv.Close()
	setFrameRate(drv, float64(fps))
	if sr, ok := drv.(driver.StateReporter); ok && sr.State().Mode != "" {
		// A video output says what it drives, and why DRM was passed
		// over when it fell back to the framebuffer.
		log.Info("video output", "mode", sr.State().Mode)
	}
	// Until the player draws, the panel shows black rather than whatever the
	// card held at power-on.
	if err := drv.Draw(image.NewRGBA(drv.Bounds())); err != nil {
		log.Warn("panel output failed; the agent keeps running", "driver", prof.Driver, "err", err)
	}
	d, err := daemon.New(state, cfg, credential, version, drv, log)
	if err != nil {
		return err
	}
	if b, err := prof.Int("brightness"); err == nil {
		d.Player.SetBaseBrightness(b)
	}
	if metricsLn != nil {
		ctx, stop := context.WithCancel(ctx)
		served := make(chan struct{})
		go func() {
			defer close(served)
			if err := d.ServeMetrics(ctx, metricsLn); err != nil {
				log.Error("metrics server stopped", "err", err)
			}
		}()
		defer func() { stop(); <-served }()
		log.Info("metrics served", "url", "http://"+metricsLn.Addr().String()+"/metrics")
	}
	size := drv.Bounds().Size()
	first, controllers := cfg.Dial()
	log.Info("agent started", "display", cfg.DisplayID, "name", cfg.Name, "controller", first, "controllers", strings.Join(controllers, ","), "profile", prof.Name, "panel", fmt.Sprintf("%dx%d", size.X, size.Y))
	if err := d.Run(ctx); err != nil {
		if errors.Is(err, link.ErrRefused) {
			return exitError{code: exitRefused, err: err}
		}
		return err
	}
	log.Info("agent stopped")
	return nil
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
