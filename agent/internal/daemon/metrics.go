package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pano-signage/pano/agent/internal/link"
	"github.com/pano-signage/pano/protocol"
)

// MetricsAddr is the address to suggest for --metrics: loopback, so only a
// Prometheus (or node_exporter's proxy) on the box itself scrapes it.
const MetricsAddr = "127.0.0.1:9101"

// healthSource is where the metrics read the agent's state: the health
// report the controller gets, and the link and journal it does not carry.
type healthSource interface {
	Health() protocol.Health
	LinkState() link.State
	JournalPending() int64 // bytes of play records not yet acknowledged
}

// LinkState is the link's state now.
func (d *Daemon) LinkState() link.State { return d.Link.State() }

// JournalPending is the size of the play records waiting for upload.
func (d *Daemon) JournalPending() int64 {
	pending, _ := d.Journal.Stats()
	return pending
}

// Collector is the agent's health as Prometheus metrics. It builds a health
// report at each scrape, as sendHealth does, so the two never disagree and
// nothing is counted twice.
func (d *Daemon) Collector() prometheus.Collector { return newHealthCollector(d) }

// ServeMetrics serves /metrics (the agent's health, the Go runtime and the
// process) on ln until ctx ends.
func (d *Daemon) ServeMetrics(ctx context.Context, ln net.Listener) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(d.Collector(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return serveMetrics(ctx, ln, reg)
}

func serveMetrics(ctx context.Context, ln net.Listener, reg *prometheus.Registry) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// agentMetric is one metric of the health report: val says its value and
// whether the report has one (a board without a temperature sensor).
type agentMetric struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	val  func(s *snapshot) (float64, bool)
}

type snapshot struct {
	h       protocol.Health
	link    link.State
	pending int64
}

// stateSet is a metric with one series per state, 1 for the current one
// (the OpenMetrics StateSet). A state outside the known list gets a
// series of its own, so a newer agent's state is not lost.
type stateSet struct {
	desc   *prometheus.Desc
	known  []string
	active func(s *snapshot) string
}

type healthCollector struct {
	src     healthSource
	info    *prometheus.Desc
	on      *prometheus.Desc // the controller the link is on, among those it knows
	metrics []agentMetric
	sets    []stateSet
}

