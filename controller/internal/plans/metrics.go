package plans

import "github.com/prometheus/client_golang/prometheus"

// metrics are the plan service's Prometheus collectors.
type metrics struct {
	compiles  prometheus.Counter
	compile   prometheus.Histogram
	refreshes *prometheus.CounterVec
	writes    prometheus.Counter
}

func newMetrics() metrics {
	return metrics{
		compiles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_plan_compiles_total", Help: "Display plans compiled (changed or not).",
		}),
		compile: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pano_plan_compile_seconds", Help: "Time to compile one display's plan (reads and digest, not the write).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9), // 100 µs … 6.5 s
		}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pano_plan_refreshes_total", Help: "Plan refreshes: full (every display: at start, hourly, a new rendition) or targeted (the displays a change reaches).",
		}, []string{"kind"}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_plan_revisions_total", Help: "New plan revisions stored.",
		}),
	}
}

// Collectors are the plan service's metrics, to register once.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.m.compiles, s.m.compile, s.m.refreshes, s.m.writes}
}
