package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

type playlistIn struct {
	UnitID     *int64               `json:"unit_id"` // default: your unit
	Name       string               `json:"name"`
	CampaignID *int64               `json:"campaign_id"`
	Items      []store.PlaylistItem `json:"items"`
}

type playlistPatch struct {
	Name       *string               `json:"name"`
	Items      *[]store.PlaylistItem `json:"items"`
	CampaignID *int64                `json:"campaign_id"` // 0 clears
}

// Item durations are bounded: a slot under a second is a glitch, one over a
// day a mistake.
const (
	minItemMS = 1000
	maxItemMS = 24 * 3600 * 1000
	maxItems  = 500
)

// checkItems refuses bad durations and media p may not see (as if missing).
func (a *API) checkItems(c echo.Context, p *principal, items []store.PlaylistItem) error {
	if len(items) > maxItems {
		return invalid("too_many_items", "a playlist holds at most %d items", maxItems).at("items").with("max", maxItems)
	}
	for i, it := range items {
		if it.DurationMS < minItemMS || it.DurationMS > maxItemMS {
			return invalid("duration_range", "item %d: duration_ms must be from %d to %d", i+1, minItemMS, maxItemMS).at("duration_ms").
				with("item", i+1).with("min_s", minItemMS/1000).with("max_s", maxItemMS/1000)
		}
		m, err := a.o.Store.Media(ctxOf(c), it.MediaID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !p.sees(m.UnitID)) {
			return invalid("unknown_media", "item %d: media %d does not exist", i+1, it.MediaID).at("media_id").with("item", i+1).with("media", it.MediaID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *API) loadPlaylist(c echo.Context, p *principal) (store.Playlist, error) {
	id, err := pathID(c)
	if err != nil {
		return store.Playlist{}, err
	}
	pl, err := a.o.Store.Playlist(ctxOf(c), id)
	if err != nil {
		return store.Playlist{}, storeErr(err, "playlist", id)
	}
	if !p.sees(pl.UnitID) {
		return store.Playlist{}, notFound("playlist", id)
	}
	return pl, nil
}

func (a *API) listPlaylists(c echo.Context, p *principal) error {
	q := &query{c: c}
	f := store.PlaylistFilter{
		Status:     q.oneOf("status", statusEnum...),
		CampaignID: q.id("campaign_id"),
		Q:          q.str("q"),
		Sort:       q.oneOf("sort", keys(store.PlaylistSorts)...),
		Desc:       q.oneOf("order", "asc", "desc") == "desc",
		Limit:      q.intIn("limit", 50, 1, 500),
		Offset:     q.intIn("offset", 0, 0, 1<<30),
		UnitIDs:    p.units(),
	}
	if u := q.id("unit_id"); u != 0 {
		if !p.sees(u) {
			f.UnitIDs = []int64{}
		} else {
			f.UnitIDs = []int64{u}
		}
	}
	if q.err != nil {
		return q.err
	}
	ps, total, err := a.o.Store.ListPlaylists(ctxOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page[store.Playlist]{Items: ps, Total: total, Limit: f.Limit, Offset: f.Offset})
}

func (a *API) createPlaylist(c echo.Context, p *principal) error {
	var in playlistIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	unit, err := targetUnit(p, in.UnitID)
	if err != nil {
		return err
	}
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	if in.Items == nil {
		in.Items = []store.PlaylistItem{}
	}
	if err := a.checkItems(c, p, in.Items); err != nil {
		return err
	}
	pl, err := a.o.Store.CreatePlaylist(ctxOf(c), p.actor(), store.NewPlaylist{UnitID: unit, CampaignID: optID(in.CampaignID), CreatedBy: p.User.ID, Name: n, Items: in.Items})
	if err != nil {
		return storeErr(err, "unit", unit)
	}
	return c.JSON(http.StatusCreated, pl)
}

func (a *API) getPlaylist(c echo.Context, p *principal) error {
	pl, err := a.loadPlaylist(c, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pl)
}

func (a *API) updatePlaylist(c echo.Context, p *principal) error {
	pl, err := a.loadPlaylist(c, p)
	if err != nil {
		return err
	}
	var in playlistPatch
	if err := a.decode(c, &in); err != nil {
		return err
	}
	var e store.PlaylistEdit
	if in.Name != nil {
		n, err := name("name", *in.Name)
		if err != nil {
			return err
		}
		e.Name = &n
	}
	if in.Items != nil {
		if err := a.checkItems(c, p, *in.Items); err != nil {
			return err
		}
		e.Items = in.Items
	}
	if in.CampaignID != nil {
		v := optID(in.CampaignID)
		e.CampaignID = &v
	}
	pl, err = a.o.Store.EditPlaylist(ctxOf(c), p.actor(), pl.ID, e)
	if err != nil {
		return storeErr(err, "playlist", pl.ID)
	}
	return c.JSON(http.StatusOK, pl)
}

func (a *API) deletePlaylist(c echo.Context, p *principal) error {
	pl, err := a.loadPlaylist(c, p)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeletePlaylist(ctxOf(c), p.actor(), pl.ID); err != nil {
		return storeErr(err, "playlist", pl.ID)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) submitPlaylist(c echo.Context, p *principal) error {
	return a.decidePlaylist(c, p, func(pl store.Playlist) (store.Playlist, error) {
		return a.o.Store.SubmitPlaylist(ctxOf(c), p.actor(), pl.ID)
	})
}

func (a *API) withdrawPlaylist(c echo.Context, p *principal) error {
	return a.decidePlaylist(c, p, func(pl store.Playlist) (store.Playlist, error) {
		return a.o.Store.WithdrawPlaylist(ctxOf(c), p.actor(), pl.ID)
	})
}

func (a *API) approvePlaylist(c echo.Context, p *principal) error {
	return a.decidePlaylist(c, p, func(pl store.Playlist) (store.Playlist, error) {
		return a.o.Store.ApprovePlaylist(ctxOf(c), p.actor(), pl.ID)
	})
}

func (a *API) rejectPlaylist(c echo.Context, p *principal) error {
	return a.decidePlaylist(c, p, func(pl store.Playlist) (store.Playlist, error) {
		reason, err := a.reason(c)
		if err != nil {
			return pl, err
		}
		return a.o.Store.RejectPlaylist(ctxOf(c), p.actor(), pl.ID, reason)
	})
}

func (a *API) decidePlaylist(c echo.Context, p *principal, fn func(store.Playlist) (store.Playlist, error)) error {
	pl, err := a.loadPlaylist(c, p)
	if err != nil {
		return err
	}
	id := pl.ID
	if pl, err = fn(pl); err != nil {
		return storeErr(err, "playlist", id)
	}
	return c.JSON(http.StatusOK, pl)
}
