// Command faults injects faults into real pano processes and measures what
// holds, for `make faults` (issue 12). One line per scenario:
//
//	faults scenario=agent_kill9 runs=200 corrupt_used=0 records_lost=0 records_duplicated=0 integrity=ok seconds=…
//	faults scenario=link_flaps runs=100 converged=100 max_converge_ms=… max_frame_gap_ms=… integrity=ok seconds=…
//	faults scenario=controller_kill9 runs=20 integrity=ok half_rows=0 orphan_tmp=0 audit=ok seconds=…
//	faults scenario=offline_days days=7 checks=… wrong_items=0 seconds=…
//
// Each scenario starts its own controller (--demo, on a temporary data
// directory) and real pano-agent processes; what each does and checks is
// said at its function. The exit status is 1 if any scenario broke a
// property (the line says which with violation=…), 2 on a usage error.
// -short runs the CI version: fewer runs of each.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	bin       string
	short     bool
	only      string
	kills     int
	flaps     int
	ctlKills  int
	days      int
	gapBound  time.Duration
	seed      uint64
	keep      bool
	verbose   bool
	scenarios []string
}

type harness struct {
	cfg      config
	out, log io.Writer
	dir      string
	ctlBin   string
	agentBin string
	rnd      *rand.Rand
}

// result is a scenario's line: its figures in order, and what broke.
type result struct {
	figures    []string
	violations []string
}

func (r *result) add(k string, v any) { r.figures = append(r.figures, fmt.Sprintf("%s=%v", k, v)) }
func (r *result) fail(format string, args ...any) {
	r.violations = append(r.violations, fmt.Sprintf(format, args...))
}
func (r *result) check(ok bool, format string, a ...any) {
	if !ok {
		r.fail(format, a...)
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.bin, "bin", "", "directory holding pano-controller and pano-agent (default: build them)")
	fs.BoolVar(&c.short, "short", false, "the CI version: 10 agent kills, 10 flaps, 3 controller kills, 1 offline day")
	fs.StringVar(&c.only, "run", "agent_kill9,link_flaps,controller_kill9,offline_days", "scenarios to run, comma-separated")
	fs.IntVar(&c.kills, "kills", 200, "agent kills")
	fs.IntVar(&c.flaps, "flaps", 100, "link flaps")
	fs.IntVar(&c.ctlKills, "controller-kills", 20, "controller kills")
	fs.IntVar(&c.days, "days", 7, "offline days")
	fs.DurationVar(&c.gapBound, "gap-bound", 500*time.Millisecond, "longest gap between frames allowed during flaps")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed (default: from the time; printed)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (logs)")
	fs.BoolVar(&c.verbose, "v", false, "say each run")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.short {
		c.kills, c.flaps, c.ctlKills, c.days = 10, 10, 3, 1
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	h := &harness{cfg: c, out: stdout, log: stderr, rnd: rand.New(rand.NewPCG(c.seed, 12))}
	var err error
	if h.dir, err = os.MkdirTemp("", "pano-faults"); err != nil {
		fmt.Fprintln(stderr, "faults:", err)
		return 1
	}
	defer func() {
		if c.keep {
			fmt.Fprintln(stderr, "faults: logs kept in", h.dir)
		} else {
			os.RemoveAll(h.dir)
		}
	}()
	if err := h.binaries(); err != nil {
		fmt.Fprintln(stderr, "faults:", err)
		return 1
	}
	scenarios := map[string]func(*result) error{
		"agent_kill9":      h.agentKill9,
		"link_flaps":       h.linkFlaps,
		"controller_kill9": h.controllerKill9,
		"offline_days":     h.offlineDays,
	}
	fmt.Fprintf(stdout, "faults seed=%d machine=%q\n", c.seed, machine())
	status := 0
	for _, name := range strings.Split(c.only, ",") {
		f := scenarios[strings.TrimSpace(name)]
		if f == nil {
			fmt.Fprintf(stderr, "faults: no scenario %q\n", name)
			return 2
		}
		var r result
		began := time.Now()
		err := f(&r)
		if err != nil {
			r.fail("error: %v", err)
		}
		r.add("seconds", fmt.Sprintf("%.0f", time.Since(began).Seconds()))
		line := "faults scenario=" + strings.TrimSpace(name) + " " + strings.Join(r.figures, " ")
		if len(r.violations) > 0 {
			status = 1
			line += fmt.Sprintf(" violation=%q", strings.Join(r.violations, "; "))
		}
		fmt.Fprintln(stdout, line)
	}
	return status
}

// binaries are the two programs, from -bin or built here.
func (h *harness) binaries() error {
	if h.cfg.bin != "" {
		h.ctlBin, h.agentBin = filepath.Join(h.cfg.bin, "pano-controller"), filepath.Join(h.cfg.bin, "pano-agent")
		return nil
	}
	h.ctlBin, h.agentBin = filepath.Join(h.dir, "pano-controller"), filepath.Join(h.dir, "pano-agent")
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	for _, x := range []struct{ out, pkg, cgo string }{{h.ctlBin, "./controller", "1"}, {h.agentBin, "./agent", "0"}} {
		cmd := exec.Command("go", "build", "-o", x.out, x.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+x.cgo)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", x.pkg, err, out)
		}
	}
	return nil
}

func (h *harness) say(format string, args ...any) {
	if h.cfg.verbose {
		fmt.Fprintf(h.log, format+"\n", args...)
	}
}

// between is a random duration in [lo, hi).
func (h *harness) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(h.rnd.Int64N(int64(hi-lo)))
}

func machine() string {
	cores := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cores = strings.Count(string(b), "\nprocessor")
		if strings.HasPrefix(string(b), "processor") {
			cores++
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
	}
	out, _ := exec.Command("go", "env", "GOVERSION").Output()
	return fmt.Sprintf("%d cores, %s, %s", cores, mem, strings.TrimSpace(string(out)))
}
