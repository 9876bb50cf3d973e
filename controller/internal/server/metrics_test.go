package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pano-signage/pano/controller/internal/hub"
)

type thingsAPI struct{}

func (thingsAPI) Register(e *echo.Echo) {
	e.GET("/api/v1/things/:id", func(c echo.Context) error {
		if c.Param("id") == "7" {
			return c.String(http.StatusOK, "seven")
		}
		return testErr{status: http.StatusNotFound, code: "not_found"}
	})
}

// TestRequestLatencyIsCountedByRouteAndTheCodeSent: /metrics counts each
// request under its route pattern (not its path, which would make a series
// per id) with the status the client got, a coded API error's included.
func TestRequestLatencyIsCountedByRouteAndTheCodeSent(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := New(Deps{Log: log, Version: "test", Hub: hub.New(log, nil, hub.Options{}), API: thingsAPI{}})
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	for _, p := range []string{"/api/v1/things/7", "/api/v1/things/8", "/api/v1/things/9", "/api/v1/things/10"} {
		get(p)
	}
	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`pano_http_request_duration_seconds_count{code="200",method="GET",route="/api/v1/things/:id"} 1`,
		`pano_http_request_duration_seconds_count{code="404",method="GET",route="/api/v1/things/:id"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `route="/api/v1/things/8"`) {
		t.Error("a raw path is a label: one series per id")
	}
	if code, _ := get("/api/v1/things/8"); code != http.StatusNotFound {
		t.Errorf("the error answered %d through the middleware, want 404", code)
	}
}

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
		"pano_hub_send_queue_drops_total", "pano_hub_plan_acks_outstanding", "pano_displays_by_driver_state", "pano_test_passed_total"} {
		if !strings.Contains(rec.Body.String(), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
