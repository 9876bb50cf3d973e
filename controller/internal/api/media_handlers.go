package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
)

type mediaIn struct {
	UnitID *int64   `json:"unit_id"` // default: your unit
	Title  string   `json:"title"`   // drawn in bold above the body unless style.hide_title
	Kind   string   `json:"kind"`    // "text": images and videos come by upload
	Body   string   `json:"body"`
	Style  *styleIn `json:"style"` // how the notice is drawn; default white on black, centred
	// Program is a program's layouts (kind "program"): windows on the
	// panel grid showing media, tickers, a clock, the date, a countdown.
	Program    *store.ProgramLayouts `json:"program"`
	CampaignID *int64                `json:"campaign_id"`
	ThemeID    *int64                `json:"theme_id"`
	ValidFrom  string                `json:"valid_from"`  // YYYY-MM-DD, inclusive; "" = open
	ValidUntil string                `json:"valid_until"` // YYYY-MM-DD, inclusive; "" = open
}

type mediaPatch struct {
	Title      *string               `json:"title"`
	Body       *string               `json:"body"`
	Style      *styleIn              `json:"style"`       // replaces the whole style
	Program    *store.ProgramLayouts `json:"program"`     // replaces a program's layouts
	CampaignID *int64                `json:"campaign_id"` // 0 clears
	ThemeID    *int64                `json:"theme_id"`    // 0 clears
	ValidFrom  *string               `json:"valid_from"`  // "" clears
	ValidUntil *string               `json:"valid_until"` // "" clears
}

// checkValidity checks a media's validity dates: each YYYY-MM-DD or empty
// (open), and until not before from.
func checkValidity(from, until string) error {
	for _, f := range []struct{ field, v string }{{"valid_from", from}, {"valid_until", until}} {
		if f.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, f.v); err != nil {
			return invalid("invalid_date", "%s %q is not a date YYYY-MM-DD", f.field, f.v).at(f.field).with("value", f.v)
		}
	}
	if from != "" && until != "" && until < from {
		return invalid("valid_until_before_from", "valid_until %s is before valid_from %s", until, from).at("valid_until").
			with("valid_from", from).with("valid_until", until)
	}
	return nil
}

// styleIn is a text notice's look.
type styleIn struct {
	Color      string    `json:"color"`       // "#rrggbb", default #ffffff
	TitleColor string    `json:"title_color"` // default #ffc800
	Background string    `json:"background"`  // default #000000
	Align      string    `json:"align"`       // left, center (default) or right
	HideTitle  bool      `json:"hide_title"`
	Ticker     *tickerIn `json:"ticker"` // scroll one line instead of a still notice
}

type tickerIn struct {
	PixelsPerSecond int `json:"pixels_per_second"` // default twice the panel height
}

func (s *styleIn) store() *store.NoticeStyle {
	if s == nil {
		return nil
	}
	n := &store.NoticeStyle{Color: s.Color, TitleColor: s.TitleColor, Background: s.Background, Align: s.Align, HideTitle: s.HideTitle}
	if s.Ticker != nil {
		n.Ticker, n.TickerPPS = true, s.Ticker.PixelsPerSecond
	}
	return n
}

type rejectIn struct {
	Reason string `json:"reason"`
}

// MaxTextBody bounds a text notice.
const MaxTextBody = 2000

// targetUnit is the unit an object is created in: the caller's unless they
// name one; a unit-scoped caller naming another unit gets 404, as for any
// object of another unit.
func targetUnit(p *principal, unitID *int64) (int64, error) {
	if unitID == nil {
		return p.User.UnitID, nil
	}
	if !p.sees(*unitID) {
		return 0, notFound("unit", *unitID)
	}
	return *unitID, nil
}

func optID(v *int64) *int64 {
	if v == nil || *v == 0 {
		return nil
	}
	return v
}

