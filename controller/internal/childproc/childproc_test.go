package childproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLinesAreWaitedForCountedAndLogged: a child's lines can be waited
// for, counted and shown, and are in its log file; a line that never comes
// is an error once the child exits.
func TestLinesAreWaitedForCountedAndLogged(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(t.TempDir(), "child.log")
	p, err := Start(logf, []string{"WORD=xin chào"}, sh, "-c", `echo "$WORD 1"; echo "$WORD 2" >&2; echo ready`)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := p.WaitLine(regexp.MustCompile(`^ready$`), 10*time.Second); err != nil || l != "ready" {
		t.Fatalf("WaitLine: %q, %v", l, err)
	}
	if _, err := p.WaitLine(regexp.MustCompile(`never`), 10*time.Second); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("a line that never comes: %v", err)
	}
	if n := p.Count("xin chào"); n != 2 {
		t.Fatalf("Count: %d, want 2 (stdout and stderr)", n)
	}
	if !strings.HasSuffix(p.Tail(), "ready") {
		t.Fatalf("Tail: %q", p.Tail())
	}
	if b, err := os.ReadFile(logf); err != nil || !strings.Contains(string(b), "xin chào 2\n") {
		t.Fatalf("log file: %q, %v", b, err)
	}
}
