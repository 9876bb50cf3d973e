package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/pano-signage/pano/agent/internal/link"
	profiles "github.com/pano-signage/pano/firmware-profiles"
	"github.com/pano-signage/pano/protocol"
)

const usage = `usage: pano-agent COMMAND [flags]

commands:
  run            connect to the controller and drive the panel
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

func runAgent(ctx context.Context, args []string, stderr io.Writer) error {
	var (
		controller, state, profileName, name, logLevel string
		sets                                           multiFlag
	)
	hostname, _ := os.Hostname()
	fs := newFlagSet("run")
	fs.StringVar(&controller, "controller", "ws://127.0.0.1:8080", "controller URL (ws:// or wss://)")
	fs.StringVar(&state, "state", "./agent-state", "state directory: plan, cache, journal")
	fs.StringVar(&profileName, "profile", "virtual", "firmware profile of the panel's controller card")
	fs.StringVar(&name, "name", hostname, "this screen's name as the controller shows it")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Var(&sets, "set", "override a profile setting, KEY=VALUE (repeatable), e.g. --set width=128")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return usageError{fmt.Sprintf("--log-level %q: use debug, info, warn or error", logLevel)}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(state, 0o700); err != nil {
		return fmt.Errorf("cannot create the state directory: %w (choose a writable --state)", err)
	}
	prof, err := profiles.Load(profileName, sets)
	if err != nil {
		return usageError{err.Error()}
	}
	drv, err := openDriver(prof)
	if err != nil {
		return err
	}
	defer drv.Close()
	size := drv.Bounds().Size()
	// Until a plan arrives the panel shows black rather than whatever the
	// card held at power-on.
	if err := drv.Draw(image.NewRGBA(drv.Bounds())); err != nil {
		log.Warn("panel output failed; the agent keeps running", "driver", prof.Driver, "err", err)
	}

	cl, err := link.New(link.Config{
		Controller:   controller,
		Name:         name,
		AgentVersion: version,
		Profile:      prof.Name,
		Panel:        protocol.Panel{Width: size.X, Height: size.Y},
	}, log)
	if err != nil {
		return usageError{err.Error()}
	}
	log.Info("agent started", "name", name, "controller", controller, "profile", prof.Name, "panel", fmt.Sprintf("%dx%d", size.X, size.Y))
	if err := cl.Run(ctx); err != nil {
		return err
	}
	log.Info("agent stopped")
	return nil
}
