package cluster

import "github.com/prometheus/client_golang/prometheus"

// metrics are the bus's Prometheus collectors; Collectors hands them to the
// server's registry.
type metrics struct {
	connected  prometheus.GaugeFunc
	held       prometheus.GaugeFunc
	remote     prometheus.GaugeFunc
	published  prometheus.Counter
	received   prometheus.Counter
	forwarded  prometheus.Counter
	reconnects prometheus.Counter
	dropped    prometheus.Counter
}

func newMetrics(b *Bus) metrics {
	return metrics{
		connected: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pano_cluster_connected", Help: "1 while this replica reaches NATS, else 0.",
		}, func() float64 {
			if b.nc != nil && b.nc.IsConnected() {
				return 1
			}
			return 0
		}),
		held: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pano_cluster_displays_held", Help: "Displays whose link is on this replica, which the others reach through it.",
		}, func() float64 {
			b.mu.Lock()
			defer b.mu.Unlock()
			return float64(len(b.held))
		}),
		remote: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pano_cluster_displays_remote", Help: "Displays online on other replicas, as they last announced them.",
		}, func() float64 {
			b.pmu.Lock()
			defer b.pmu.Unlock()
			return float64(len(b.remote))
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_cluster_messages_published_total", Help: "Messages this replica sent on the bus (changes, plans, revocations, commands and their answers, results).",
		}),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_cluster_messages_received_total", Help: "Messages this replica received from the bus.",
		}),
		forwarded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_cluster_commands_forwarded_total", Help: "Commands asked here that reached an agent on another replica.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_cluster_reconnects_total", Help: "Times this replica reached NATS again after losing it.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pano_cluster_publish_failures_total", Help: "Messages this replica could not publish (NATS away longer than its 8 MiB buffer lasts, or closing).",
		}),
	}
}

// Collectors are the bus's metrics, to register once. A nil bus (a single
// controller) has none.
func (b *Bus) Collectors() []prometheus.Collector {
	if b == nil {
		return nil
	}
	return []prometheus.Collector{b.m.connected, b.m.held, b.m.remote, b.m.published, b.m.received, b.m.forwarded, b.m.reconnects, b.m.dropped}
}
