package hub

import "github.com/prometheus/client_golang/prometheus"

// metrics are the hub's Prometheus collectors; Collectors hands them to the
// server's registry.
type metrics struct {
	connected       prometheus.GaugeFunc
	pushes          prometheus.Counter
	pushLatency     prometheus.Histogram
	drops           prometheus.Counter
	acksOutstanding prometheus.Gauge
}

func newMetrics(h *Hub) metrics {
	return metrics{
		connected: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pano_hub_agents_connected", Help: "Agent links open now (one per display, plus links being replaced).",
		}, func() float64 {
			h.mu.Lock()
			defer h.mu.Unlock()
			return float64(len(h.conns))
		}),
		pushes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_hub_plan_pushes_total", Help: "Plan messages queued to agents (on hello and on change).",
		}),
		pushLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pano_hub_plan_push_seconds", Help: "Time from queueing a plan message to writing it to the agent's socket.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10), // 100 µs … 26 s
		}),
		drops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_hub_send_queue_drops_total", Help: "Links dropped because their send queue was full (the agent did not keep up).",
		}),
		acksOutstanding: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pano_hub_plan_acks_outstanding", Help: "Plan messages sent on open links and not yet acknowledged.",
		}),
	}
}

// Collectors are the hub's metrics, to register once: the links', and the
// fleet's health from the latest report of each (health_metrics.go).
func (h *Hub) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.m.connected, h.m.pushes, h.m.pushLatency, h.m.drops, h.m.acksOutstanding, h.health}
}
