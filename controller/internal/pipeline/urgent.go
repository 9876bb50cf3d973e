package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/store"
)

// UrgentStore is what Urgent reads and writes of the store, declared here
// so that another store can stand in for *store.Store.
type UrgentStore interface {
	Geometries(ctx context.Context) ([]store.Geometry, error)
	SendUrgent(ctx context.Context, who store.Actor, n store.UrgentNew) (store.UrgentNotice, error)
	PutRendition(ctx context.Context, r store.Rendition) error
	// Touch tells the store's change listeners (the plan service) that
	// the notice's renditions are ready.
	Touch(objectType string, id int64)
}

var _ UrgentStore = (*store.Store)(nil)

// Urgent sends urgent notices composed as text on the spot (by an approver
// in the dashboard or from a CAP alert): it draws the notice for every
// panel geometry in use before anything is stored (which also checks it),
// sends it with a media of its own, keeps the drawings as ready
// renditions and tells the plan service, so the notice reaches the panels
// without waiting for the rendition queue.
type Urgent struct {
	Store  UrgentStore
	Assets *assets.Store
	// Kick queues what else is missing (a geometry that could not be drawn
	// here); nil: nothing.
	Kick func(ctx context.Context) error
	Log  *slog.Logger
}

// SendText sends n, whose Text must be set. Errors from drawing are
// *assets.Error (a colour, an alignment, a text too long for a ticker).
func (u *Urgent) SendText(ctx context.Context, who store.Actor, n store.UrgentNew) (store.UrgentNotice, error) {
	if n.Text == nil {
		return store.UrgentNotice{}, errors.New("pipeline: urgent text: no text")
	}
	n.Text.Kind = store.KindText
	rev := store.MediaRevision{Kind: store.KindText, Title: n.Text.Title, Body: n.Text.Body, Notice: n.Text.Notice}
	geoms, err := u.Store.Geometries(ctx)
	if err != nil {
		return store.UrgentNotice{}, err
	}
	check := len(geoms) == 0
	if check {
		geoms = []store.Geometry{{Width: 128, Height: 64, Fit: "contain"}}
	}
	type drawn struct {
		g assets.Geometry
		r *assets.Rendition
	}
	var made []drawn
	for _, sg := range geoms {
		g := Geometry(sg.Width, sg.Height, sg.Fit)
		if g.Validate() != nil {
			continue
		}
		r, err := RenderNotice(rev, g)
		if err != nil {
			return store.UrgentNotice{}, err
		}
		if !check {
			made = append(made, drawn{g, r})
		}
	}
	sent, err := u.Store.SendUrgent(ctx, who, n)
	if err != nil {
		return sent, err
	}
	for _, x := range made {
		if x.r.Data != nil && x.r.Path == "" {
			if err := u.Assets.PutRendition(x.r); err != nil {
				u.log().Error("urgent notice: store rendition", "urgent", sent.ID, "err", err)
				continue
			}
		}
		row, err := Row(sent.RevisionID, x.g, x.r)
		if err == nil {
			err = u.Store.PutRendition(ctx, row)
		}
		if err != nil {
			u.log().Error("urgent notice: record rendition", "urgent", sent.ID, "err", err)
		}
	}
	// The notice was announced when it was stored, maybe before its
	// renditions: announce it again now that they are there.
	u.Store.Touch("urgent_notice", sent.ID)
	if u.Kick != nil {
		if err := u.Kick(ctx); err != nil {
			u.log().Error("urgent notice: queue renditions", "err", fmt.Errorf("urgent %d: %w", sent.ID, err))
		}
	}
	return sent, nil
}

func (u *Urgent) log() *slog.Logger {
	if u.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return u.Log
}
