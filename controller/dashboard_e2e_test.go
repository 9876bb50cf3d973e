package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
// screens: each web/e2e/NN-name.mjs is a subtest, run in name order against
// the same controller (see web/e2e/lib.mjs). The scripts keep page
// screenshots in PANO_E2E_OUT when set. -run TestDashboardInChromium/NAME
// runs one script.
func TestDashboardInChromium(t *testing.T) {
	needBrowser(t)
	scripts, err := filepath.Glob(filepath.Join(e2eDir, "[0-9][0-9]-*.mjs"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no browser scripts in %s: %v", e2eDir, err)
	}
	slices.Sort(scripts)
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
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".mjs")
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "node", filepath.Base(script))
			cmd.Dir = e2eDir
			cmd.Env = append(os.Environ(), "PANO_URL=http://"+addr, "PANO_OUT="+out, "CHROMIUM="+chromiumPath,
				"PANO_CONTROLLER_BIN="+abs(controllerBin), "PANO_AGENT_BIN="+abs(agentBin), "PANO_DATA="+abs(data))
			began := time.Now()
			log, err := cmd.CombinedOutput()
			t.Logf("%s took %v:\n%s", name, time.Since(began).Round(time.Millisecond), log)
			if err != nil {
				t.Fatalf("%s: %v", script, err)
			}
			if name == "10-basics" {
				checkFullPage(t, filepath.Join(out, "displays.png"))
			}
		})
	}
}

// checkFullPage checks that a screenshot the scripts kept is a full page.
func checkFullPage(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if r := img.Bounds(); r.Dx() < 800 || r.Dy() < 400 {
		t.Errorf("%s is %v, want a full page", path, r)
	}
}
