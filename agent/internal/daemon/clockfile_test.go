package daemon

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
)

// PANO_CLOCK_FILE (tests only) puts the agent on the file's clock; a
// missing file, or PANO_CLOCK_SKEW as well, stops the agent from starting
// rather than leaving it on a clock nobody asked for.
func TestClockFileIsTakenOnlyWhenSetAndSound(t *testing.T) {
	v, _ := driver.NewVirtual(8, 4)
	cfg := Config{Controller: "ws://127.0.0.1:1", DisplayID: 1, Name: "t", Profile: "virtual"}
	start := func() (*Daemon, error) {
		d, err := New(t.TempDir(), cfg, "pano_dev_x", "test", v, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			t.Cleanup(func() { d.Journal.Close() })
		}
		return d, err
	}
	path := filepath.Join(t.TempDir(), "clock")
	t.Setenv("PANO_CLOCK_FILE", path)
	if _, err := start(); err == nil {
		t.Fatal("the agent started with a clock file that does not exist")
	}
	week := time.Date(2026, 12, 7, 5, 29, 59, 0, time.UTC)
	if err := os.WriteFile(path, []byte(week.Format(time.RFC3339Nano)), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := start()
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Clock.Now(); got.Before(week) || got.After(week.Add(time.Minute)) {
		t.Fatalf("the agent's clock reads %v, the file says %v", got, week)
	}
	t.Setenv("PANO_CLOCK_SKEW", "3s")
	if _, err := start(); err == nil {
		t.Fatal("the agent started with both PANO_CLOCK_FILE and PANO_CLOCK_SKEW")
	}
	t.Setenv("PANO_CLOCK_FILE", "")
	t.Setenv("PANO_CLOCK_SKEW", "")
	if d, err = start(); err != nil {
		t.Fatal(err)
	}
	if got := d.Clock.Now(); time.Since(got).Abs() > time.Second {
		t.Fatalf("without the variable the agent's clock reads %v", got)
	}
}
