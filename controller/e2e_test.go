package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinaries builds pano-controller and pano-agent (without cgo, as on a
// board) into a temporary directory.
func buildBinaries(t *testing.T) (controller, agent string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds binaries; skipped with -short")
	}
	dir := t.TempDir()
	controller = filepath.Join(dir, "pano-controller")
	agent = filepath.Join(dir, "pano-agent")
	for _, b := range []struct {
		out, pkg, cgo string
	}{{controller, ".", "1"}, {agent, "../agent", "0"}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return controller, agent
}

// proc is a running binary whose stderr lines can be awaited.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	grew  chan struct{}
	done  chan struct{}
	err   error
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, bin, args...)
}

// startEnv is start with more environment variables.
func startEnv(t *testing.T, env []string, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return startCmd(t, cmd)
}

// startCmd starts a command made by the caller (its environment, process
// group…); stdout and stderr are read as one.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, grew: make(chan struct{}), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = p.cmd.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.grew)
			p.grew = make(chan struct{})
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), strings.Join(p.output(), "\n"))
		}
	})
	return p
}

func (p *proc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitLine waits for the n-th line (1-based) matching re and returns it.
func (p *proc) waitLine(t *testing.T, re *regexp.Regexp, n int) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		p.mu.Lock()
		grew := p.grew
		seen := 0
		for _, l := range p.lines {
			if re.MatchString(l) {
				seen++
				if seen == n {
					p.mu.Unlock()
					return l
				}
			}
		}
		p.mu.Unlock()
		select {
		case <-grew:
		case <-p.done:
			t.Fatalf("process exited (%v) before printing a line matching %q", p.err, re)
		case <-deadline:
			t.Fatalf("no line matching %q within 20 s", re)
		}
	}
}

// stop sends SIGTERM and returns the exit error and how long it took.
func (p *proc) stop(t *testing.T) (time.Duration, error) {
	t.Helper()
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		return time.Since(began), p.err
	case <-time.After(10 * time.Second):
		t.Fatal("process did not exit within 10 s of SIGTERM")
		return 0, nil
	}
}

var listeningRe = regexp.MustCompile(`listening on http://(127\.0\.0\.1:\d+)`)

// TestAgentReconnectsAfterControllerRestart runs the real binaries over a
// real websocket on loopback.
func TestAgentReconnectsAfterControllerRestart(t *testing.T) {
	controllerBin, agentBin := buildBinaries(t)
	data := t.TempDir()

	ctl := start(t, controllerBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", data)
	addr := listeningRe.FindStringSubmatch(ctl.waitLine(t, listeningRe, 1))[1]
	state := enrol(t, controllerBin, agentBin, data, addr, "truong-hoc", 64, 32)

	ag := start(t, agentBin, "run", "--state", state, "--metrics", "127.0.0.1:0")
	online := regexp.MustCompile(`msg="agent online" agent=truong-hoc .*panel=64x32`)
	ctl.waitLine(t, online, 1)
	ag.waitLine(t, regexp.MustCompile(`connected to controller`), 1)
	checkMetrics(t, addr)
	checkAgentMetrics(t, ag)

	took, err := ctl.stop(t)
	if err != nil {
		t.Fatalf("controller exit after SIGTERM: %v", err)
	}
	if took > shutdownGrace {
		t.Fatalf("controller took %v to stop, want at most %v", took, shutdownGrace)
	}
	ag.waitLine(t, regexp.MustCompile(`controller link down; retrying.*controller is shutting down`), 1)

	// Same address again: the agent comes back by itself.
	ctl2 := start(t, controllerBin, "serve", "--demo", "--listen", addr, "--data", data)
	ctl2.waitLine(t, online, 1)
	ag.waitLine(t, regexp.MustCompile(`connected to controller`), 2)

	if _, err := ag.stop(t); err != nil {
		t.Fatalf("agent exit after SIGTERM: %v", err)
	}
	ctl2.waitLine(t, regexp.MustCompile(`msg="agent offline" agent=truong-hoc`), 1)
}

// checkMetrics reads the running controller's /metrics as Prometheus
// would, after one /healthz: the agent online, the store's, the decode
// budget's and the HTTP latency series are there.
func checkMetrics(t *testing.T, addr string) {
	t.Helper()
	get := func(path string) string {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, res.Status)
		}
		return string(b)
	}
	get("/healthz")
	body := get("/metrics")
	for _, want := range []string{
		"\npano_agents_online 1\n",
		"\npano_displays_by_driver_state{state=\"",
		"\npano_decode_budget_pixels 1.5e+08\n",
		"\npano_render_queue{status=\"queued\"} ",
		"\npano_store_writer_waits_total ",
		"\npano_http_request_duration_seconds_count{code=\"200\",method=\"GET\",route=\"/healthz\"} 1\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
}

