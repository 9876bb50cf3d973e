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

// assetCollectors count what this replica fetched from the asset files
// shared through NATS (serve --nats); all zero on a single controller.
func assetCollectors(as *assets.Store) []prometheus.Collector {
	counter := func(name, help string, f func(assets.RemoteStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(as.Stats())) })
	}
	return []prometheus.Collector{
		counter("pano_asset_fetches_total", "Asset files this replica fetched from the NATS object store because its disk lacked them.",
			func(s assets.RemoteStats) int64 { return s.Fetches }),
		counter("pano_asset_fetch_joined_total", "Requests for an asset file that waited for a fetch already under way instead of starting another.",
			func(s assets.RemoteStats) int64 { return s.Joined }),
		counter("pano_asset_fetched_bytes_total", "Bytes of the asset files fetched from the NATS object store and cached.",
			func(s assets.RemoteStats) int64 { return s.Bytes }),
		counter("pano_asset_fetch_refused_total", "Fetched asset files refused because their bytes do not match their SHA-256 (a damaged object).",
			func(s assets.RemoteStats) int64 { return s.Refused }),
	}
}
