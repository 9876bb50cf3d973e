package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

type urgentIn struct {
	MediaID int64 `json:"media_id"` // approved content to show
	Minutes int   `json:"minutes"`  // how long, 1–1440
	// Where: every display, or the displays of these groups and these
	// displays. A request that names none of group_id, group_ids and
	// display_ids means every display (the first form of the API); empty
	// lists are refused, so that an empty selection never reaches a whole
	// province by accident.
	EveryDisplay bool    `json:"every_display"`
	GroupIDs     []int64 `json:"group_ids"`
	DisplayIDs   []int64 `json:"display_ids"`
	GroupID      *int64  `json:"group_id"` // one group: the older form of group_ids
}

// maxUrgentTargets bounds the groups and displays one notice names.
const maxUrgentTargets = 1000

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
	to := store.UrgentTarget{GroupIDs: in.GroupIDs, DisplayIDs: in.DisplayIDs}
	if g := optID(in.GroupID); g != nil {
		to.GroupIDs = append(to.GroupIDs, *g)
	}
	if len(to.GroupIDs)+len(to.DisplayIDs) > maxUrgentTargets {
		return badRequest("at most %d groups and displays: send it to every display instead", maxUrgentTargets)
	}
	for _, id := range append(slices.Clone(to.GroupIDs), to.DisplayIDs...) {
		if id < 1 {
			return badRequest("group_ids and display_ids hold positive ids")
		}
	}
	named := in.GroupIDs != nil || in.DisplayIDs != nil || in.GroupID != nil
	switch {
	case in.EveryDisplay && len(to.GroupIDs)+len(to.DisplayIDs) > 0:
		return invalid("every_or_some", "give every_display or groups and displays, not both")
	case !in.EveryDisplay && named && len(to.GroupIDs)+len(to.DisplayIDs) == 0:
		return invalid("no_target", "group_ids and display_ids are empty: choose some, or send every_display: true")
	}
	to.EveryDisplay = in.EveryDisplay || !named
	n, err := a.o.Store.SendUrgentNotice(ctxOf(c), p.actor(), in.MediaID, to, time.Duration(in.Minutes)*time.Minute)
	if err != nil {
		return storeErr(err, "media, group or display", in.MediaID)
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
