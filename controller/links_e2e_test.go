package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTwoAgentsWithOneCredentialDoNotFlap runs two real agents with one
// display's credential (a state directory copied to a second box): the
// controller keeps the newest link and closes the older, whose agent stays
// off the link and says why, rather than take it back in a loop. Revoking
// the display then stops the one connected.
func TestTwoAgentsWithOneCredentialDoNotFlap(t *testing.T) {
	e := newRuntimeEnv(t)
	id := e.display("hai-ban", 64, 32)
	first, state := e.agent("hai-ban", 64, 32, "virtual", nil)
	connected := regexp.MustCompile(`connected to controller`)
	first.waitLine(t, connected, 1)

	clone := t.TempDir()
	copyLiveState(t, state, clone)
	second := e.startAgent(clone)
	second.waitLine(t, connected, 1)
	first.waitLine(t, regexp.MustCompile(`another agent with this display's credential.*stays offline`), 1)

	// Neither takes the link back: an agent's first retries come within a
	// second, so a loop would show well within this window.
	quiet := time.NewTimer(5 * time.Second)
	select {
	case <-first.done:
		t.Fatalf("the replaced agent exited (%v): a supervisor would restart it into a loop", first.err)
	case <-quiet.C:
	}
	count := func(p *proc) int {
		n := 0
		for _, l := range p.output() {
			if connected.MatchString(l) {
				n++
			}
		}
		return n
	}
	if a, b := count(first), count(second); a != 1 || b != 1 {
		t.Fatalf("links made: first agent %d, second %d; want one each", a, b)
	}
	d := e.tech.call("GET", fmt.Sprintf("/displays/%d", id), nil, 200)
	if d["online"] != true {
		t.Fatalf("display not online on the newest link: %v", d["state"])
	}

	e.tech.call("POST", fmt.Sprintf("/displays/%d/revoke", id), nil, 204)
	select {
	case <-second.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the connected agent did not stop when its display was revoked")
	}
	var ee *exec.ExitError
	if !errors.As(second.err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("revoked agent exit: %v, want status 3", second.err)
	}
	if out := strings.Join(second.output(), "\n"); !strings.Contains(out, "refused this agent's credential") {
		t.Fatalf("the revoked agent did not say why it stopped:\n%s", out)
	}
}

// copyLiveState copies a running agent's state directory: files that
// vanish while it is read (the agent's temporary files, renamed into
// place) are passed over.
func copyLiveState(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		if strings.Contains(d.Name(), ".tmp-") {
			return nil
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatalf("copy the state: %v", err)
	}
}
