package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

type urgentIn struct {
	MediaID int64  `json:"media_id"` // approved content to show
	GroupID *int64 `json:"group_id"` // a group's displays; omitted: every display
	Minutes int    `json:"minutes"`  // how long, 1–1440
}

func (a *API) listUrgent(c echo.Context, _ *principal) error {
	q := &query{c: c}
	live := q.oneOf("live", "true", "false") == "true"
	if q.err != nil {
		return q.err
	}
	ns, err := a.o.Store.UrgentNotices(ctxOf(c), live, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.UrgentNotice]{Items: ns})
}

func (a *API) createUrgent(c echo.Context, p *principal) error {
	var in urgentIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if in.MediaID < 1 {
		return invalid("required", "media_id is required: an approved media to show").at("media_id")
	}
	if in.Minutes < 1 || in.Minutes > 24*60 {
		return invalid("minutes_range", "minutes must be from 1 to 1440").at("minutes").with("min", 1).with("max", 24*60)
	}
	n, err := a.o.Store.CreateUrgentNotice(ctxOf(c), p.actor(), in.MediaID, optID(in.GroupID), time.Duration(in.Minutes)*time.Minute)
	if err != nil {
		return storeErr(err, "media or group", in.MediaID)
	}
	a.kick(ctxOf(c)) // its renditions for every panel, if any is missing
	return c.JSON(http.StatusCreated, n)
}

func (a *API) cancelUrgent(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	n, err := a.o.Store.CancelUrgentNotice(ctxOf(c), p.actor(), id)
	if err != nil {
		return storeErr(err, "urgent notice (live)", id)
	}
	return c.JSON(http.StatusOK, n)
}