// loadMedia returns the media of the :id parameter if p may see it.
func (a *API) loadMedia(c echo.Context, p *principal) (store.Media, error) {
	id, err := pathID(c)
	if err != nil {
		return store.Media{}, err
	}
	m, err := a.o.Store.Media(ctxOf(c), id)
	if err != nil {
		return store.Media{}, storeErr(err, "media", id)
	}
	if !p.sees(m.UnitID) {
		return store.Media{}, notFound("media", id)
	}
	return m, nil
}

func (a *API) listMedia(c echo.Context, p *principal) error {
	q := &query{c: c}
	f := store.MediaFilter{
		Status:     q.oneOf("status", statusEnum...),
		Kind:       q.oneOf("kind", store.KindImage, store.KindVideo, store.KindText, store.KindProgram),
		CampaignID: q.id("campaign_id"),
		Q:          q.str("q"),
		Sort:       q.oneOf("sort", keys(store.MediaSorts)...),
		Desc:       q.oneOf("order", "asc", "desc") == "desc",
		Limit:      q.intIn("limit", 50, 1, 500),
		Offset:     q.intIn("offset", 0, 0, 1<<30),
		UnitIDs:    p.units(),
	}
	if u := q.id("unit_id"); u != 0 {
		if !p.sees(u) {
			f.UnitIDs = []int64{} // another unit's: nothing to see
		} else {
			f.UnitIDs = []int64{u}
		}
	}
	if q.err != nil {
		return q.err
	}
	ms, total, err := a.o.Store.ListMedia(ctxOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page[store.Media]{Items: ms, Total: total, Limit: f.Limit, Offset: f.Offset})
}

func (a *API) createMedia(c echo.Context, p *principal) error {
	if mt, _, _ := strings.Cut(c.Request().Header.Get(echo.HeaderContentType), ";"); strings.EqualFold(strings.TrimSpace(mt), "multipart/form-data") {
		return a.uploadMedia(c, p)
	}
	var in mediaIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	unit, err := targetUnit(p, in.UnitID)
	if err != nil {
		return err
	}
	if in.Kind != store.KindText && in.Kind != store.KindProgram {
		return badRequest("kind must be %q or %q: images and videos are uploaded, not created from JSON", store.KindText, store.KindProgram)
	}
	title, err := name("title", in.Title)
	if err != nil {
		return err
	}
	if in.Kind == store.KindProgram {
		return a.createProgram(c, p, unit, title, in)
	}
	body := strings.TrimSpace(in.Body)
	if err := checkBody(body); err != nil {
		return err
	}
	style := in.Style.store()
	rendered, err := a.renderNotice(ctxOf(c), store.MediaRevision{Kind: store.KindText, Title: title, Body: body, Notice: style})
	if err != nil {
		return err
	}
	if err := checkValidity(in.ValidFrom, in.ValidUntil); err != nil {
		return err
	}
	m, err := a.o.Store.CreateMedia(ctxOf(c), p.actor(), store.NewMedia{
		UnitID: unit, CampaignID: optID(in.CampaignID), ThemeID: optID(in.ThemeID), CreatedBy: p.User.ID,
		Title: title, Kind: store.KindText, Body: body, Notice: style, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil,
	})
	if err != nil {
		return storeErr(err, "unit", unit)
	}
	if m, err = a.keepRenditions(ctxOf(c), m, rendered); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, m)
}

// createProgram stores a new program after checking its layouts.
func (a *API) createProgram(c echo.Context, p *principal, unit int64, title string, in mediaIn) error {
	if err := a.checkProgram(ctxOf(c), p, in.Program); err != nil {
		return err
	}
	if err := checkValidity(in.ValidFrom, in.ValidUntil); err != nil {
		return err
	}
	m, err := a.o.Store.CreateMedia(ctxOf(c), p.actor(), store.NewMedia{
		UnitID: unit, CampaignID: optID(in.CampaignID), ThemeID: optID(in.ThemeID), CreatedBy: p.User.ID,
		Title: title, Kind: store.KindProgram, Program: in.Program, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil,
	})
	if err != nil {
		return storeErr(err, "unit", unit)
	}
	return c.JSON(http.StatusCreated, m)
}

