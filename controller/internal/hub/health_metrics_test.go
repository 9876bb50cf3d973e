package hub

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/pano-signage/pano/protocol"
)

// TestFleetHealthMetrics: agents connected over real websockets send real
// health reports; the hub's metrics count the displays in each condition
// from the latest report of each live link, with no label per display,
// sum the frames dropped between reports, and forget a display whose link
// closed.
func TestFleetHealthMetrics(t *testing.T) {
	f := startFleetHub(t, nil)
	temp := func(c float64) *float64 { return &c }
	ok := func(fps float64, dropped int64) protocol.Health {
		return protocol.Health{DriverState: protocol.DriverOK, TargetFPS: 25, AchievedFPS: fps, FramesDropped: dropped, DiskFreeBytes: 1 << 30}
	}
	type report = protocol.Health
	fleet := []struct {
		id      string
		reports []report // in order; the metrics read the last
	}{
		{"1", []report{ok(25, 0), func() report { h := ok(24.5, 0); h.CPUTempC, h.ClockOffsetMS = temp(55), 3; return h }()}},
		// Slow, dropping 15 frames, hot, 250 ms behind, an asset missing.
		{"2", []report{ok(25, 10), func() report {
			h := ok(12, 25)
			h.CPUTempC, h.ClockOffsetMS, h.DiskFreeBytes, h.Missing = temp(82.5), -250, 5e8, []string{"abc"}
			return h
		}()}},
		// A failing panel on a full disk, showing its fallback, that refused its plan.
		{"3", []report{{DriverState: protocol.DriverFailing, DriverError: "write /dev/ttyUSB0: i/o error", Fallback: "no plan yet",
			FallbackCode: protocol.FallbackNoPlan, StorageError: "no space left on device", PlanRefused: "schema 9", TargetFPS: 25, DiskFreeBytes: 1 << 20}}},
		// Off by its power windows: its frozen picture and its 0 fps are meant.
		{"4", []report{{DriverState: protocol.DriverOK, PowerOff: true, Frozen: true, TargetFPS: 25, DiskFreeBytes: 1 << 30}}},
		// A newer agent's state and fallback code; its disk unreadable
		// (0), which is no full disk.
		{"5", []report{{DriverState: "dimming", FallbackCode: "no_signal", Fallback: "no signal", TargetFPS: 25, AchievedFPS: 25}}},
		{"6", nil}, // said hello, no report yet
		// Its driver reopened between two reports (the agent's count, the
		// player's and the driver's, fell to 40): nothing is counted; then
		// 15 more.
		{"7", []report{ok(25, 100), ok(25, 40), ok(25, 55)}},
	}
	links := map[string]func(){}
	for _, d := range fleet {
		ws := f.online(t, d.id)
		links[d.id] = func() { ws.Close() }
		for i, h := range d.reports {
			h.UptimeMS, h.At = int64(i+1), time.Now()
			send(t, ws, protocol.TypeHealth, h)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Reports on one link are taken in order: once each link's last is in,
	// all are.
	in := func(want int) func([]AgentInfo) bool {
		return func(a []AgentInfo) bool {
			if len(a) != want {
				return false
			}
			for _, ag := range a {
				for _, d := range fleet {
					if ag.Name == "display-"+d.id && len(d.reports) > 0 && (ag.Health == nil || ag.Health.UptimeMS != int64(len(d.reports))) {
						return false
					}
				}
			}
			return true
		}
	}
	if err := f.WaitFor(ctx, in(len(fleet))); err != nil {
		t.Fatalf("reports not all in: %+v", f.Agents())
	}
	names := []string{"pano_displays_by_driver_state", "pano_displays_fallback", "pano_displays_below_target_fps",
		"pano_displays_dropping_frames", "pano_displays_frames_dropped_total", "pano_displays_frozen", "pano_displays_power_off",
		"pano_displays_missing_assets", "pano_displays_storage_error", "pano_displays_plan_refused",
		"pano_displays_cpu_temperature_max_celsius", "pano_displays_cpu_temperature_celsius",
		"pano_displays_clock_offset_max_seconds", "pano_displays_disk_free_min_bytes"}
	want := func(states map[string]int, slow, dropping int, tempMax string, temps string) string {
		var b strings.Builder
		b.WriteString("# HELP pano_displays_by_driver_state x\n# TYPE pano_displays_by_driver_state gauge\n")
		for _, s := range []string{"blanked", "error", "identify", "ok", "other", "starting", "test_pattern", "unreported"} {
			b.WriteString("pano_displays_by_driver_state{state=\"" + s + "\"} " + strconv.Itoa(states[s]) + "\n")
		}
		b.WriteString(`# HELP pano_displays_fallback x
# TYPE pano_displays_fallback gauge
pano_displays_fallback{code="no_entry"} 0
pano_displays_fallback{code="no_plan"} 1
pano_displays_fallback{code="nothing_playable"} 0
pano_displays_fallback{code="other"} 1
# HELP pano_displays_below_target_fps x
# TYPE pano_displays_below_target_fps gauge
pano_displays_below_target_fps ` + strconv.Itoa(slow) + `
# HELP pano_displays_dropping_frames x
# TYPE pano_displays_dropping_frames gauge
pano_displays_dropping_frames ` + strconv.Itoa(dropping) + `
# HELP pano_displays_frames_dropped_total x
# TYPE pano_displays_frames_dropped_total counter
pano_displays_frames_dropped_total 30
# HELP pano_displays_frozen x
# TYPE pano_displays_frozen gauge
pano_displays_frozen 0
# HELP pano_displays_power_off x
# TYPE pano_displays_power_off gauge
pano_displays_power_off 1
# HELP pano_displays_missing_assets x
# TYPE pano_displays_missing_assets gauge
pano_displays_missing_assets ` + strconv.Itoa(slow) + `
# HELP pano_displays_storage_error x
# TYPE pano_displays_storage_error gauge
pano_displays_storage_error 1
# HELP pano_displays_plan_refused x
# TYPE pano_displays_plan_refused gauge
pano_displays_plan_refused 1
` + tempMax + temps)
		return b.String()
	}
	before := want(map[string]int{"ok": 4, "error": 1, "other": 1, "unreported": 1}, 1, 2, `# HELP pano_displays_cpu_temperature_max_celsius x
# TYPE pano_displays_cpu_temperature_max_celsius gauge
pano_displays_cpu_temperature_max_celsius 82.5
# HELP pano_displays_clock_offset_max_seconds x
# TYPE pano_displays_clock_offset_max_seconds gauge
pano_displays_clock_offset_max_seconds 0.25
# HELP pano_displays_disk_free_min_bytes x
# TYPE pano_displays_disk_free_min_bytes gauge
pano_displays_disk_free_min_bytes 1.048576e+06
`, `# HELP pano_displays_cpu_temperature_celsius x
# TYPE pano_displays_cpu_temperature_celsius histogram
pano_displays_cpu_temperature_celsius_bucket{le="40"} 0
pano_displays_cpu_temperature_celsius_bucket{le="50"} 0
pano_displays_cpu_temperature_celsius_bucket{le="60"} 1
pano_displays_cpu_temperature_celsius_bucket{le="70"} 1
pano_displays_cpu_temperature_celsius_bucket{le="75"} 1
pano_displays_cpu_temperature_celsius_bucket{le="80"} 1
pano_displays_cpu_temperature_celsius_bucket{le="85"} 2
pano_displays_cpu_temperature_celsius_bucket{le="90"} 2
pano_displays_cpu_temperature_celsius_bucket{le="+Inf"} 2
pano_displays_cpu_temperature_celsius_sum 137.5
pano_displays_cpu_temperature_celsius_count 2
`)
	if err := compare(f.health, before, names...); err != nil {
		t.Fatal(err)
	}

	// Display 2 goes offline: its slow, dropping, hot, late self leaves
	// the counts; the frames it dropped stay counted.
	links["2"]()
	if err := f.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == len(fleet)-1 }); err != nil {
		t.Fatalf("display 2 still listed: %+v", f.Agents())
	}
	after := want(map[string]int{"ok": 3, "error": 1, "other": 1, "unreported": 1}, 0, 1, `# HELP pano_displays_cpu_temperature_max_celsius x
# TYPE pano_displays_cpu_temperature_max_celsius gauge
pano_displays_cpu_temperature_max_celsius 55
# HELP pano_displays_clock_offset_max_seconds x
# TYPE pano_displays_clock_offset_max_seconds gauge
pano_displays_clock_offset_max_seconds 0.003
# HELP pano_displays_disk_free_min_bytes x
# TYPE pano_displays_disk_free_min_bytes gauge
pano_displays_disk_free_min_bytes 1.048576e+06
`, `# HELP pano_displays_cpu_temperature_celsius x
# TYPE pano_displays_cpu_temperature_celsius histogram
pano_displays_cpu_temperature_celsius_bucket{le="40"} 0
pano_displays_cpu_temperature_celsius_bucket{le="50"} 0
pano_displays_cpu_temperature_celsius_bucket{le="60"} 1
pano_displays_cpu_temperature_celsius_bucket{le="70"} 1
pano_displays_cpu_temperature_celsius_bucket{le="75"} 1
pano_displays_cpu_temperature_celsius_bucket{le="80"} 1
pano_displays_cpu_temperature_celsius_bucket{le="85"} 1
pano_displays_cpu_temperature_celsius_bucket{le="90"} 1
pano_displays_cpu_temperature_celsius_bucket{le="+Inf"} 1
pano_displays_cpu_temperature_celsius_sum 55
pano_displays_cpu_temperature_celsius_count 1
`)
	if err := compare(f.health, after, names...); err != nil {
		t.Fatal(err)
	}
}

