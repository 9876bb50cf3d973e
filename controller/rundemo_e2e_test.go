package main

import (
	"database/sql"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRunStopsCleanlyOnCtrlC runs scripts/run-demo.sh (what `make run`
// starts) and presses Ctrl-C as a terminal does: SIGINT to its whole
// process group. The controller must exit 0 with its shutdown in its log
// and the database closed (integrity ok, no WAL left), not die of SIGPIPE
// from a log pipe whose reader went first.
func TestMakeRunStopsCleanlyOnCtrlC(t *testing.T) {
	controllerBin, _ := buildBinaries(t)
	binDir := filepath.Dir(controllerBin)
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	script, err := filepath.Abs("../scripts/run-demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "PANO_LISTEN="+listen, "PANO_DATA="+data, "PANO_BIN="+binDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's foreground group of its own
	demo := startCmd(t, cmd)
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }) // agents, tail: whatever is left
	demo.waitLine(t, regexp.MustCompile(`^pano is running\.`), 1)
	// The three screens are up when each has said it is connected.
	for _, name := range []string{"truong-hoc", "duong-chinh", "trung-tam-phuong"} {
		waitFileLine(t, filepath.Join(data, "logs", "agent-"+name+".log"), "connected to controller")
	}

	if err := syscall.Kill(-pgid, syscall.SIGINT); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	select {
	case <-demo.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the demo did not stop within 20 s of Ctrl-C")
	}
	var exit *exec.ExitError
	if demo.err != nil && !errors.As(demo.err, &exit) {
		t.Fatal(demo.err)
	}
	if demo.err != nil {
		t.Fatalf("the demo script exited with %v; want 0, the controller's own status", demo.err)
	}
	if out := strings.Join(demo.output(), "\n"); !strings.Contains(out, "controller exit status 0") {
		t.Fatalf("the script does not say the controller exited with 0:\n%s", out)
	}

	// The controller's log ends with its shutdown.
	b, err := os.ReadFile(filepath.Join(data, "logs", "controller.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, `msg=stopped`) || !strings.Contains(string(b), `msg="shutting down"`) {
		t.Fatalf("the controller's log ends with %q; want its shutdown (shutting down … stopped)", last)
	}
	// The database was closed: its WAL checkpointed and removed, intact.
	if _, err := os.Stat(filepath.Join(data, "pano.db-wal")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pano.db-wal is left (%v): the database was not closed", err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "pano.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
}

// waitFileLine waits until the file holds a line containing s; a log file
// has no signal to wait on, so a bounded poll.
func waitFileLine(t *testing.T, path, s string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); <-time.After(50 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), s) {
			return
		}
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("no %q in %s within 20 s:\n%s", s, path, b)
}