func newHealthCollector(src healthSource) *healthCollector {
	c := &healthCollector{
		src:  src,
		info: prometheus.NewDesc("pano_agent_info", "The agent's build and, for a video output, the mode it drives (health: agent_version, driver_mode).", []string{"version", "driver_mode"}, nil),
		on: prometheus.NewDesc("pano_agent_link_controller", "1 for the controller the link is up with, 0 for the other controllers the agent knows (its list of replicas).",
			[]string{"controller"}, nil),
	}
	add := func(name, help string, typ prometheus.ValueType, val func(s *snapshot) (float64, bool)) {
		c.metrics = append(c.metrics, agentMetric{prometheus.NewDesc(name, help, nil, nil), typ, val})
	}
	gauge := func(name, help string, val func(s *snapshot) float64) {
		add(name, help, prometheus.GaugeValue, func(s *snapshot) (float64, bool) { return val(s), true })
	}
	counter := func(name, help string, val func(s *snapshot) float64) {
		add(name, help, prometheus.CounterValue, func(s *snapshot) (float64, bool) { return val(s), true })
	}
	ms := func(v float64) float64 { return v / 1000 }
	gauge("pano_agent_uptime_seconds", "Time since the agent started (health: uptime_ms).",
		func(s *snapshot) float64 { return ms(float64(s.h.UptimeMS)) })
	gauge("pano_agent_plan_revision", "Revision of the plan the agent plays, the one it acknowledged to the controller; 0 before the first (health: plan_revision).",
		func(s *snapshot) float64 { return float64(s.h.PlanRevision) })
	gauge("pano_agent_plan_refused", "1 while the newest plan the controller sent was refused; the agent plays the one it has (health: plan_refused).",
		func(s *snapshot) float64 { return bool01(s.h.PlanRefused != "") })
	add("pano_agent_plan_refused_revision", "Revision of the refused plan, while one is (health: plan_refused_revision).", prometheus.GaugeValue,
		func(s *snapshot) (float64, bool) { return float64(s.h.PlanRefusedRevision), s.h.PlanRefused != "" })
	gauge("pano_agent_current_item", "Playlist item on the panel, 0 for none (health: current_item).",
		func(s *snapshot) float64 { return float64(s.h.CurrentItem) })
	gauge("pano_agent_target_fps", "Frames per second the player aims at (health: target_fps).",
		func(s *snapshot) float64 { return s.h.TargetFPS })
	gauge("pano_agent_achieved_fps", "Frames per second the player drew lately (health: achieved_fps).",
		func(s *snapshot) float64 { return s.h.AchievedFPS })
	counter("pano_agent_frames_dropped_total", "Frames the panel never showed: late frames, and frames the driver's link could not carry, since the driver opened (health: frames_dropped).",
		func(s *snapshot) float64 { return float64(s.h.FramesDropped) })
	gauge("pano_agent_frozen", "1 while the same frame stays up longer than the plan says (health: frozen).",
		func(s *snapshot) float64 { return bool01(s.h.Frozen) })
	gauge("pano_agent_driver_error", "1 while the panel output fails; the log and health's driver_error say why.",
		func(s *snapshot) float64 { return bool01(s.h.DriverError != "") })
	gauge("pano_agent_clock_offset_seconds", "Controller time minus agent time, as the clock sync measured it (health: clock_offset_ms).",
		func(s *snapshot) float64 { return ms(s.h.ClockOffsetMS) })
	gauge("pano_agent_clock_rtt_seconds", "Round trip of the clock sample the offset comes from (health: clock_rtt_ms).",
		func(s *snapshot) float64 { return ms(s.h.ClockRTTMS) })
	gauge("pano_agent_cache_bytes", "Size of the content cache (health: cache_bytes).",
		func(s *snapshot) float64 { return float64(s.h.CacheBytes) })
	gauge("pano_agent_sync_done_bytes", "Bytes of the plan's assets in the cache (health: sync_done_bytes).",
		func(s *snapshot) float64 { return float64(s.h.SyncDone) })
	gauge("pano_agent_sync_total_bytes", "Bytes of all the plan's assets (health: sync_total_bytes).",
		func(s *snapshot) float64 { return float64(s.h.SyncTotal) })
	gauge("pano_agent_missing_assets", "Assets of the plan that failed to download or to decode (health: missing_assets).",
		func(s *snapshot) float64 { return float64(len(s.h.Missing)) })
	gauge("pano_agent_disk_free_bytes", "Space left for the state directory (health: disk_free_bytes).",
		func(s *snapshot) float64 { return float64(s.h.DiskFreeBytes) })
	gauge("pano_agent_resident_memory_bytes", "The agent's resident memory (health: memory_bytes).",
		func(s *snapshot) float64 { return float64(s.h.MemoryBytes) })
	add("pano_agent_cpu_temperature_celsius", "The board's first thermal zone; absent where it has none (health: cpu_temp_c).", prometheus.GaugeValue,
		func(s *snapshot) (float64, bool) { return present(s.h.CPUTempC) })
	counter("pano_agent_play_records_dropped_total", "Proof-of-play records lost to the journal's bound (health: play_records_dropped).",
		func(s *snapshot) float64 { return float64(s.h.PlayDropped) })
	gauge("pano_agent_play_journal_pending_bytes", "Proof-of-play records in the journal not yet acknowledged by the controller.",
		func(s *snapshot) float64 { return float64(s.pending) })
	gauge("pano_agent_storage_error", "1 while a write to the disk fails (a full disk) (health: storage_error).",
		func(s *snapshot) float64 { return bool01(s.h.StorageError != "") })
	add("pano_agent_brightness_percent", "Level the panel is driven at now (health: brightness).", prometheus.GaugeValue,
		func(s *snapshot) (float64, bool) { return present(s.h.Brightness) })
	add("pano_agent_brightness_override_percent", "Level a brightness command set, while it holds (health: brightness_override).", prometheus.GaugeValue,
		func(s *snapshot) (float64, bool) { return present(s.h.BrightnessOverride) })
	add("pano_agent_brightness_override_until_timestamp_seconds", "When the brightness command's level ends, Unix time (health: brightness_until).", prometheus.GaugeValue,
		func(s *snapshot) (float64, bool) {
			if s.h.BrightnessUntil == nil {
				return 0, false
			}
			return float64(s.h.BrightnessUntil.UnixNano()) / 1e9, true
		})
	gauge("pano_agent_power_off", "1 while the plan's power windows have the screen off (health: power_off).",
		func(s *snapshot) float64 { return bool01(s.h.PowerOff) })
	gauge("pano_agent_link_connected", "1 while the link to the controller is up.",
		func(s *snapshot) float64 { return bool01(s.link.Connected) })
	counter("pano_agent_link_connects_total", "Sessions opened with the controller since the agent started; more than one is a reconnect.",
		func(s *snapshot) float64 { return float64(s.link.Connects) })
	gauge("pano_agent_link_failed_attempts", "Failed attempts to reach the controller since the link was last up.",
		func(s *snapshot) float64 { return float64(s.link.Attempt) })

	set := func(name, help, label string, known []string, active func(s *snapshot) string) {
		c.sets = append(c.sets, stateSet{prometheus.NewDesc(name, help, []string{label}, nil), known, active})
	}
	set("pano_agent_driver_state", "1 for the panel driver's state now (health: driver_state).", "state",
		protocol.DriverStates, func(s *snapshot) string { return s.h.DriverState })
	set("pano_agent_fallback", "1 for why the fallback shows, while it does (health: fallback_code).", "code",
		protocol.Fallbacks, func(s *snapshot) string { return s.h.FallbackCode })
	set("pano_agent_brightness_source", "1 for where the brightness level comes from (health: brightness_source).", "source",
		[]string{protocol.LevelOverride, protocol.LevelWindow, protocol.LevelDay, protocol.LevelNight, protocol.LevelProfile},
		func(s *snapshot) string { return s.h.BrightnessSource })
	return c
}

