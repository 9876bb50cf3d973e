// Package server wires the controller's HTTP surface onto echo: health,
// metrics, the agent websocket and the dashboard.
package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/protocol"
	"github.com/pano-signage/pano/web"
)

// Pinger is the store as /healthz sees it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the parts the server routes to.
type Deps struct {
	Log     *slog.Logger
	Store   Pinger
	Hub     *hub.Hub
	Version string
	// TimeZone is where the dashboard shows times (default
	// Asia/Ho_Chi_Minh); SiteName heads printed reports.
	TimeZone string
	SiteName string
	// Collectors are more metrics for /metrics (the store's, the decode
	// budget's, the hub's and the plans').
	Collectors []prometheus.Collector
	// API is registered under /api/v1 when set.
	API interface{ Register(*echo.Echo) }
	// Agents registers the agent endpoints (/agent/v1/…) when set.
	Agents interface{ Register(*echo.Echo) }
}

// New builds the echo instance with every route registered.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Log)
	// The peer address, never X-Forwarded-For: clients could forge it.
	e.IPExtractor = echo.ExtractIPDirect()
	// A panic in a handler is a bug: log it once, with its stack, through the
	// controller's logger, and answer 500 through the error handler.
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			d.Log.Error("handler panic", "method", c.Request().Method, "path", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(securityHeaders)

	reg := prometheus.NewRegistry()
	httpDuration := prometheus.NewHistogramVec(httpDurationOpts, []string{"route", "method", "code"})
	e.Use(measure(httpDuration))
	reg.MustRegister(
		httpDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "pano_build_info",
			Help:        "Build of this controller.",
			ConstLabels: prometheus.Labels{"version": d.Version, "protocol": protocol.Version},
		}, func() float64 { return 1 }),
	)
	if d.Hub != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pano_agents_online",
			Help: "Agents connected to this controller that have said hello.",
		}, func() float64 { return float64(len(d.Hub.Agents())) }))
		reg.MustRegister(d.Hub.Collectors()...)
	}
	reg.MustRegister(d.Collectors...)

	e.GET("/healthz", healthz(d))
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	e.GET(protocol.Path, echo.WrapHandler(d.Hub))
	for _, p := range web.Pages {
		e.GET(p.Path, dashboard(d, p.Name))
	}
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(filesOnly{web.Static}))))
	if d.Agents != nil {
		d.Agents.Register(e)
	}
	if d.API != nil {
		d.API.Register(e)
	}
	return e
}

// filesOnly serves the files of an FS and no directory: a folder's name
// is not found, so nobody reads the list of what it holds.
type filesOnly struct{ fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, fs.ErrNotExist
	}
	return file, nil
}

func healthz(d Deps) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := d.Store.Ping(ctx); err != nil {
			d.Log.Error("health check: database", "err", err)
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "error"})
		}
		return c.JSON(http.StatusOK, map[string]any{
			"status":        "ok",
			"version":       d.Version,
			"protocol":      protocol.Version,
			"agents_online": len(d.Hub.Agents()),
		})
	}
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		// Served over TLS (the controller's --tls-cert): browsers are to
		// come back over HTTPS only, for a year. Never over plain HTTP,
		// where it would be meaningless (and a site without TLS would
		// lock its users out if a proxy added TLS later and dropped it).
		if c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// codedError is an error that knows its HTTP status and its stable code,
// such as the API's errors.
type codedError interface {
	error
	HTTPStatus() int
	ErrorCode() string
}

// detailedError is a codedError with more members for the error object,
// such as the API's "field", "params" or "roles".
type detailedError interface {
	ErrorDetails() map[string]any
}

// errorCodes are the codes of echo's own errors (no route, wrong method,
// body too large) by status.
var errorCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusTooManyRequests:       "throttled",
	http.StatusServiceUnavailable:    "unavailable",
}

// errorHandler answers errors as {"error":{"code","message",…}} and never
// shows internals: unexpected errors are logged and reported as "internal".
// A coded error's details (ErrorDetails) are further members of the error
// object; they cannot replace code or message.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, code, msg := http.StatusInternalServerError, "internal", "internal error; see the controller log"
		body := map[string]any{}
		var ce codedError
		var he *echo.HTTPError
		switch {
		case errors.As(err, &ce):
			status, code, msg = ce.HTTPStatus(), ce.ErrorCode(), ce.Error()
			if de, ok := ce.(detailedError); ok {
				for k, v := range de.ErrorDetails() {
					body[k] = v
				}
			}
		case errors.Is(err, assets.ErrRemote):
			// NATS away: the client may try again, and the operator
			// must see it.
			log.Warn("request failed: the shared asset store", "method", c.Request().Method, "path", c.Path(), "err", err)
			status, code = http.StatusServiceUnavailable, "unavailable"
			msg = "the file store the controllers share (NATS) cannot be reached; nothing was saved; try again in a minute"
			c.Response().Header().Set("Retry-After", "30")
		case errors.As(err, &he):
			status = he.Code
			code = errorCodes[status]
			if code == "" {
				code = "error"
			}
			if m, ok := he.Message.(string); ok {
				msg = m
			} else {
				msg = http.StatusText(status)
			}
		default:
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		body["code"], body["message"] = code, msg
		_ = c.JSON(status, map[string]any{"error": body})
	}
}
