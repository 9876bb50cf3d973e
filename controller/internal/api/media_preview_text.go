package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
)

// previewTextIn is a text notice not saved yet, and the panels to draw it
// for.
type previewTextIn struct {
	Title string   `json:"title"`
	Body  string   `json:"body"`
	Style *styleIn `json:"style"`
	// Geometries to draw it for; none: those of the displays, the first
	// 16 (128×64 contain when there is no display).
	Geometries []geometryIn `json:"geometries"`
}

type geometryIn struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Fit    string `json:"fit"` // default contain
}

// maxPreviewGeometries bounds one preview request's work.
const maxPreviewGeometries = 16

// textPreview is a notice drawn for one panel, as the pipeline would draw
// it once saved.
type textPreview struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Fit    string `json:"fit"`
	PNG    string `json:"png"` // base64: the panel's pixels, or a ticker's strip
	// FileWidth is the PNG's width: a ticker strip is wider than the panel.
	FileWidth int `json:"file_width"`
	// Ticker: it scrolls on this panel; AutoTicker: because the text does
	// not fit it still, not because the style asks.
	Ticker          bool    `json:"ticker"`
	AutoTicker      bool    `json:"auto_ticker"`
	PixelsPerSecond int     `json:"ticker_pixels_per_second"`
	LoopSeconds     float64 `json:"loop_seconds"`
	// Paged: the text does not fit this panel at once and shows as
	// pages, each for its PageSeconds (PNG is the first page).
	Paged       bool     `json:"paged"`
	Pages       []string `json:"pages,omitempty"` // base64 PNGs
	PageSeconds []int    `json:"page_seconds,omitempty"`
	// TextPx is the height of the smallest line in pixels; Small says it
	// is set in the smallest face (legible, but only from nearer).
	TextPx int  `json:"text_px"`
	Small  bool `json:"small"`
	// Error says why this panel has no preview (e.g. bad_geometry for a
	// size no display has and larger than MaxPreviewSide, or
	// ticker_too_large); the other panels are still drawn.
	Error *itemError `json:"error,omitempty"`
}

// itemError is one item's error in a list answer: a code the dashboard
// translates (err_CODE) and an English message.
type itemError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// previewWait is how long a preview waits for one of the previewing slots
// before the answer is 503 busy (a variable for tests).
var previewWait = 5 * time.Second

// previewSlot takes one of the few slots that bound the memory previews
// draw in at once (a ticker strip may take MaxTickerPixels × 4 bytes), and
// the caller's own slot of one, so that one person's requests queue behind
// each other (the composer's newer preview waits for the older, which it
// cancelled and which stops at its next panel) rather than take every
// slot. The caller calls the release function it returns.
func (a *API) previewSlot(c echo.Context, p *principal) (func(), error) {
	t := time.NewTimer(previewWait)
	defer t.Stop()
	busy := errf(http.StatusServiceUnavailable, "busy", "the controller is drawing other previews; try again")
	var mine chan struct{}
	if p != nil {
		a.previewMu.Lock()
		mine = a.previewers[p.User.ID]
		if mine == nil {
			mine = make(chan struct{}, 1)
			a.previewers[p.User.ID] = mine
		}
		a.previewMu.Unlock()
		select {
		case mine <- struct{}{}:
		case <-t.C:
			return nil, busy
		case <-ctxOf(c).Done():
			return nil, ctxOf(c).Err()
		}
	}
	own := func() {
		if mine != nil {
			<-mine
		}
	}
	select {
	case a.previewing <- struct{}{}:
		return func() { <-a.previewing; own() }, nil
	case <-t.C:
		own()
		return nil, busy
	case <-ctxOf(c).Done():
		own()
		return nil, ctxOf(c).Err()
	}
}

// previewable says whether a preview may be drawn for w×h at fit: the
// geometry of a display (any size a display may have), or one no larger
// than MaxPreviewSide a side. The same rule holds for every preview path.
func (a *API) previewable(c echo.Context, w, h int, fit string) (bool, error) {
	if w <= MaxPreviewSide && h <= MaxPreviewSide {
		return true, nil
	}
	inUse, err := a.o.Store.Geometries(ctxOf(c))
	if err != nil {
		return false, err
	}
	for _, g := range inUse {
		if g.Width == w && g.Height == h && g.Fit == fit {
			return true, nil
		}
	}
	return false, nil
}

