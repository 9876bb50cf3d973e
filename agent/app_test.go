package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage: pano-agent COMMAND"},
		{"unknown command", []string{"rnu"}, 2, `unknown command "rnu"`},
		{"unknown flag", []string{"run", "--bogus"}, 2, "flag provided but not defined: -bogus; run 'pano-agent run -h'"},
		{"unknown profile", []string{"run", "--state", t.TempDir(), "--profile", "nova"}, 2, `profile "nova" not found`},
		{"bad override", []string{"run", "--state", t.TempDir(), "--set", "widht=3"}, 2, `has no setting "widht"`},
		{"bad panel", []string{"run", "--state", t.TempDir(), "--set", "width=0"}, 2, "width and height must be 1–8192"},
		{"bad controller", []string{"run", "--state", t.TempDir(), "--controller", "http://x"}, 2, "must look like ws://HOST:PORT"},
		{"unwritable state", []string{"run", "--state", "/proc/pano"}, 1, "choose a writable --state"},
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
		done <- run(ctx, []string{"run", "--controller", "ws://127.0.0.1:1", "--state", t.TempDir(), "--name", "x"}, &bytes.Buffer{}, w)
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