// checkAgentMetrics reads the agent's own /metrics (--metrics) as a
// Prometheus beside the screen would: the link is up, once.
func checkAgentMetrics(t *testing.T, ag *proc) {
	t.Helper()
	url := regexp.MustCompile(`msg="metrics served" url=(http://\S+/metrics)`)
	res, err := http.Get(url.FindStringSubmatch(ag.waitLine(t, url, 1))[1])
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{"\npano_agent_link_connected 1\n", "\npano_agent_link_connects_total 1\n", "\npano_agent_driver_state{state=\""} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the agent's /metrics lacks %q:\n%s", strings.TrimSpace(want), b)
		}
	}
}

func TestServeBadInput(t *testing.T) {
	controllerBin, _ := buildBinaries(t)
	busy := start(t, controllerBin, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	addr := listeningRe.FindStringSubmatch(busy.waitLine(t, listeningRe, 1))[1]

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"serve", "--bogus"}, 2, "flag provided but not defined: -bogus; run 'pano-controller serve -h'"},
		{"unknown command", []string{"srve"}, 2, `unknown command "srve"`},
		{"port in use", []string{"serve", "--listen", addr, "--data", t.TempDir()}, 1, "the address is in use (stop the other program or choose another --listen)"},
		{"bad listen", []string{"serve", "--listen", "8080"}, 2, "is not HOST:PORT"},
		{"bad cap-private", []string{"serve", "--cap-private", "maybe"}, 2, `--cap-private "maybe": choose allow, refuse or auto`},
		{"bad nats", []string{"serve", "--nats", "localhost:4222"}, 2, `--nats: "localhost:4222" is not a NATS URL (nats://HOST:PORT`},
		{"unwritable data", []string{"serve", "--data", "/proc/pano"}, 1, "choose a writable --data"},
		{"bad db", []string{"serve", "--db", "mysql://pano:s3cret@db/pano"}, 2, `--db "mysql://pano:xxxxx@db/pano" is not a PostgreSQL URL`},
		{"db away", []string{"serve", "--data", t.TempDir(), "--db", "postgres://pano:s3cret@127.0.0.1:1/pano"}, 1,
			"cannot open the database: store: postgres://pano:xxxxx@127.0.0.1:1/pano:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, controllerBin, tc.args...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit = %v, want code %d; output:\n%s", err, tc.code, out)
			}
			if strings.Contains(string(out), "s3cret") {
				t.Fatalf("output shows the database password: %s", out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("output %q, want one line containing %q", out, tc.want)
			}
		})
	}
}

// enrol makes a one-time code for the named display with the controller's
// CLI and enrols an agent with it, as a technician does on site; it returns
// the agent's state directory.
func enrol(t *testing.T, controllerBin, agentBin, data, addr, name string, w, h int) string {
	t.Helper()
	out, err := exec.Command(controllerBin, "enrollment-code", "--data", data, "--display", name).Output()
	if err != nil {
		t.Fatalf("enrollment-code: %v", err)
	}
	code := strings.TrimSpace(string(out))
	state := t.TempDir()
	cmd := exec.Command(agentBin, "enroll", "--controller", "ws://"+addr, "--code", code, "--state", state,
		"--set", fmt.Sprintf("width=%d", w), "--set", fmt.Sprintf("height=%d", h))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	return state
}

// TestDemoOnAPublicAddressWarns: a demo (users with a published password)
// listening beyond loopback says so loudly; on loopback it does not.
func TestDemoOnAPublicAddressWarns(t *testing.T) {
	controllerBin, _ := buildBinaries(t)
	warn := regexp.MustCompile(`WARNING: --demo on .*password is public`)
	public := start(t, controllerBin, "serve", "--demo", "--listen", "0.0.0.0:0", "--data", t.TempDir())
	public.waitLine(t, regexp.MustCompile(`pano-controller listening on`), 1)
	public.waitLine(t, warn, 1)
	local := start(t, controllerBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	local.waitLine(t, listeningRe, 1)
	local.mu.Lock()
	defer local.mu.Unlock()
	for _, l := range local.lines {
		if warn.MatchString(l) {
			t.Fatalf("a demo on loopback warned: %s", l)
		}
	}
}
