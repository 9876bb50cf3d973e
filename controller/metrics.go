package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pano-signage/pano/assets"
)

// decodeCollectors are the decode budget's metrics: the pixels decoded at
// once now and at most, and the decodes waiting for room (uploads,
// previews and renditions share the budget).
func decodeCollectors(b *assets.Budget) []prometheus.Collector {
	gauge := func(name, help string, f func(assets.BudgetStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(b.Stats()) })
	}
	return []prometheus.Collector{
		gauge("pano_decode_budget_pixels", "Pixels the controller decodes at once at most (--decode-megapixels).",
			func(s assets.BudgetStats) float64 { return float64(s.Capacity) }),
		gauge("pano_decode_pixels_in_use", "Pixels being decoded now (twice their number for 16-bit pictures).",
			func(s assets.BudgetStats) float64 { return float64(s.InUse) }),
		gauge("pano_decode_pixels_peak", "The most pixels decoded at once since the controller started.",
			func(s assets.BudgetStats) float64 { return float64(s.Peak) }),
		gauge("pano_decode_waiting", "Decodes waiting for room in the decode budget.",
			func(s assets.BudgetStats) float64 { return float64(s.Waiting) }),
	}
}
