package server

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pano-signage/pano/protocol"
)

// httpDurationOpts: the latency of HTTP requests by route pattern (never the
// raw path: ids would make a series each), method and status code.
var httpDurationOpts = prometheus.HistogramOpts{
	Name:    "pano_http_request_duration_seconds",
	Help:    "Time to answer HTTP requests, by route pattern, method and status code.",
	Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
}

// measure returns a middleware that observes each request's latency in h.
// The agents' websocket is a link, not a request: it is left out (the
// hub's own metrics tell about links).
func measure(h *prometheus.HistogramVec) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path()
			if route == protocol.Path {
				return err
			}
			if err != nil {
				// Answer it now, as echo's logger does, so that the
				// status code is the one the client gets.
				c.Error(err)
			}
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			h.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}
