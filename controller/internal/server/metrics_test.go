package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pano-signage/pano/controller/internal/hub"
)

// /metrics carries the hub's collectors and those the controller passes.
func TestMetricsCarryTheHubsAndThePassedCollectors(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "pano_test_passed_total", Help: "A collector passed in."})
	e := New(Deps{Log: log, Version: "test", Hub: hub.New(log, nil, hub.Options{}), Collectors: []prometheus.Collector{extra}})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	for _, name := range []string{"pano_hub_agents_connected", "pano_hub_plan_pushes_total", "pano_hub_plan_push_seconds_bucket",
		"pano_hub_send_queue_drops_total", "pano_hub_plan_acks_outstanding", "pano_test_passed_total"} {
		if !strings.Contains(rec.Body.String(), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