// renderNotice draws a text notice for every geometry in use, which also
// checks it (colours, alignment, length) before anything is stored. With
// no display yet it is checked at 128×64.
func (a *API) renderNotice(ctx context.Context, rev store.MediaRevision) ([]renditionOf, error) {
	geoms, err := a.o.Store.Geometries(ctx)
	if err != nil {
		return nil, err
	}
	check := len(geoms) == 0
	if check {
		geoms = []store.Geometry{{Width: 128, Height: 64, Fit: "contain"}}
	}
	var out []renditionOf
	for _, sg := range geoms {
		g := pipeline.Geometry(sg.Width, sg.Height, sg.Fit)
		if g.Validate() != nil {
			continue // the pipeline records why it cannot render for it
		}
		r, err := pipeline.RenderNotice(rev, g)
		if assets.ErrorCode(err) == assets.CodePanelTooLow {
			continue // no text on a panel this low: the others show it, the pipeline says why not here
		}
		if err != nil {
			return nil, assetErr(err)
		}
		if !check {
			out = append(out, renditionOf{g, r})
		}
	}
	return out, nil
}

// renditionOf is a rendition made while a request waited.
type renditionOf struct {
	g assets.Geometry
	r *assets.Rendition
}

// keepRenditions stores renditions made while the request waited as
// ready rows of m's current revision (their files too, for notices), then
// lets the pipeline queue whatever else is needed, and returns m afresh.
// A failure here is logged, not returned: the pipeline makes what is
// missing.
func (a *API) keepRenditions(ctx context.Context, m store.Media, rs []renditionOf) (store.Media, error) {
	for _, x := range rs {
		if x.r.Data != nil && x.r.Path == "" {
			if err := a.o.Assets.PutRendition(x.r); err != nil {
				a.o.Log.Error("store rendition", "media", m.ID, "err", err)
				continue
			}
		}
		row, err := pipeline.Row(m.Current.ID, x.g, x.r)
		if err == nil {
			err = a.o.Store.PutRendition(ctx, row)
		}
		if err != nil {
			a.o.Log.Error("record rendition", "media", m.ID, "err", err)
		}
	}
	a.kick(ctx)
	return a.o.Store.Media(ctx, m.ID)
}

// kick tells the pipeline that media or displays changed.
func (a *API) kick(ctx context.Context) {
	if a.o.Pipeline == nil {
		return
	}
	if err := a.o.Pipeline.Kick(ctx); err != nil {
		a.o.Log.Error("queue renditions", "err", err)
	}
}

