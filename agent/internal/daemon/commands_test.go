package daemon

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/agent/internal/clock"
	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/agent/internal/player"
	"github.com/pano-signage/pano/protocol"
)

// dimmer is a virtual panel that reports each brightness it is given.
type dimmer struct {
	*driver.Virtual
	levels chan int
}

func (d dimmer) SetBrightness(p int) error { d.levels <- p; return nil }

func newTestDaemon(t testing.TB) (*Daemon, dimmer) {
	t.Helper()
	v, _ := driver.NewVirtual(8, 4)
	drv := dimmer{Virtual: v, levels: make(chan int, 64)}
	cfg := Config{Controller: "ws://127.0.0.1:1", DisplayID: 1, Name: "t", Profile: "virtual"}
	d, err := New(t.TempDir(), cfg, "pano_dev_x", "test", drv, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Journal.Close() })
	d.Player.SetBaseBrightness(70)
	return d, drv
}

// fakeTime is a local clock a test moves by hand.
type fakeTime struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeTime) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeTime) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// onFakeClock gives d a clock that moves only when the test moves it, and a
// player on that clock, and runs the player.
func onFakeClock(t *testing.T, d *Daemon, drv driver.Driver, start time.Time) *fakeTime {
	t.Helper()
	ft := &fakeTime{t: start}
	d.Clock = clock.NewWithLocal(ft.now)
	d.Player = player.New(drv, d.Clock, d.Cache, d.Journal, d.log, player.Options{FPS: 25, Display: 1})
	d.Player.SetBaseBrightness(70)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- d.Player.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })
	return ft
}

// nextLevel waits for the next level the player sets on the panel.
func nextLevel(t *testing.T, levels chan int) int {
	t.Helper()
	select {
	case got := <-levels:
		return got
	case <-time.After(5 * time.Second):
		t.Fatal("no brightness was set within 5 s")
	}
	return 0
}

// The override holds for its time on the agent's clock, then the panel goes
// back to the profile's level; health says so.
func TestBrightnessOverrideExpires(t *testing.T) {
	d, drv := newTestDaemon(t)
	ft := onFakeClock(t, d, drv, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	if got := nextLevel(t, drv.levels); got != 70 {
		t.Fatalf("first level %d, want the profile's 70", got)
	}
	if err := d.command(protocol.Command{Name: protocol.CmdBrightness, Args: map[string]string{"percent": "40", "seconds": "60"}}); err != nil {
		t.Fatal(err)
	}
	if got := nextLevel(t, drv.levels); got != 40 {
		t.Fatalf("level %d, want the override's 40", got)
	}
	h := d.Health()
	if h.BrightnessOverride == nil || *h.BrightnessOverride != 40 || h.BrightnessUntil == nil ||
		!h.BrightnessUntil.Equal(time.Date(2026, 11, 25, 12, 1, 0, 0, time.UTC)) || h.Brightness == nil || *h.Brightness != 40 {
		t.Fatalf("health during the override: %v until %v, level %v", h.BrightnessOverride, h.BrightnessUntil, h.Brightness)
	}
	ft.add(59 * time.Second)
	select {
	case got := <-drv.levels:
		t.Fatalf("level %d set a second before the override ends", got)
	case <-time.After(200 * time.Millisecond): // a few frames of the player
	}
	ft.add(time.Second)
	if got := nextLevel(t, drv.levels); got != 70 {
		t.Fatalf("level %d after the override, want the profile's 70", got)
	}
	if h := d.Health(); h.BrightnessOverride != nil || h.BrightnessUntil != nil || *h.Brightness != 70 {
		t.Fatalf("health after the override: %v until %v, level %d", h.BrightnessOverride, h.BrightnessUntil, *h.Brightness)
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

// Reports asked for soon are queued for reportLoop, not left to timers of
// their own that would fire after the agent stopped: an identify flash asks
// for health when it ends, and the queue gives each report at its time,
// one health report for those due together, a screenshot if one asked.
func TestReportsSoonAreQueued(t *testing.T) {
	d, _ := newTestDaemon(t)
	before := time.Now()
	if err := d.command(protocol.Command{Name: protocol.CmdIdentify, Args: map[string]string{"seconds": "10"}}); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	at, ok := d.soon.next()
	d.mu.Unlock()
	if wait := at.Sub(before); !ok || wait < 10500*time.Millisecond || wait > 11*time.Second {
		t.Fatalf("after identify 10 s: a report in %v (queued %v); want 10.5 s", wait, ok)
	}
	select {
	case <-d.soonKick():
	default:
		t.Fatal("reportLoop was not told")
	}

	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	q := soonReports{at: []soonReport{{at: t0.Add(3 * time.Second)}, {at: t0.Add(time.Second)}, {at: t0.Add(2 * time.Second), shot: true}}}
	if n, _ := q.next(); !n.Equal(t0.Add(time.Second)) {
		t.Fatalf("next %v, want the earliest", n)
	}
	for _, tc := range []struct {
		at           time.Duration
		health, shot bool
		left         int
	}{
		{500 * time.Millisecond, false, false, 3},
		{time.Second, true, false, 2},
		{2500 * time.Millisecond, true, true, 1},
		{5 * time.Second, true, false, 0},
		{6 * time.Second, false, false, 0},
	} {
		health, shot := q.due(t0.Add(tc.at))
		if health != tc.health || shot != tc.shot || len(q.at) != tc.left {
			t.Fatalf("at +%v: health %v shot %v, %d left; want %v %v %d", tc.at, health, shot, len(q.at), tc.health, tc.shot, tc.left)
		}
	}
	if _, ok := q.next(); ok {
		t.Fatal("an empty queue has a next report")
	}
}