// compare checks c's metrics of names against want, in the text format;
// HELP texts are for people (want gives them as "x"), so only types, labels
// and values are compared. The registry is pedantic: what Collect sends
// must match what Describe declared.
func compare(c prometheus.Collector, want string, names ...string) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		return err
	}
	g := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		fams, err := reg.Gather()
		help := "x"
		for _, f := range fams {
			f.Help = &help
		}
		return fams, err
	})
	return testutil.GatherAndCompare(g, strings.NewReader(want), names...)
}

// BenchmarkFleetHealthScrape is one scrape of the fleet's health metrics
// with 10,000 displays online (links stood in by their bookkeeping: the
// scrape reads nothing of the sockets).
func BenchmarkFleetHealthScrape(b *testing.B) {
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{})
	for i := range 10000 {
		c := &conn{h: h, id: Identity{DisplayID: int64(i + 1)}, hello: true}
		t := 40 + float64(i%50)
		c.info.Health = &protocol.Health{DriverState: protocol.DriverOK, TargetFPS: 25, AchievedFPS: 24 + float64(i%3),
			CPUTempC: &t, ClockOffsetMS: float64(i % 7), DiskFreeBytes: 1 << 30}
		h.conns[c] = struct{}{}
		h.byDisplay[c.id.DisplayID] = c
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.health)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFleetHealthCountsTheNewestLinkOfADisplay: while a display's older
// link is being closed, only its newest is counted (the older's report is
// of the screen before); a link without a display (tests of the link) is.
// The links are the hub's bookkeeping, set by hand: over sockets the older
// link is often gone before a scrape could see both.
func TestFleetHealthCountsTheNewestLinkOfADisplay(t *testing.T) {
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{})
	add := func(display int64, health *protocol.Health) *conn {
		c := &conn{h: h, id: Identity{DisplayID: display}, hello: true}
		c.info.Health = health
		h.conns[c] = struct{}{}
		if display != 0 {
			h.byDisplay[display] = c
		}
		return c
	}
	add(1, &protocol.Health{DriverState: protocol.DriverFailing})
	add(1, nil) // the newer link of display 1: no report yet
	add(0, &protocol.Health{DriverState: protocol.DriverOK})
	var b strings.Builder
	b.WriteString("# HELP pano_displays_by_driver_state x\n# TYPE pano_displays_by_driver_state gauge\n")
	for s, n := range map[string]int{"blanked": 0, "error": 0, "identify": 0, "ok": 1, "other": 0, "starting": 0, "test_pattern": 0, "unreported": 1} {
		b.WriteString("pano_displays_by_driver_state{state=\"" + s + "\"} " + strconv.Itoa(n) + "\n")
	}
	if err := compare(h.health, b.String(), "pano_displays_by_driver_state"); err != nil {
		t.Fatal(err)
	}
}
