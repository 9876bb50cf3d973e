// Package agentapi is the controller's HTTP surface for agents, outside the
// websocket: enrolment (a one-time code exchanged for a device credential)
// and the check of that credential on every agent request.
package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/server"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// CredentialPrefix starts every device credential, so a leaked one is
// recognisable in logs and secret scanners.
const CredentialPrefix = "pano_dev_"

// credentialStore is what the agent API reads and writes of the store,
// declared here so that another store can stand in for *store.Store.
type credentialStore interface {
	EnrolmentCodeDisplay(ctx context.Context, codeHash string) (store.Display, error)
	RedeemEnrolmentCode(ctx context.Context, who store.Actor, codeHash, secretHash string) (int64, error)
	DisplayByCredential(ctx context.Context, secretHash string) (store.Display, error)
	auth.Failures // failed enrolments, counted across replicas
}

var _ credentialStore = (*store.Store)(nil)

// API serves the agent endpoints.
type API struct {
	st       credentialStore
	log      *slog.Logger
	throttle *auth.Throttle // failed enrolments per address
	// controllers is every replica's public websocket address (serve
	// --advertise), given to each agent with its credential.
	controllers []string
}

// New returns the agent API; controllers (may be empty) goes in each
// enrolment answer.
func New(st credentialStore, log *slog.Logger, controllers []string) *API {
	return &API{st: st, log: log, throttle: auth.NewThrottle(st, "enrolment address", 20, 15*time.Minute, time.Now), controllers: controllers}
}

// Register mounts the endpoints.
func (a *API) Register(e *echo.Echo) {
	e.POST(protocol.EnrollPath, a.enroll)
}

func fail(c echo.Context, status int, code, msg string) error {
	return c.JSON(status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (a *API) enroll(c echo.Context) error {
	addr := c.RealIP()
	if host, _, err := net.SplitHostPort(c.Request().RemoteAddr); err == nil {
		addr = host // the direct peer: a forged X-Forwarded-For must not reset the throttle
	}
	blocked, wait, err := a.throttle.Blocked(c.Request().Context(), addr)
	if err != nil {
		return err
	}
	if blocked {
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		return fail(c, http.StatusTooManyRequests, "throttled", "too many failed enrolments from this address; wait and try again")
	}
	var req protocol.EnrollRequest
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if errors.Is(err, server.ErrBodyTooSlow) {
			return fail(c, http.StatusRequestTimeout, "too_slow", "the enrolment request arrived too slowly; check the network and try again")
		}
		return fail(c, http.StatusBadRequest, "bad_request", "the body must be a JSON enrolment request: "+err.Error())
	}
	req.Code = strings.ToUpper(strings.TrimSpace(req.Code))
	if req.Code == "" {
		return fail(c, http.StatusBadRequest, "bad_request", `"code" is required: ask a technician for an enrolment code`)
	}
	if err := req.Panel.Validate(); err != nil {
		return fail(c, http.StatusBadRequest, "bad_request", err.Error())
	}
	ctx := c.Request().Context()
	codeHash := auth.HashToken(req.Code)
	d, err := a.st.EnrolmentCodeDisplay(ctx, codeHash)
	if errors.Is(err, store.ErrNotFound) {
		if err := a.throttle.Fail(context.WithoutCancel(ctx), addr); err != nil {
			return err
		}
		return fail(c, http.StatusUnauthorized, "bad_code", "the enrolment code is wrong, used or expired: ask a technician for a new one")
	}
	if err != nil {
		return err
	}
	if d.Width != req.Panel.Width || d.Height != req.Panel.Height {
		return fail(c, http.StatusConflict, "panel_mismatch", fmt.Sprintf(
			"display %q is %d×%d but this agent's panel is %d×%d: set width and height in the profile (--set width=%d --set height=%d) or fix the display",
			d.Name, d.Width, d.Height, req.Panel.Width, req.Panel.Height, d.Width, d.Height))
	}
	credential := auth.NewToken(CredentialPrefix)
	who := store.Actor{Name: "agent:" + d.Name, Addr: addr}
	id, err := a.st.RedeemEnrolmentCode(ctx, who, codeHash, auth.HashToken(credential))
	if errors.Is(err, store.ErrNotFound) {
		if err := a.throttle.Fail(context.WithoutCancel(ctx), addr); err != nil {
			return err
		}
		return fail(c, http.StatusUnauthorized, "bad_code", "the enrolment code is wrong, used or expired: ask a technician for a new one")
	}
	if err != nil {
		return err
	}
	a.log.Info("agent enrolled", "display", id, "name", d.Name, "remote", addr, "agent_version", req.AgentVersion)
	return c.JSON(http.StatusOK, protocol.EnrollResponse{DisplayID: id, DisplayName: d.Name, Credential: credential, Controllers: a.controllers})
}

// Authenticator checks an agent's bearer credential for the hub.
func (a *API) Authenticator() hub.Authenticator {
	return func(r *http.Request) (hub.Identity, error) {
		d, err := a.Display(r)
		if err != nil {
			return hub.Identity{}, err
		}
		return hub.Identity{DisplayID: d.ID, Name: d.Name}, nil
	}
}

// Display returns the display whose live credential r carries.
func (a *API) Display(r *http.Request) (store.Display, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !strings.HasPrefix(token, CredentialPrefix) {
		return store.Display{}, fmt.Errorf("%w: no device credential", hub.ErrRefused)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	d, err := a.st.DisplayByCredential(ctx, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return d, fmt.Errorf("%w: unknown or revoked device credential", hub.ErrRefused)
	}
	return d, err
}
