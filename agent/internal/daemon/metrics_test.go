package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pano-signage/pano/agent/internal/driver"
	"github.com/pano-signage/pano/protocol"
)

// recording is the daemon as the metrics see it, keeping the health report
// the last scrape was built from, so the test compares with that very one
// (uptime and memory move between two reports). edit stands in for what
// this machine lacks (a temperature sensor).
type recording struct {
	*Daemon
	edit func(*protocol.Health)

	mu   sync.Mutex
	last protocol.Health
}

func (r *recording) Health() protocol.Health {
	h := r.Daemon.Health()
	r.edit(&h)
	r.mu.Lock()
	r.last = h
	r.mu.Unlock()
	return h
}

func (r *recording) report() protocol.Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// serve runs the metrics server of reg on a real loopback socket until the
// test ends, and returns its /metrics URL.
func serve(t *testing.T, run func(ctx context.Context, ln net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("metrics server: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/metrics"
}

// scrape GETs url and parses the text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// series is one scraped sample: its type, labels and value.
type series struct {
	typ    dto.MetricType
	labels string // name=value,… sorted
	value  float64
}

func flatten(fams map[string]*dto.MetricFamily, prefix string) map[string]series {
	out := map[string]series{}
	for name, f := range fams {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for _, m := range f.Metric {
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			s := series{typ: f.GetType(), labels: strings.Join(ls, ",")}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				s.value = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				s.value = m.GetGauge().GetValue()
			}
			key := name
			if s.labels != "" {
				key += "{" + s.labels + "}"
			}
			out[key] = s
		}
	}
	return out
}

func b01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestMetricsAreTheHealthReport: scraped over HTTP from a real socket, every
// pano_agent_* series equals the health report the scrape was built from,
// as a counter where health counts and a gauge where it measures, in base
// units; nothing scraped is left unchecked.
func TestMetricsAreTheHealthReport(t *testing.T) {
	d, _ := videoDaemon(t)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- d.Player.Run(ctx) }()
	defer func() { cancel(); <-ran }()

	// Fill the report: a clock sample from a controller 2 s ahead, a
	// brightness command, a refused plan, a missing asset, a disk that
	// filled up.
	t1 := d.Clock.Local()
	d.Clock.Add(t1, t1.Add(2006*time.Millisecond), t1.Add(2007*time.Millisecond), t1.Add(10*time.Millisecond))
	if err := d.command(protocol.Command{Name: protocol.CmdBrightness, Args: map[string]string{"percent": "40", "seconds": "600"}}); err != nil {
		t.Fatal(err)
	}
	_ = d.refuse(9, errors.New("plan is for a 16x8 panel, this panel is 8x4"))
	d.mu.Lock()
	d.syncDone, d.syncTotal, d.missing, d.storageErr = 1000, 5000, []string{strings.Repeat("a", 64)}, "no space left on device"
	d.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for h := d.Health(); h.BrightnessSource != protocol.LevelOverride || h.DriverState != protocol.DriverOK; h = d.Health() {
		if time.Now().After(deadline) {
			t.Fatalf("the player did not take the override and draw within 5 s: %+v", h)
		}
		time.Sleep(10 * time.Millisecond) // the player has no change signal; frames come every 40 ms
	}
	rec := &recording{Daemon: d, edit: func(h *protocol.Health) { c := 61.5; h.CPUTempC = &c }}
	url := serve(t, func(ctx context.Context, ln net.Listener) error {
		reg := prometheus.NewRegistry()
		reg.MustRegister(newHealthCollector(rec))
		return serveMetrics(ctx, ln, reg)
	})
	got := flatten(scrape(t, url), "pano_agent_")
	h := rec.report()

	const (
		gauge   = dto.MetricType_GAUGE
		counter = dto.MetricType_COUNTER
	)
	want := map[string]series{
		fmt.Sprintf("pano_agent_info{driver_mode=%s,version=test}", h.DriverMode): {gauge, "", 1},
		"pano_agent_uptime_seconds":                               {gauge, "", float64(h.UptimeMS) / 1000},
		"pano_agent_plan_revision":                                {gauge, "", float64(h.PlanRevision)},
		"pano_agent_plan_refused":                                 {gauge, "", 1},
		"pano_agent_plan_refused_revision":                        {gauge, "", 9},
		"pano_agent_current_item":                                 {gauge, "", float64(h.CurrentItem)},
		"pano_agent_target_fps":                                   {gauge, "", h.TargetFPS},
		"pano_agent_achieved_fps":                                 {gauge, "", h.AchievedFPS},
		"pano_agent_frames_dropped_total":                         {counter, "", float64(h.FramesDropped)},
		"pano_agent_frozen":                                       {gauge, "", b01(h.Frozen)},
		"pano_agent_driver_error":                                 {gauge, "", 0},
		"pano_agent_clock_offset_seconds":                         {gauge, "", h.ClockOffsetMS / 1000},
		"pano_agent_clock_rtt_seconds":                            {gauge, "", h.ClockRTTMS / 1000},
		"pano_agent_cache_bytes":                                  {gauge, "", float64(h.CacheBytes)},
		"pano_agent_sync_done_bytes":                              {gauge, "", 1000},
		"pano_agent_sync_total_bytes":                             {gauge, "", 5000},
		"pano_agent_missing_assets":                               {gauge, "", float64(len(h.Missing))},
		"pano_agent_disk_free_bytes":                              {gauge, "", float64(h.DiskFreeBytes)},
		"pano_agent_resident_memory_bytes":                        {gauge, "", float64(h.MemoryBytes)},
		"pano_agent_cpu_temperature_celsius":                      {gauge, "", 61.5},
		"pano_agent_play_records_dropped_total":                   {counter, "", float64(h.PlayDropped)},
		"pano_agent_play_journal_pending_bytes":                   {gauge, "", float64(d.JournalPending())},
		"pano_agent_storage_error":                                {gauge, "", 1},
		"pano_agent_brightness_percent":                           {gauge, "", 40},
		"pano_agent_brightness_override_percent":                  {gauge, "", 40},
		"pano_agent_brightness_override_until_timestamp_seconds":  {gauge, "", float64(h.BrightnessUntil.UnixNano()) / 1e9},
		"pano_agent_power_off":                                    {gauge, "", b01(h.PowerOff)},
		"pano_agent_link_connected":                               {gauge, "", 0},
		"pano_agent_link_connects_total":                          {counter, "", 0},
		"pano_agent_link_failed_attempts":                         {gauge, "", 0},
		"pano_agent_link_controller{controller=ws://127.0.0.1:1}": {gauge, "", 0},
	}
	for _, s := range protocol.DriverStates {
		want["pano_agent_driver_state{state="+s+"}"] = series{gauge, "", b01(s == h.DriverState)}
	}
	for _, c := range protocol.Fallbacks {
		want["pano_agent_fallback{code="+c+"}"] = series{gauge, "", b01(c == h.FallbackCode)}
	}
	for _, s := range []string{protocol.LevelOverride, protocol.LevelWindow, protocol.LevelDay, protocol.LevelNight, protocol.LevelProfile} {
		want["pano_agent_brightness_source{source="+s+"}"] = series{gauge, "", b01(s == h.BrightnessSource)}
	}
	// The report is what the test set up, so the table above checks
	// something: the values are not all zero.
	if h.FramesDropped < 3 || h.ClockOffsetMS < 1000 || h.ClockRTTMS <= 0 || h.FallbackCode != protocol.FallbackNoPlan || h.BrightnessSource != protocol.LevelOverride || h.DriverState != protocol.DriverOK {
		t.Fatalf("the health report is not the one set up: %+v", h)
	}
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("%s: not scraped", key)
			continue
		}
		if g.typ != w.typ || g.value != w.value {
			t.Errorf("%s: %v %v, want %v %v (health %+v)", key, g.typ, g.value, w.typ, w.value, h)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: scraped but not checked against health", key)
		}
	}
}

