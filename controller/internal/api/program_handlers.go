package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets/play"
	"github.com/pano-signage/pano/controller/internal/plans"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Programs (issue 11): a media of kind program is a layout of windows on
// the panel grid. Its first layout is the template, scaled to displays of
// other sizes; a later one is used on displays of exactly its size.

// maxProgramLayouts bounds a program's layouts.
const maxProgramLayouts = 8

// checkProgram checks a program's layouts before they are stored: sizes,
// windows inside the panel, kinds and formats (as an agent will check
// them), and media windows showing media the caller may see that are not
// programs themselves.
func (a *API) checkProgram(ctx context.Context, p *principal, pl *store.ProgramLayouts) error {
	bad := func(format string, args ...any) *Error {
		return invalid("bad_program", format, args...).at("program")
	}
	// at names the layout and window at fault (from 1) in the params.
	at := func(e *Error, layout, window int) *Error {
		e = e.with("layout", layout)
		if window > 0 {
			e = e.with("window", window)
		}
		return e
	}
	if pl == nil || len(pl.Layouts) == 0 {
		return bad("a program needs its layout: program.layouts with at least one layout")
	}
	if len(pl.Layouts) > maxProgramLayouts {
		return bad("a program has at most %d layouts, not %d", maxProgramLayouts, len(pl.Layouts))
	}
	sizes := map[[2]int]bool{}
	for i, l := range pl.Layouts {
		if sizes[[2]int{l.Width, l.Height}] {
			return at(bad("layout %d: there is already a layout for %d×%d", i+1, l.Width, l.Height), i+1, 0)
		}
		sizes[[2]int{l.Width, l.Height}] = true
		if len(l.Windows) == 0 {
			return at(bad("layout %d has no window", i+1), i+1, 0)
		}
		check := protocol.Program{Width: l.Width, Height: l.Height, Background: l.Background}
		for j, w := range l.Windows {
			pw := w.ProgramWindow
			if pw.Asset != "" || len(pw.Items) > 0 {
				// The controller fills these from media_id or playlist_id.
				return at(bad("layout %d window %d: name what it shows by media_id or playlist_id, not by asset or items", i+1, j+1), i+1, j+1)
			}
			if pw.Kind == protocol.WindowMedia && w.PlaylistID != 0 {
				if w.MediaID != 0 {
					return at(bad("layout %d window %d: a media window shows media_id or playlist_id, not both", i+1, j+1), i+1, j+1)
				}
				pl, err := a.o.Store.Playlist(ctx, w.PlaylistID)
				if errors.Is(err, store.ErrNotFound) || err == nil && !p.sees(pl.UnitID) {
					return at(bad("layout %d window %d: rotation %d does not exist", i+1, j+1, w.PlaylistID), i+1, j+1)
				}
				if err != nil {
					return err
				}
				if w.Fit != "" && w.Fit != "contain" && w.Fit != "cover" && w.Fit != "stretch" {
					return at(bad("layout %d window %d: fit %q is not contain, cover or stretch", i+1, j+1, w.Fit), i+1, j+1)
				}
				pw.Items = []protocol.WindowItem{{Asset: fmt.Sprintf("%064x", w.PlaylistID), DurationMS: 1000}} // checked as a rotation would be
			} else if pw.Kind == protocol.WindowMedia {
				if w.MediaID == 0 {
					return at(bad("layout %d window %d: a media window needs media_id or playlist_id", i+1, j+1), i+1, j+1)
				}
				m, err := a.o.Store.Media(ctx, w.MediaID)
				if errors.Is(err, store.ErrNotFound) || err == nil && !p.sees(m.UnitID) {
					return at(bad("layout %d window %d: media %d does not exist", i+1, j+1, w.MediaID), i+1, j+1)
				}
				if err != nil {
					return err
				}
				if m.Current.Kind == store.KindProgram {
					return at(bad("layout %d window %d: media %d is a program; a window shows an image, a video or a text", i+1, j+1, w.MediaID), i+1, j+1)
				}
				switch w.Fit {
				case "", "contain", "cover", "stretch":
				default:
					return at(bad("layout %d window %d: fit %q is not contain, cover or stretch", i+1, j+1, w.Fit), i+1, j+1)
				}
				pw.Asset = fmt.Sprintf("%064x", w.MediaID) // checked as an asset would be
			} else if w.MediaID != 0 || w.PlaylistID != 0 || pw.Asset != "" || len(pw.Items) > 0 {
				return at(bad("layout %d window %d: only a media window shows a media", i+1, j+1), i+1, j+1)
			}
			switch {
			case w.Source == store.SourceNotices && pw.Kind == protocol.WindowTicker:
				if pw.Text == "" {
					pw.Text = "…" // the list fills it; its own text is what shows when the list is empty
				}
			case w.Source != "":
				return at(bad("layout %d window %d: source %q: only a ticker takes its text from the notices (source \"notices\")", i+1, j+1, w.Source), i+1, j+1)
			}
			check.Windows = append(check.Windows, pw)
		}
		if err := check.Validate(); err != nil {
			return at(bad("layout %d: %v", i+1, err), i+1, 0)
		}
	}
	return nil
}

// previewProgram is GET /media/{id}/preview for a program: the pixels a
// w×h panel shows at the instant at (default now), elapsed into the item
// (elapsed_ms, default 0: where tickers stand), drawn by the agent's own
// code (assets/play) from the renditions the agent would get.
func (a *API) previewProgram(c echo.Context, m store.Media, w, h int) error {
	at := a.o.Now()
	if s := c.QueryParam("at"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return badRequest("at %q is not an RFC 3339 instant (2026-11-30T14:05:09+07:00)", s)
		}
		at = t
	}
	var elapsed time.Duration
	if s := c.QueryParam("elapsed_ms"); s != "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ms < 0 || ms > 24*3600*1000 {
			return badRequest("elapsed_ms %q is not 0 to 86400000", s)
		}
		elapsed = time.Duration(ms) * time.Millisecond
	}
	img, err := a.programPicture(ctxOf(c), m.Current.ID, w, h, at, elapsed)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "image/png", buf.Bytes())
}

// programPicture draws a program revision for a w×h panel at the instant
// at, elapsed into its item, with the agent's code.
func (a *API) programPicture(ctx context.Context, revisionID int64, w, h int, at time.Time, elapsed time.Duration) (*image.RGBA, error) {
	if a.o.Previews == nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "program previews are not available here")
	}
	prog, needs, err := a.o.Previews.ProgramPreview(ctx, revisionID, w, h)
	if errors.Is(err, plans.ErrProgramNotReady) {
		return nil, errf(http.StatusConflict, "program_not_ready", "the program cannot be shown yet: %v", err)
	}
	if err != nil {
		return nil, err
	}
	env := play.Env{Assets: map[string]protocol.Asset{}, Loc: a.o.Location, Path: func(sha string) string {
		p, _ := a.o.Assets.Find(ctx, sha)
		return p
	}}
	for _, n := range needs {
		env.Assets[n.SHA256] = n
	}
	src, err := play.NewProgram(prog, image.Rect(0, 0, w, h), at.Add(-elapsed), env)
	if err != nil {
		return nil, fmt.Errorf("program preview: %w", err)
	}
	defer src.Close()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if err := src.Frame(elapsed, img); err != nil {
		return nil, fmt.Errorf("program preview: %w", err)
	}
	return img, nil
}
