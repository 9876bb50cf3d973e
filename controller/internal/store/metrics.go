package store

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors are the store's metrics for /metrics: how long writes queue
// for the one writer connection (every write takes it, so its wait is
// what a busy controller's writes cost beyond their own work) and the
// rendition queue's depth.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pano_store_writer_waits_total",
			Help: "Writes that waited for the database's one writer connection.",
		}, func() float64 { return float64(s.w.Stats().WaitCount) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pano_store_writer_wait_seconds_total",
			Help: "Time writes spent waiting for the database's one writer connection.",
		}, func() float64 { return s.w.Stats().WaitDuration.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pano_store_writer_commits_total",
			Help: "Transactions the database's one writer connection committed.",
		}, func() float64 { return float64(s.Commits()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pano_store_writer_busy",
			Help: "1 while a write holds the database's writer connection.",
		}, func() float64 { return float64(s.w.Stats().InUse) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pano_store_pending_facts",
			Help: "Agents' hellos, departures and plan acks kept in memory, not yet stored (a number that stays up: the database takes no writes).",
		}, func() float64 { return float64(s.pendingFacts()) }),
		renditionQueue{s},
	}
}

// Commits is how many transactions the writer connection has committed
// (a statement outside a transaction is one): pano_store_writer_commits_total.
func (s *Store) Commits() int64 { return s.commits.Load() }

// renditionQueue reports the renditions queued and being made, with one
// query a scrape.
type renditionQueue struct{ s *Store }

var renditionQueueDesc = prometheus.NewDesc("pano_render_queue",
	"Renditions waiting in the render queue (queued) or being made (processing).", []string{"status"}, nil)

func (q renditionQueue) Describe(ch chan<- *prometheus.Desc) { ch <- renditionQueueDesc }

func (q renditionQueue) Collect(ch chan<- prometheus.Metric) {
	counts, err := q.s.RenditionQueue(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(renditionQueueDesc, err)
		return
	}
	for _, status := range []string{"queued", "processing"} {
		ch <- prometheus.MustNewConstMetric(renditionQueueDesc, prometheus.GaugeValue, float64(counts[status]), status)
	}
}

// RenditionQueue counts the renditions queued and being made, by status.
func (s *Store) RenditionQueue(ctx context.Context) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM renditions WHERE status IN ('queued', 'processing') GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		out[status] = n
	}
	return out, rows.Err()
}