// previewText is POST /media/preview-text: an unsaved text notice drawn
// for each panel geometry by the code that makes its renditions, so the
// composer shows what the street would see, and says where it becomes a
// ticker or its letters get small. Nothing is stored.
func (a *API) previewText(c echo.Context, p *principal) error {
	var in previewTextIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	body := strings.TrimSpace(in.Body)
	if len([]rune(body)) > MaxTextBody {
		return invalid("too_long", "body is at most %d characters", MaxTextBody).at("body").with("max", MaxTextBody)
	}
	if len([]rune(in.Title)) > 200 {
		return invalid("too_long", "title is at most 200 characters").at("title").with("max", 200)
	}
	if len(in.Geometries) > maxPreviewGeometries {
		return badRequest("at most %d geometries", maxPreviewGeometries)
	}
	var geoms []assets.Geometry
	// Sizes with no preview, by index in geoms: the others are drawn.
	refused := map[int]*itemError{}
	for _, g := range in.Geometries {
		if g.Fit == "" {
			g.Fit = "contain"
		}
		if g.Width < 1 || g.Height < 1 || !slices.Contains(store.Fits, g.Fit) {
			return errf(http.StatusBadRequest, assets.CodeBadGeometry, "geometry %d×%d %s is not a panel", g.Width, g.Height, g.Fit)
		}
		ag := pipeline.Geometry(g.Width, g.Height, g.Fit)
		ok, err := a.previewable(c, g.Width, g.Height, g.Fit)
		if err != nil {
			return err
		}
		if err := ag.Validate(); err != nil {
			refused[len(geoms)] = &itemError{Code: assets.CodeBadGeometry, Message: err.Error()}
		} else if !ok {
			refused[len(geoms)] = &itemError{Code: assets.CodeBadGeometry,
				Message: fmt.Sprintf("no display is %d×%d %s, and a preview of another size is at most %d×%d", g.Width, g.Height, g.Fit, MaxPreviewSide, MaxPreviewSide)}
		}
		geoms = append(geoms, ag)
	}
	if len(geoms) == 0 {
		inUse, err := a.o.Store.Geometries(ctxOf(c))
		if err != nil {
			return err
		}
		for _, sg := range inUse {
			if g := pipeline.Geometry(sg.Width, sg.Height, sg.Fit); g.Validate() == nil && len(geoms) < maxPreviewGeometries {
				geoms = append(geoms, g)
			}
		}
		if len(geoms) == 0 {
			geoms = []assets.Geometry{pipeline.Geometry(128, 64, "contain")}
		}
	}
	rev := store.MediaRevision{Kind: store.KindText, Title: strings.TrimSpace(in.Title), Body: body, Notice: in.Style.store()}
	asked := rev.Notice != nil && rev.Notice.Ticker
	release, err := a.previewSlot(c, p)
	if err != nil {
		return err
	}
	defer release()
	out := make([]textPreview, 0, len(geoms))
	for i, g := range geoms {
		if ctxOf(c).Err() != nil {
			return nil // the composer asked again, or left: nobody reads this
		}
		if e := refused[i]; e != nil {
			out = append(out, textPreview{Width: g.W, Height: g.H, Fit: string(g.Fit), Error: e})
			continue
		}
		r, err := pipeline.RenderNotice(rev, g)
		if e, ok := assets.AsError(err); ok && e.Code != assets.CodeBadNotice {
			// This panel cannot show it (too long, or a ticker too large
			// for a tall panel); the others may.
			out = append(out, textPreview{Width: g.W, Height: g.H, Fit: string(g.Fit), Error: &itemError{Code: e.Code, Message: e.Message}})
			continue
		}
		if err != nil {
			return assetErr(err)
		}
		tp := textPreview{Width: g.W, Height: g.H, Fit: string(g.Fit), PNG: base64.StdEncoding.EncodeToString(r.Data),
			FileWidth: r.Width, TextPx: r.TextPx, Small: r.TextPx < assets.SmallTextPx}
		if r.PageSeconds != nil {
			pages, err := assets.Pages(r)
			if err != nil {
				return err
			}
			tp.Paged, tp.PageSeconds, tp.PNG = true, r.PageSeconds, base64.StdEncoding.EncodeToString(pages[0])
			for _, pg := range pages {
				tp.Pages = append(tp.Pages, base64.StdEncoding.EncodeToString(pg))
			}
		}
		if r.Ticker != nil {
			tp.Ticker, tp.AutoTicker = true, !asked
			tp.PixelsPerSecond, tp.LoopSeconds = r.Ticker.PixelsPerSecond, r.Ticker.LoopSeconds
			tp.Small = false // a ticker is as tall as the panel allows
		}
		out = append(out, tp)
	}
	return c.JSON(http.StatusOK, list[textPreview]{Items: out})
}