func (a *API) getMedia(c echo.Context, p *principal) error {
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (a *API) updateMedia(c echo.Context, p *principal) error {
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	var in mediaPatch
	if err := a.decode(c, &in); err != nil {
		return err
	}
	var e store.MediaEdit
	if in.Title != nil {
		t, err := name("title", *in.Title)
		if err != nil {
			return err
		}
		e.Title = &t
	}
	if in.Body != nil {
		b := strings.TrimSpace(*in.Body)
		if err := checkBody(b); err != nil {
			return err
		}
		e.Body = &b
	}
	e.Notice = in.Style.store()
	if in.Program != nil {
		if m.Kind != store.KindProgram {
			return invalid("bad_program", "only a program has a layout").at("program")
		}
		if err := a.checkProgram(ctxOf(c), p, in.Program); err != nil {
			return err
		}
		e.Program = in.Program
	}
	if e.Title != nil || e.Body != nil || e.Notice != nil {
		if m.Kind == store.KindText {
			rev := m.Current
			if e.Title != nil {
				rev.Title = *e.Title
			}
			if e.Body != nil {
				rev.Body = *e.Body
			}
			if e.Notice != nil {
				rev.Notice = e.Notice
			}
			if _, err := a.renderNotice(ctxOf(c), rev); err != nil {
				return err
			}
		}
	}
	if in.CampaignID != nil {
		v := optID(in.CampaignID)
		e.CampaignID = &v
	}
	if in.ThemeID != nil {
		v := optID(in.ThemeID)
		e.ThemeID = &v
	}
	if in.ValidFrom != nil || in.ValidUntil != nil {
		from, until := m.ValidFrom, m.ValidUntil
		if in.ValidFrom != nil {
			from = strings.TrimSpace(*in.ValidFrom)
		}
		if in.ValidUntil != nil {
			until = strings.TrimSpace(*in.ValidUntil)
		}
		if err := checkValidity(from, until); err != nil {
			return err
		}
		e.ValidFrom, e.ValidUntil = &from, &until
	}
	m, err = a.o.Store.EditMedia(ctxOf(c), p.actor(), m.ID, e)
	if err != nil {
		return storeErr(err, "media", m.ID)
	}
	a.kick(ctxOf(c))
	return c.JSON(http.StatusOK, m)
}

func (a *API) deleteMedia(c echo.Context, p *principal) error {
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeleteMedia(ctxOf(c), p.actor(), m.ID); err != nil {
		return storeErr(err, "media", m.ID)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) submitMedia(c echo.Context, p *principal) error {
	return a.decideMedia(c, p, func(m store.Media) (store.Media, error) {
		return a.o.Store.SubmitMedia(ctxOf(c), p.actor(), m.ID)
	})
}

func (a *API) withdrawMedia(c echo.Context, p *principal) error {
	return a.decideMedia(c, p, func(m store.Media) (store.Media, error) {
		return a.o.Store.WithdrawMedia(ctxOf(c), p.actor(), m.ID)
	})
}

func (a *API) approveMedia(c echo.Context, p *principal) error {
	return a.decideMedia(c, p, func(m store.Media) (store.Media, error) {
		return a.o.Store.ApproveMedia(ctxOf(c), p.actor(), m.ID)
	})
}

func (a *API) rejectMedia(c echo.Context, p *principal) error {
	return a.decideMedia(c, p, func(m store.Media) (store.Media, error) {
		reason, err := a.reason(c)
		if err != nil {
			return m, err
		}
		return a.o.Store.RejectMedia(ctxOf(c), p.actor(), m.ID, reason)
	})
}

func (a *API) decideMedia(c echo.Context, p *principal, fn func(store.Media) (store.Media, error)) error {
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	id := m.ID
	if m, err = fn(m); err != nil {
		return storeErr(err, "media", id)
	}
	// A submitted video now needs every panel's rendition (a draft has
	// its preview only): queue them, and answer with it processing.
	a.kick(ctxOf(c))
	if m, err = a.o.Store.Media(ctxOf(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// reason reads a rejection's reason, which the editor will read.
func (a *API) reason(c echo.Context) (string, error) {
	var in rejectIn
	if err := a.decode(c, &in); err != nil {
		return "", err
	}
	r := strings.TrimSpace(in.Reason)
	if r == "" {
		return "", invalid("required", "reason is required (at most 1000 characters): the editor reads it").at("reason")
	}
	if len([]rune(r)) > 1000 {
		return "", invalid("too_long", "reason is required (at most 1000 characters): the editor reads it").at("reason").with("max", 1000)
	}
	return r, nil
}

// checkBody checks a text notice's body.
func checkBody(b string) error {
	if b == "" {
		return invalid("required", "body is required and at most %d characters", MaxTextBody).at("body")
	}
	if len([]rune(b)) > MaxTextBody {
		return invalid("too_long", "body is required and at most %d characters", MaxTextBody).at("body").with("max", MaxTextBody)
	}
	return nil
}