// TestMetricsServerServesTheDaemon: the server the agent runs with
// --metrics serves the daemon's own health (and the Go runtime's metrics)
// on a real socket, and stops when its context ends.
func TestMetricsServerServesTheDaemon(t *testing.T) {
	v, _ := driver.NewVirtual(8, 4)
	drv := videoOut{Virtual: v, st: driver.State{Up: true, Dropped: 7, Mode: "fbdev /dev/fb0 1920x1080"}}
	cfg := Config{Controller: "ws://127.0.0.1:1", DisplayID: 1, Name: "t", Profile: "hdmi"}
	d, err := New(t.TempDir(), cfg, "pano_dev_x", "v1.2.3", drv, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Journal.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.ServeMetrics(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/metrics"
	fams := scrape(t, url)
	got := flatten(fams, "pano_agent_")
	// The player does not run: what health says of frames and the driver
	// holds still between the scrape and this report.
	h := d.Health()
	for key, want := range map[string]float64{
		"pano_agent_info{driver_mode=fbdev /dev/fb0 1920x1080,version=v1.2.3}": 1,
		"pano_agent_frames_dropped_total":                                      float64(h.FramesDropped),
		"pano_agent_target_fps":                                                h.TargetFPS,
		"pano_agent_driver_state{state=starting}":                              1,
		"pano_agent_fallback{code=no_plan}":                                    0,
	} {
		if g, ok := got[key]; !ok || g.value != want {
			t.Errorf("%s = %v (scraped %v), want %v", key, g.value, ok, want)
		}
	}
	if h.FramesDropped != 7 {
		t.Fatalf("health frames_dropped %d, want the driver's 7", h.FramesDropped)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no go_goroutines: the Go runtime's metrics are not served")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeMetrics after its context ended: %v", err)
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("the metrics server still answers after its context ended")
	}
}
