package daemon

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/protocol"
)

// dimmer is a virtual panel that reports each brightness it is given.
type dimmer struct {
	*driver.Virtual
	levels chan int
}

func (d dimmer) SetBrightness(p int) error { d.levels <- p; return nil }

func newTestDaemon(t *testing.T) (*Daemon, dimmer) {
	t.Helper()
	v, _ := driver.NewVirtual(8, 4)
	drv := dimmer{Virtual: v, levels: make(chan int, 8)}
	cfg := Config{Controller: "ws://127.0.0.1:1", DisplayID: 1, Name: "t", Profile: "virtual"}
	d, err := New(t.TempDir(), cfg, "pano_dev_x", "test", drv, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Journal.Close() })
	d.BaseBrightness = 70
	return d, drv
}

func TestBrightnessOverrideExpires(t *testing.T) {
	d, drv := newTestDaemon(t)
	if err := d.command(protocol.Command{Name: protocol.CmdBrightness, Args: map[string]string{"percent": "40", "seconds": "1"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{40, 70} { // the override, then the profile's level when it expires
		select {
		case got := <-drv.levels:
			if got != want {
				t.Fatalf("brightness %d, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("brightness never went to %d", want)
		}
		// Health says so, for the dashboard: the override and its end
		// while it lasts, nothing once the panel is back at its level.
		h := d.Health()
		if want == 40 {
			if h.BrightnessOverride == nil || *h.BrightnessOverride != 40 || h.BrightnessUntil == nil || time.Until(*h.BrightnessUntil) > time.Second {
				t.Fatalf("health during the override: %v until %v", h.BrightnessOverride, h.BrightnessUntil)
			}
		} else if h.BrightnessOverride != nil || h.BrightnessUntil != nil {
			t.Fatalf("health after the override: %v until %v", *h.BrightnessOverride, h.BrightnessUntil)
		}
	}
}

func TestCommandArgumentsAreChecked(t *testing.T) {
	d, _ := newTestDaemon(t)
	for _, tc := range []struct {
		cmd  protocol.Command
		want string
	}{
		{protocol.Command{Name: protocol.CmdBrightness, Args: map[string]string{"percent": "101"}}, "percent \"101\" must be 0–100"},
		{protocol.Command{Name: protocol.CmdBrightness, Args: map[string]string{"percent": "50", "seconds": "0"}}, "seconds \"0\" must be 1–604800"},
		{protocol.Command{Name: protocol.CmdIdentify, Args: map[string]string{"seconds": "x"}}, "identify: seconds"},
		{protocol.Command{Name: protocol.CmdTestPattern, Args: map[string]string{"pattern": "plaid"}}, "test pattern:"},
		{protocol.Command{Name: "selfdestruct"}, "not supported"},
	} {
		err := d.command(tc.cmd)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want %q", tc.cmd.Name, tc.cmd.Args, err, tc.want)
		}
	}
	if err := d.command(protocol.Command{Name: protocol.CmdTestPattern, Args: map[string]string{"pattern": "solid:#FF0000", "seconds": "5"}}); err != nil {
		t.Fatalf("a good test pattern was refused: %v", err)
	}
}

// A test pattern shows until stopped with seconds=0, then the schedule (here
// the fallback) is back.
func TestTestPatternStopsOnCommand(t *testing.T) {
	d, _ := newTestDaemon(t)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- d.Player.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	state := func(want string, is bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for (d.Player.Status().DriverState == want) != is {
			if time.Now().After(deadline) {
				t.Fatalf("driver state %q, want %q=%v", d.Player.Status().DriverState, want, is)
			}
			time.Sleep(10 * time.Millisecond) // the player has no change signal; frames come every 40 ms
		}
	}
	if err := d.command(protocol.Command{Name: protocol.CmdTestPattern, Args: map[string]string{"pattern": "grid", "seconds": "600"}}); err != nil {
		t.Fatal(err)
	}
	state("test_pattern", true)
	if err := d.command(protocol.Command{Name: protocol.CmdTestPattern, Args: map[string]string{"seconds": "0"}}); err != nil {
		t.Fatal(err)
	}
	state("test_pattern", false)
}
