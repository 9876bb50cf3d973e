package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/alerts"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Results is the report sink as the display handlers see it: where the
// agents' answers to remote commands arrive.
type Results interface {
	WaitResult(ctx context.Context, id string) (protocol.CommandResult, bool)
}

type commandIn struct {
	Name string            `json:"name"` // identify, test_pattern, blank, unblank, brightness, resync, restart_player, screenshot
	Args map[string]string `json:"args"`
}

type commandOut struct {
	ID      string `json:"id"`
	Pending bool   `json:"pending"` // the agent has not answered yet
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

type planOut struct {
	Revision      int64          `json:"revision"`
	AckedRevision int64          `json:"acked_revision"` // what the agent runs
	UpdatedAt     time.Time      `json:"updated_at"`
	Plan          *protocol.Plan `json:"plan"`
}

// commandWait is how long POST …/commands waits for the agent's answer.
const commandWait = 10 * time.Second

func (a *API) sendCommand(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in commandIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	cmd := protocol.Command{Name: in.Name, Args: in.Args}
	if err := cmd.Validate(); err != nil {
		return badRequest("%v", err)
	}
	if _, err := a.o.Store.Display(ctxOf(c), id); err != nil {
		return storeErr(err, "display", id)
	}
	ref, err := a.o.Hub.Command(id, cmd)
	if errors.Is(err, hub.ErrOffline) {
		return errf(http.StatusConflict, "offline", "display %d is offline: the command cannot reach it", id)
	}
	if err != nil {
		return err
	}
	if err := a.o.Store.Audit(ctxOf(c), p.actor(), "display.command", "display", id, map[string]any{"command": cmd.Name, "args": cmd.Args}); err != nil {
		return err
	}
	out := commandOut{ID: ref, Pending: true}
	if a.o.Results != nil {
		ctx, cancel := context.WithTimeout(ctxOf(c), commandWait)
		defer cancel()
		if r, ok := a.o.Results.WaitResult(ctx, ref); ok {
			out = commandOut{ID: ref, OK: r.OK, Error: r.Error}
		}
	}
	if out.Pending {
		return c.JSON(http.StatusAccepted, out)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) revokeDisplay(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.RevokeDisplay(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "display", id)
	}
	a.o.Hub.Revoke(id)
	return c.NoContent(http.StatusNoContent)
}

func (a *API) getScreenshot(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := a.o.Store.Display(ctxOf(c), id); err != nil {
		return storeErr(err, "display", id)
	}
	st, err := a.o.Store.Status(ctxOf(c), id)
	if err != nil {
		return err
	}
	if st.Screenshot == nil {
		return errf(http.StatusNotFound, "not_found", "display %d has not sent a screenshot yet", id)
	}
	c.Response().Header().Set("Last-Modified", st.ScreenshotAt.UTC().Format(http.TimeFormat))
	return c.Blob(http.StatusOK, "image/png", st.Screenshot)
}

func (a *API) getDisplayPlan(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := a.o.Store.Display(ctxOf(c), id); err != nil {
		return storeErr(err, "display", id)
	}
	sp, err := a.o.Store.DisplayPlan(ctxOf(c), id)
	if errors.Is(err, store.ErrNotFound) {
		return errf(http.StatusNotFound, "not_found", "display %d has no plan yet", id)
	}
	if err != nil {
		return err
	}
	var plan protocol.Plan
	if err := json.Unmarshal(sp.Plan, &plan); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, planOut{Revision: sp.Revision, AckedRevision: sp.AckedRevision, UpdatedAt: sp.UpdatedAt, Plan: &plan})
}

func (a *API) listAlerts(c echo.Context, _ *principal) error {
	out := []alerts.Alert{}
	if a.o.Alerts != nil {
		out = a.o.Alerts.Alerts()
	}
	return c.JSON(http.StatusOK, list[alerts.Alert]{Items: out})
}
