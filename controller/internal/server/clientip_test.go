package server

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoClientHeaderDecidesTheAddress: the client's address is the peer's,
// whatever X-Forwarded-For or X-Real-IP say, and no code of pano uses
// echo's rate limiter or reverse proxy middleware. Both are why `make vuln`
// accepts GO-2026-6872 and GO-2026-6875 (scripts/vuln-exceptions.txt):
// this test failing means those advisories apply.
func TestNoClientHeaderDecidesTheAddress(t *testing.T) {
	e := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "203.0.113.7:5000"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	req.Header.Set("X-Real-IP", "198.51.100.2")
	if got := e.NewContext(req, httptest.NewRecorder()).RealIP(); got != "203.0.113.7" {
		t.Fatalf("client address %q, want the peer's 203.0.113.7", got)
	}

	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	uses := regexp.MustCompile(`middleware\.(Proxy|RateLimiter|NewRateLimiter|NewRandomBalancer|NewRoundRobinBalancer)`)
	self, _ := filepath.Abs("clientip_test.go")
	n := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "var" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || p == self {
			return nil
		}
		n++
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if m := uses.Find(src); m != nil {
			t.Errorf("%s uses %s: GO-2026-6872/6875 would apply (see scripts/vuln-exceptions.txt)", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("read only %d Go files under %s", n, root)
	}
}
