package hub

import (
	"math"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pano-signage/pano/protocol"
)

// The fleet's health as an operator of thousands of screens reads it:
// counts of displays in each condition, from the latest report each live
// link holds, with no label per display (10,000 series per metric is what
// nobody wants to scrape). Who exactly is in a condition is the dashboard's
// and the API's job.

// slowFPS: a display draws below its target when it draws less than this
// share of it (a second's count of frames jitters by one or two).
const slowFPS = 0.9

// Driver states outside protocol.DriverStates (a newer agent's) are counted
// under otherState, so an agent cannot make the label set grow; links that
// have not reported yet are unreported.
const (
	otherState      = "other"
	unreportedState = "unreported"
)

// temperatureBuckets are upper bounds in °C: boards throttle from about 80.
var temperatureBuckets = []float64{40, 50, 60, 70, 75, 80, 85, 90}

// healthCollector reads the hub's live links at scrape time.
type healthCollector struct {
	h *Hub

	// framesDropped is the one figure counted as reports arrive: the
	// frames dropped between two reports on a link, summed (conn.onHealth).
	framesDropped prometheus.Counter

	byState, fallback                                 *prometheus.Desc
	slow, dropping, frozen, powerOff, missing, stored *prometheus.Desc
	refused, tempMax, temps, offsetMax, diskMin       *prometheus.Desc
}

func newHealthCollector(h *Hub) *healthCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &healthCollector{
		h: h,
		framesDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_displays_frames_dropped_total",
			Help: "Frames connected displays dropped, from the rise of frames_dropped between two health reports on one link.",
		}),
		byState:   d("pano_displays_by_driver_state", "Connected displays by the driver state of their latest health report ("+otherState+": a state this controller does not know; "+unreportedState+": no report yet on this link).", "state"),
		fallback:  d("pano_displays_fallback", "Connected displays showing their fallback, by why (health: fallback_code).", "code"),
		slow:      d("pano_displays_below_target_fps", "Connected displays drawing (driver state ok) at less than 90 % of their target frame rate."),
		dropping:  d("pano_displays_dropping_frames", "Connected displays whose frames_dropped rose between their last two health reports."),
		frozen:    d("pano_displays_frozen", "Connected displays showing the same frame longer than their plan says, screen on."),
		powerOff:  d("pano_displays_power_off", "Connected displays off by their plan's power windows."),
		missing:   d("pano_displays_missing_assets", "Connected displays with content of their plan missing (not downloaded or not decodable)."),
		stored:    d("pano_displays_storage_error", "Connected displays that cannot write to their disk."),
		refused:   d("pano_displays_plan_refused", "Connected displays that refused the newest plan sent them and play an older one."),
		tempMax:   d("pano_displays_cpu_temperature_max_celsius", "The hottest CPU among connected displays that report a temperature."),
		temps:     d("pano_displays_cpu_temperature_celsius", "CPU temperatures of connected displays, latest report each: a snapshot, not accumulated over time (histogram_quantile it directly, not its rate)."),
		offsetMax: d("pano_displays_clock_offset_max_seconds", "The largest clock offset (controller minus agent, either sign) among connected displays."),
		diskMin:   d("pano_displays_disk_free_min_bytes", "The least free disk among connected displays."),
	}
}

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	c.framesDropped.Describe(ch)
	for _, d := range []*prometheus.Desc{c.byState, c.fallback, c.slow, c.dropping, c.frozen, c.powerOff, c.missing,
		c.stored, c.refused, c.tempMax, c.temps, c.offsetMax, c.diskMin} {
		ch <- d
	}
}

// linkHealth is what a scrape reads of one live link.
type linkHealth struct {
	health   *protocol.Health // never changed once stored: a report replaces the pointer
	dropping bool
}

