package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
)

// kickErr is kick for callers that log errors themselves.
func (a *API) kickErr(ctx context.Context) error {
	if a.o.Pipeline == nil {
		return nil
	}
	return a.o.Pipeline.Kick(ctx)
}

type urgentIn struct {
	MediaID int64 `json:"media_id"` // approved content to show; or text
	// Text composes a text notice on the spot instead of media_id (with an
	// optional title and style, as for a text media): it becomes an
	// approved media of the sender's unit made for this notice only, kept
	// out of the content list.
	Text  string   `json:"text"`
	Title string   `json:"title"`
	Style *styleIn `json:"style"`
	// How long: minutes from now (1–1440), or until ends_at (at most
	// 7 days from now); one of the two.
	Minutes int        `json:"minutes"`
	EndsAt  *time.Time `json:"ends_at"`
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

// maxUrgentSpan bounds ends_at.
const maxUrgentSpan = 7 * 24 * time.Hour

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
	text := strings.TrimSpace(in.Text)
	switch {
	case in.MediaID < 1 && text == "":
		return invalid("required", "media_id or text is required: an approved media to show, or the text of a notice").at("media_id")
	case in.MediaID > 0 && text != "":
		return invalid("media_or_text", "give media_id or text, not both")
	}
	var title string
	if text != "" {
		if err := checkBody(text); err != nil {
			return err
		}
		if title = strings.TrimSpace(in.Title); len([]rune(title)) > 200 {
			return invalid("too_long", "title is longer than 200 characters").at("title").with("max", 200)
		}
	}
	now := a.o.Store.Now()
	var ends time.Time
	switch {
	case in.EndsAt != nil && in.Minutes != 0:
		return invalid("minutes_or_ends_at", "give minutes or ends_at, not both")
	case in.EndsAt != nil:
		if !in.EndsAt.After(now) || in.EndsAt.After(now.Add(maxUrgentSpan)) {
			return invalid("ends_at_range", "ends_at must be after now and at most 7 days from now").at("ends_at")
		}
		ends = *in.EndsAt
	case in.Minutes < 1 || in.Minutes > 24*60:
		return invalid("minutes_range", "minutes must be from 1 to 1440").at("minutes").with("min", 1).with("max", 24*60)
	default:
		ends = now.Add(time.Duration(in.Minutes) * time.Minute)
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
	if text != "" {
		u := pipeline.Urgent{Store: a.o.Store, Assets: a.o.Assets, Kick: a.kickErr, Log: a.o.Log}
		n, err := u.SendText(ctxOf(c), p.actor(), store.UrgentNew{
			Text: &store.NewMedia{UnitID: p.User.UnitID, CreatedBy: p.User.ID, Title: title, Body: text, Notice: in.Style.store()},
			To:   to, EndsAt: ends})
		if _, ok := assets.AsError(err); ok {
			return assetErr(err)
		}
		if err != nil {
			return storeErr(err, "group or display", 0)
		}
		return c.JSON(http.StatusCreated, n)
	}
	n, err := a.o.Store.SendUrgent(ctxOf(c), p.actor(), store.UrgentNew{MediaID: in.MediaID, To: to, EndsAt: ends})
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
