package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
)

// MaxPreviewSide caps an on-demand preview for a geometry no display has:
// panels are small, and a request must not make the controller render a
// poster-sized image. A display's own geometry (up to assets.MaxPanelSide)
// is always previewable (see previewable).
const MaxPreviewSide = 1024

// Thumbnail size for lists: a 2:1 panel shape, contained.
const (
	ThumbWidth  = 160
	ThumbHeight = 80
)

var previewQuery = []Param{
	{Name: "w", Type: "integer", Desc: fmt.Sprintf("panel width, default 128: a display's, or 1 to %d", MaxPreviewSide)},
	{Name: "h", Type: "integer", Desc: fmt.Sprintf("panel height, default 64: a display's, or 1 to %d", MaxPreviewSide)},
	{Name: "fit", Type: "string", Enum: store.Fits, Desc: "default contain"},
}

// mediaPreviewQuery is previewQuery and, for programs, the instant.
var mediaPreviewQuery = append(slices.Clone(previewQuery),
	Param{Name: "at", Type: "string", Format: "date-time", Desc: "programs: the instant shown (RFC 3339), default now"},
	Param{Name: "elapsed_ms", Type: "integer", Desc: "programs: how long the program has been on screen at that instant (places tickers), default 0"})

// previewMedia is GET /media/{id}/preview: the exact pixels a panel of
// that geometry shows for the media's current revision, as PNG (a video's
// first frame). The rendition is served when it exists; an image or text
// notice is rendered on demand for a geometry no display has yet.
func (a *API) previewMedia(c echo.Context, p *principal) error {
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	w, h, fit, err := geometryQuery(c)
	if err != nil {
		return err
	}
	if ok, err := a.previewable(c, w, h, fit); err != nil {
		return err
	} else if !ok {
		return errf(http.StatusBadRequest, assets.CodeBadGeometry, "no display is %d×%d %s, and a preview of another size is at most %d×%d", w, h, fit, MaxPreviewSide, MaxPreviewSide)
	}
	if err := processed(m); err != nil {
		return err
	}
	if m.Current.Kind == store.KindProgram {
		// One of the few previewing slots, as for any drawn preview.
		release, err := a.previewSlot(c, p)
		if err != nil {
			return err
		}
		defer release()
		return a.previewProgram(c, m, w, h)
	}
	rev := m.Current
	ctx := ctxOf(c)
	if r, err := a.o.Store.RenditionFor(ctx, rev.ID, w, h, fit); err == nil {
		data, err := a.renditionPNG(ctx, r)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "image/png", data)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if rev.Kind == store.KindVideo {
		// A draft video is rendered for one panel only (see
		// store.EnqueueRenditions): the others preview its first frame.
		data, err := a.posterAt(ctx, m.ID, rev.ID, pipeline.Geometry(w, h, fit))
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "image/png", data)
	}
	// An image's preview depends on its bytes and the geometry only: keep
	// it, so that looking again does not decode the original again.
	key := previewKey{sha: rev.SHA256, w: w, h: h, fit: fit}
	if rev.Kind == store.KindImage {
		if data, ok := a.previews.get(key); ok {
			return c.Blob(http.StatusOK, "image/png", data)
		}
	}
	release, err := a.previewSlot(c, p)
	if err != nil {
		return err
	}
	defer release()
	if rev.Kind == store.KindImage { // drawn while this one waited for its slot?
		if data, ok := a.previews.get(key); ok {
			return c.Blob(http.StatusOK, "image/png", data)
		}
	}
	out, err := pipeline.Render(ctx, a.o.Assets, a.decoding, rev, pipeline.Geometry(w, h, fit))
	if err != nil {
		return assetErr(err)
	}
	if rev.Kind == store.KindImage {
		a.previews.put(key, out.Data)
	}
	return c.Blob(http.StatusOK, "image/png", out.Data)
}

// thumbnailMedia is GET /media/{id}/thumbnail: a small PNG for lists. An
// image's thumbnail is kept as a rendition, so a list does not decode the
// originals again; a video's is its poster frame, scaled.
func (a *API) thumbnailMedia(c echo.Context, p *principal) error {
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	if err := processed(m); err != nil {
		return err
	}
	ctx := ctxOf(c)
	rev := m.Current
	if rev.Kind == store.KindProgram {
		// A program has no rendition: its picture on a 128×64 panel now,
		// five seconds in (tickers have come in), made small.
		img, err := a.programPicture(ctx, rev.ID, 128, 64, a.o.Now(), 5*time.Second)
		if err != nil {
			return err
		}
		data, _, err := assets.EncodePNG(assets.Render(img, pipeline.Geometry(ThumbWidth, ThumbHeight, "contain")))
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "image/png", data)
	}
	if r, err := a.o.Store.RenditionFor(ctx, rev.ID, ThumbWidth, ThumbHeight, "contain"); err == nil {
		data, err := a.renditionPNG(ctx, r)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "image/png", data)
	}
	g := pipeline.Geometry(ThumbWidth, ThumbHeight, "contain")
	if rev.Kind == store.KindVideo {
		data, err := a.posterAt(ctx, m.ID, rev.ID, g)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "image/png", data)
	}
	out, err := pipeline.Render(ctx, a.o.Assets, a.decoding, rev, g)
	if err != nil {
		return assetErr(err)
	}
	if rev.Kind == store.KindImage {
		a.keepThumbnail(ctx, rev.ID, g, out)
	}
	return c.Blob(http.StatusOK, "image/png", out.Data)
}

