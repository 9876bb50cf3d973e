package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// chromiumPath is Debian's chromium (scripts/install-deps.sh installs it).
const chromiumPath = "/usr/bin/chromium"

// e2eDir holds the browser test's script and its npm packages.
var e2eDir = filepath.Join("..", "web", "e2e")

// needBrowser checks for node, npm, chromium and playwright-core (npm ci
// installs it from the lock file). Under CI=true a missing one fails the
// test; elsewhere it skips.
func needBrowser(t *testing.T) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing("%s is not installed (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing("%s is missing (scripts/install-deps.sh installs chromium): %v", chromiumPath, err)
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core", "package.json")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = e2eDir
	if out, err := cmd.CombinedOutput(); err != nil {
		missing("npm ci in %s: %v\n%s", e2eDir, err, out)
	}
}

// TestDashboardInChromium runs the dashboard in a real headless Chromium
// against the real controller with the demo ward and its three simulated
// screens: login, the display cards, a remote command, the language switch,
// logout, an approval and the reports (web/e2e/dashboard.mjs). It keeps a
// screenshot of the Màn hình page in PANO_E2E_OUT when set.
func TestDashboardInChromium(t *testing.T) {
	needBrowser(t)
	controllerBin, agentBin := buildBinaries(t)
	data := t.TempDir()
	ctl := start(t, controllerBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", data)
	addr := listeningRe.FindStringSubmatch(ctl.waitLine(t, listeningRe, 1))[1]
	for i, s := range []struct {
		name string
		w, h int
	}{{"truong-hoc", 64, 32}, {"duong-chinh", 128, 64}, {"trung-tam-phuong", 192, 96}} {
		state := enrol(t, controllerBin, agentBin, data, addr, s.name, s.w, s.h)
		start(t, agentBin, "run", "--state", state)
		ctl.waitLine(t, regexp.MustCompile(`msg="agent online"`), i+1)
	}

	out := os.Getenv("PANO_E2E_OUT")
	if out == "" {
		out = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "dashboard.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), "PANO_URL=http://"+addr, "PANO_OUT="+out, "CHROMIUM="+chromiumPath)
	began := time.Now()
	log, err := cmd.CombinedOutput()
	t.Logf("browser test took %v:\n%s", time.Since(began).Round(time.Millisecond), log)
	if err != nil {
		t.Fatalf("dashboard.mjs: %v", err)
	}

	b, err := os.ReadFile(filepath.Join(out, "displays.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("displays.png: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 800 || r.Dy() < 400 {
		t.Errorf("displays.png is %v, want a full page", r)
	}
}