// present is a health field that may be absent: its value, and whether
// it is there.
func present[T ~int | ~float64](v *T) (float64, bool) {
	if v == nil {
		return 0, false
	}
	return float64(*v), true
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.info
	ch <- c.on
	for _, m := range c.metrics {
		ch <- m.desc
	}
	for _, s := range c.sets {
		ch <- s.desc
	}
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	s := &snapshot{h: c.src.Health(), link: c.src.LinkState(), pending: c.src.JournalPending()}
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, s.h.AgentVersion, s.h.DriverMode)
	for _, addr := range s.link.Controllers {
		ch <- prometheus.MustNewConstMetric(c.on, prometheus.GaugeValue, bool01(s.link.Connected && addr == s.link.Controller), addr)
	}
	for _, m := range c.metrics {
		if v, ok := m.val(s); ok {
			ch <- prometheus.MustNewConstMetric(m.desc, m.typ, v)
		}
	}
	for _, set := range c.sets {
		active := set.active(s)
		for _, k := range set.known {
			ch <- prometheus.MustNewConstMetric(set.desc, prometheus.GaugeValue, bool01(k == active), k)
		}
		if active != "" && !slices.Contains(set.known, active) {
			ch <- prometheus.MustNewConstMetric(set.desc, prometheus.GaugeValue, 1, active)
		}
	}
}
