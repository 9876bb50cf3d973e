package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/daemon"
	"github.com/pano-signage/pano/protocol"
)

func TestRunAndEnrollBadInput(t *testing.T) {
	corrupt := t.TempDir()
	os.WriteFile(filepath.Join(corrupt, daemon.ConfigFile), []byte("{not json"), 0o600)
	enrolled := enrolledState(t, "ws://127.0.0.1:1")
	os.Remove(filepath.Join(enrolled, daemon.CredentialFile))
	enroll := func(extra ...string) []string {
		return append([]string{"enroll", "--controller", "ws://127.0.0.1:1", "--code", "ABCD-EFGH-JKMN", "--state", t.TempDir()}, extra...)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage: pano-agent COMMAND"},
		{"unknown command", []string{"rnu"}, 2, `unknown command "rnu"`},
		{"unknown flag", []string{"run", "--bogus"}, 2, "flag provided but not defined: -bogus; run 'pano-agent run -h'"},
		{"not enrolled", []string{"run", "--state", t.TempDir()}, 2, "enrol this agent first with `pano-agent enroll"},
		{"corrupt config", []string{"run", "--state", corrupt}, 2, "agent.json: invalid character"},
		{"lost credential", []string{"run", "--state", enrolled}, 2, "enrol the agent again"},
		{"enroll without code", []string{"enroll", "--controller", "ws://x:1"}, 2, "enroll needs --controller and --code"},
		{"unknown profile", enroll("--profile", "nova"), 2, `profile "nova" not found`},
		{"bad override", enroll("--set", "widht=3"), 2, `has no setting "widht"`},
		{"bad panel", enroll("--set", "width=0"), 2, "width"},
		{"bad controller", []string{"enroll", "--controller", "http://x", "--code", "A", "--state", t.TempDir()}, 2, "must look like ws://HOST:PORT"},
		{"unreachable controller", enroll(), 1, "cannot reach the controller"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("code %d, stderr %q; want code %d and %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
}

// enrolledState writes the state of an agent enrolled with controller.
func enrolledState(t *testing.T, controller string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := daemon.Config{Controller: controller, DisplayID: 1, Name: "x", Profile: "virtual", Settings: []string{"width=64", "height=32"}}
	if err := daemon.SaveConfig(dir, cfg, "pano_dev_secret"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// signalWriter closes found when a line containing want is written.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  string
	found chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.found) })
	}
	return len(p), nil
}

func TestUnreachableControllerKeepsRetrying(t *testing.T) {
	// Port 1 on loopback refuses connections at once.
	w := &signalWriter{want: "attempt=2", found: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"run", "--state", enrolledState(t, "ws://127.0.0.1:1")}, &bytes.Buffer{}, w)
	}()
	select {
	case <-w.found:
	case code := <-done:
		t.Fatalf("agent exited with %d instead of retrying:\n%s", code, w.buf.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("no second attempt within 20 s:\n%s", w.buf.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d after stop", code)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !strings.Contains(w.buf.String(), "cannot reach the controller") {
		t.Fatalf("log does not say why:\n%s", w.buf.String())
	}
}

// TestAgentNeedsNoCgo guards the promise that the agent builds for any board
// with CGO_ENABLED=0: no package it imports may use cgo (a cgo package such as
// go-sqlite3 would still build, as a stub that fails at run time).
func TestAgentNeedsNoCgo(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, n, _ := strings.Cut(line, " ")
		if n != "0" && !strings.HasPrefix(pkg, "runtime/cgo") && pkg != "net" && pkg != "os/user" {
			t.Errorf("agent depends on cgo package %s", pkg)
		}
		if strings.Contains(pkg, "go-sqlite3") {
			t.Errorf("agent imports %s", pkg)
		}
	}
}

func TestStatusOnSite(t *testing.T) {
	dir := enrolledState(t, "ws://127.0.0.1:1")
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"status", "--state", dir}, &out, &errs); code != 0 {
		t.Fatalf("status: %d %s", code, errs.String())
	}
	for _, want := range []string{"display      1 (x)", "plan         none yet", "proof of play 0 records waiting"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}

	// With a saved plan that has the screen off now and dimmed: a
	// technician on site reads why it is dark.
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(loc)
	plan := &protocol.Plan{Schema: protocol.PlanSchema, Revision: 4, DisplayID: 1, TimeZone: "Asia/Ho_Chi_Minh",
		Panel: protocol.Panel{Width: 8, Height: 4}, Fallback: protocol.FallbackBlack,
		Power:      []protocol.Window{{From: now.Add(time.Hour).Format("15:04"), Until: now.Add(2 * time.Hour).Format("15:04")}},
		Brightness: []protocol.BrightnessWindow{{Window: protocol.Window{From: "00:00", Until: "24:00"}, Percent: 35}}}
	if err := daemon.SavePlan(dir, plan); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"status", "--state", dir}, &out, &errs); code != 0 {
		t.Fatalf("status: %d %s", code, errs.String())
	}
	for _, want := range []string{"power        off by the plan's power windows until " + now.Add(time.Hour).Format("2006-01-02 15:04"), "brightness   35 % by the plan"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(context.Background(), []string{"status", "--state", t.TempDir()}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "enrol this agent first") {
		t.Fatalf("status of an empty dir: %d %s", code, errs.String())
	}
}

// TestAgentsOnOneMachineSendDifferentCIDs: two agents enrolled on one
// machine, with the same profile and source name, are two E1.31 sources
// (different CIDs); one agent keeps its CID across a restart. The CID is
// read from the black frame each agent sends at start.
func TestAgentsOnOneMachineSendDifferentCIDs(t *testing.T) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	port := sink.LocalAddr().(*net.UDPAddr).Port
	enrolE131 := func() string {
		dir := t.TempDir()
		cfg := daemon.Config{Controller: "ws://127.0.0.1:1", DisplayID: 1, Name: "x", Profile: "e131",
			Settings: []string{"host=127.0.0.1", "port=" + strconv.Itoa(port), "width=4", "height=2"}}
		if err := daemon.SaveConfig(dir, cfg, "pano_dev_secret"); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	// cidOf runs the agent until its first E1.31 packet arrives, stops it
	// and returns the packet's CID.
	cidOf := func(state string) string {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		var logs bytes.Buffer
		go func() { done <- run(ctx, []string{"run", "--state", state}, &bytes.Buffer{}, &logs) }()
		buf := make([]byte, 2000)
		sink.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := sink.Read(buf)
		cancel()
		<-done
		if err != nil || n < 38 {
			t.Fatalf("no E1.31 packet from the agent (%v):\n%s", err, logs.String())
		}
		cid := fmt.Sprintf("%x", buf[22:38])
		// Drain what the stop sent (Stream_Terminated) before the next run.
		for {
			sink.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, err := sink.Read(buf); err != nil {
				break
			}
		}
		return cid
	}
	a, b := enrolE131(), enrolE131()
	cidA := cidOf(a)
	if cidB := cidOf(b); cidA == cidB {
		t.Fatalf("two agents on one machine send the same CID %s", cidA)
	}
	if again := cidOf(a); again != cidA {
		t.Fatalf("the CID changed across a restart: %s, then %s", cidA, again)
	}
}