// healths reads the latest report of each live link that said hello (the
// links Agents lists), without copying or sorting what the dashboard
// needs. The hub lock is held only to list the links.
func (h *Hub) healths() []linkHealth {
	h.mu.Lock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		if c.id.DisplayID == 0 || h.byDisplay[c.id.DisplayID] == c {
			conns = append(conns, c)
		}
	}
	h.mu.Unlock()
	out := make([]linkHealth, 0, len(conns))
	for _, c := range conns {
		c.mu.Lock()
		if c.hello {
			out = append(out, linkHealth{c.info.Health, c.dropping})
		}
		c.mu.Unlock()
	}
	return out
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	c.framesDropped.Collect(ch)
	byState := map[string]int{unreportedState: 0, otherState: 0}
	for _, s := range protocol.DriverStates {
		byState[s] = 0
	}
	fallback := map[string]int{otherState: 0}
	for _, f := range protocol.Fallbacks {
		fallback[f] = 0
	}
	var slow, dropping, frozen, powerOff, missing, stored, refused int
	var temps []float64
	tempMax, offsetMax, diskMin := math.Inf(-1), 0.0, math.Inf(1)
	diskKnown := false
	links := c.h.healths()
	for _, l := range links {
		h := l.health
		if h == nil {
			byState[unreportedState]++
			continue
		}
		if slices.Contains(protocol.DriverStates, h.DriverState) {
			byState[h.DriverState]++
		} else {
			byState[otherState]++
		}
		switch {
		case h.FallbackCode == "" && h.Fallback == "":
		case slices.Contains(protocol.Fallbacks, h.FallbackCode):
			fallback[h.FallbackCode]++
		default:
			fallback[otherState]++
		}
		if h.DriverState == protocol.DriverOK && !h.PowerOff && h.TargetFPS > 0 && h.AchievedFPS < slowFPS*h.TargetFPS {
			slow++
		}
		count(&dropping, l.dropping)
		count(&frozen, h.Frozen && !h.PowerOff) // as the alerts see it
		count(&powerOff, h.PowerOff)
		count(&missing, len(h.Missing) > 0)
		count(&stored, h.StorageError != "")
		count(&refused, h.PlanRefused != "")
		if h.CPUTempC != nil {
			temps = append(temps, *h.CPUTempC)
			tempMax = max(tempMax, *h.CPUTempC)
		}
		offsetMax = max(offsetMax, math.Abs(h.ClockOffsetMS)/1000)
		if h.DiskFreeBytes > 0 { // 0: the agent could not read its disk
			diskMin, diskKnown = min(diskMin, float64(h.DiskFreeBytes)), true
		}
	}
	for s, n := range byState {
		ch <- prometheus.MustNewConstMetric(c.byState, prometheus.GaugeValue, float64(n), s)
	}
	for f, n := range fallback {
		ch <- prometheus.MustNewConstMetric(c.fallback, prometheus.GaugeValue, float64(n), f)
	}
	for d, n := range map[*prometheus.Desc]int{c.slow: slow, c.dropping: dropping, c.frozen: frozen, c.powerOff: powerOff,
		c.missing: missing, c.stored: stored, c.refused: refused} {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n))
	}
	reported := len(links) - byState[unreportedState]
	if reported > 0 {
		// Absent, not 0, when nobody reports: 0 s would read as perfect
		// sync and 0 bytes as full disks.
		ch <- prometheus.MustNewConstMetric(c.offsetMax, prometheus.GaugeValue, offsetMax)
	}
	if diskKnown {
		ch <- prometheus.MustNewConstMetric(c.diskMin, prometheus.GaugeValue, diskMin)
	}
	if len(temps) > 0 {
		ch <- prometheus.MustNewConstMetric(c.tempMax, prometheus.GaugeValue, tempMax)
	}
	buckets := make(map[float64]uint64, len(temperatureBuckets))
	var sum float64
	for _, b := range temperatureBuckets {
		buckets[b] = 0 // every bucket, empty ones too, as a histogram has
	}
	for _, t := range temps {
		sum += t
		for _, b := range temperatureBuckets {
			if t <= b {
				buckets[b]++
			}
		}
	}
	ch <- prometheus.MustNewConstHistogram(c.temps, uint64(len(temps)), sum, buckets)
}

func count(n *int, b bool) {
	if b {
		*n++
	}
}