// posterAt draws the first frame of a video revision's largest ready
// rendition for g (a thumbnail, or a panel the video has no rendition
// for). A poster is at most a panel's size: no decode budget is needed.
func (a *API) posterAt(ctx context.Context, mediaID, revID int64, g assets.Geometry) ([]byte, error) {
	r, err := a.o.Store.AnyReadyRendition(ctx, revID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errf(http.StatusNotFound, "no_rendition", "media %d has no rendition yet: a video is rendered when a display needs it", mediaID)
	}
	if err != nil {
		return nil, err
	}
	poster, err := a.renditionPNG(ctx, r)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(poster))
	if err != nil {
		return nil, fmt.Errorf("poster of media %d: %w", mediaID, err)
	}
	data, _, err := assets.EncodePNG(assets.Render(img, g))
	return data, err
}

func (a *API) keepThumbnail(ctx context.Context, rev int64, g assets.Geometry, out *assets.Rendition) {
	if err := a.o.Assets.PutRendition(out); err != nil {
		a.o.Log.Error("store thumbnail", "revision", rev, "err", err)
		return
	}
	row, err := pipeline.Row(rev, g, out)
	if err == nil {
		err = a.o.Store.PutRendition(ctx, row)
	}
	if err != nil {
		a.o.Log.Error("record thumbnail", "revision", rev, "err", err)
	}
}

// processed refuses a preview of media whose processing is not done.
func processed(m store.Media) error {
	switch m.Current.Processing {
	case store.ProcessingProcessing:
		return errf(http.StatusNotFound, "processing", "media %d is still processing (%d%%); its preview is ready when processing is", m.ID, m.Current.ProcessingProgress).
			with("progress", m.Current.ProcessingProgress)
	case store.ProcessingFailed:
		msg := "processing failed"
		for _, r := range m.Current.Renditions {
			if r.Status == store.RenditionFailed && r.Error != "" {
				msg += ": " + r.Error
				break
			}
		}
		return errf(http.StatusUnprocessableEntity, "processing_failed", "media %d: %s", m.ID, msg)
	}
	return nil
}

// renditionPNG reads a ready rendition as PNG: the file itself, or a
// video's first frame.
func (a *API) renditionPNG(ctx context.Context, r store.Rendition) ([]byte, error) {
	path, err := a.o.Assets.Find(ctx, r.SHA256)
	if err != nil {
		return nil, fmt.Errorf("rendition %d: %w", r.ID, err)
	}
	if r.Kind == store.KindVideo {
		return assets.PosterFrame(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rendition %d: %w", r.ID, err)
	}
	return data, nil
}

// renditionFile is GET /media/{id}/rendition: the bytes a panel of that
// geometry is sent for the media's current revision, as they are stored:
// a PNG (a ticker's strip for a scrolling notice) or, for a video, the
// ZIP of PNG frames at panel size that agents play (see assets/frames),
// so the dashboard plays exactly what the street will see.
func (a *API) renditionFile(c echo.Context, p *principal) error {
	m, err := a.loadMedia(c, p)
	if err != nil {
		return err
	}
	// Only stored renditions are served, so any panel size will do.
	w, h, fit, err := geometryQuery(c)
	if err != nil {
		return err
	}
	if err := processed(m); err != nil {
		return err
	}
	r, err := a.o.Store.RenditionFor(ctxOf(c), m.Current.ID, w, h, fit)
	if errors.Is(err, store.ErrNotFound) {
		return errf(http.StatusNotFound, "no_rendition", "media %d has no rendition for %d×%d %s: renditions are made for the geometries of the displays", m.ID, w, h, fit)
	}
	if err != nil {
		return err
	}
	if err := a.serveAsset(c, r.SHA256, r.MIME, "private, no-cache"); err != nil {
		return fmt.Errorf("api: rendition %d: %w", r.ID, err)
	}
	return nil
}

// geometryQuery reads a panel geometry from w, h and fit (default
// 128×64 contain), each side up to assets.MaxPanelSide.
func geometryQuery(c echo.Context) (w, h int, fit string, err error) {
	q := &query{c: c}
	w = q.intIn("w", 128, 1, assets.MaxPanelSide)
	h = q.intIn("h", 64, 1, assets.MaxPanelSide)
	fit = q.oneOf("fit", store.Fits...)
	if q.err != nil {
		return 0, 0, "", q.err
	}
	if fit == "" {
		fit = "contain"
	}
	return w, h, fit, nil
}

// serveAsset sends the asset store's file of that hash, with Range
// requests and the hash as its strong ETag.
func (a *API) serveAsset(c echo.Context, sha, mime, cacheControl string) error {
	path, err := a.o.Assets.Find(ctxOf(c), sha)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Content-Type", mime)
	hd.Set("ETag", `"`+sha+`"`)
	hd.Set("Cache-Control", cacheControl)
	http.ServeContent(c.Response(), c.Request(), "", fi.ModTime(), f)
	return nil
}
