package daemon

import (
	"io"
	"log/slog"
	"testing"

	"github.com/pano-signage/pano/agent/internal/driver"
)

// videoOut is a virtual panel that reports State as a video output does.
type videoOut struct {
	*driver.Virtual
	st driver.State
}

func (v videoOut) State() driver.State { return v.st }

// TestHealthReportsTheVideoMode: a video output's mode reaches health as
// driver_mode, and its missed page flips count in frames_dropped.
func TestHealthReportsTheVideoMode(t *testing.T) {
	d, drv := videoDaemon(t)
	h := d.Health()
	if h.DriverMode != drv.st.Mode || h.FramesDropped < 3 {
		t.Fatalf("health driver_mode %q frames_dropped %d; want %q and at least 3", h.DriverMode, h.FramesDropped, drv.st.Mode)
	}
}

// videoDaemon is a daemon (no controller) on a video output that has
// dropped 3 frames and drives a mode.
func videoDaemon(t *testing.T) (*Daemon, videoOut) {
	t.Helper()
	v, _ := driver.NewVirtual(8, 4)
	drv := videoOut{Virtual: v, st: driver.State{Up: true, Dropped: 3, Mode: "drm /dev/dri/card0 HDMI-A-1 1920x1080@60Hz XRGB8888"}}
	cfg := Config{Controller: "ws://127.0.0.1:1", DisplayID: 1, Name: "t", Profile: "hdmi"}
	d, err := New(t.TempDir(), cfg, "pano_dev_x", "test", drv, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Journal.Close() })
	return d, drv
}
