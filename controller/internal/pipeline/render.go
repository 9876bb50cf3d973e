package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/store"
)

// ErrVideoOnDemand is returned by Render for a video: a video rendition is
// a transcode, made by the queue, never while a request waits.
var ErrVideoOnDemand = errors.New("pipeline: a video is rendered by the queue, not on demand")

// Notice is the assets notice a text revision draws: its title in bold
// (unless hidden) above its body, in its style.
func Notice(rev store.MediaRevision) assets.Notice {
	n := assets.Notice{Title: rev.Title, Body: rev.Body}
	if st := rev.Notice; st != nil {
		if st.HideTitle {
			n.Title = ""
		}
		n.Color, n.TitleColor, n.Background, n.Align = st.Color, st.TitleColor, st.Background, assets.Align(st.Align)
		if st.Ticker {
			n.Ticker = &assets.Ticker{PixelsPerSecond: st.TickerPPS}
		}
	}
	return n
}

// RenderNotice draws a text revision for a panel. A still notice that does
// not fit the panel even at the smallest readable size is shown as a
// ticker on that panel instead of being refused: a display of a small
// geometry may appear long after the notice was approved.
func RenderNotice(rev store.MediaRevision, g assets.Geometry) (*assets.Rendition, error) {
	n := Notice(rev)
	r, err := assets.RenderText(n, g)
	if assets.ErrorCode(err) == assets.CodeTextTooLong && n.Ticker == nil {
		n.Ticker = &assets.Ticker{}
		r, err = assets.RenderText(n, g)
	}
	return r, err
}

// Render makes the rendition of an image or text revision for g, without
// storing it; an image is decoded within budget b (nil: unbounded). Videos
// are ErrVideoOnDemand.
func Render(ctx context.Context, as *assets.Store, b *assets.Budget, rev store.MediaRevision, g assets.Geometry) (*assets.Rendition, error) {
	switch rev.Kind {
	case store.KindText:
		return RenderNotice(rev, g)
	case store.KindImage:
		path, err := as.Find(ctx, rev.SHA256)
		if err != nil {
			return nil, fmt.Errorf("pipeline: original of revision %d: %w", rev.ID, err)
		}
		rs, err := assets.RenderImage(ctx, b, path, g)
		if err != nil {
			return nil, err
		}
		return &rs[0], nil
	case store.KindVideo:
		return nil, ErrVideoOnDemand
	}
	return nil, fmt.Errorf("pipeline: revision %d: unknown kind %q", rev.ID, rev.Kind)
}

// Geometry is the assets geometry of a store geometry (contain on black).
func Geometry(w, h int, fit string) assets.Geometry {
	return assets.Geometry{W: w, H: h, Fit: assets.Fit(fit)}
}

// Row describes a stored assets rendition as a store row's file fields.
func Row(revisionID int64, g assets.Geometry, r *assets.Rendition) (store.Rendition, error) {
	row := store.Rendition{
		MediaRevisionID: revisionID, Width: g.W, Height: g.H, Fit: string(g.Fit),
		SHA256: r.SHA256, Kind: store.KindImage, MIME: r.MIME, Bytes: int64(len(r.Data)),
		FileWidth: r.Width, FileHeight: r.Height, FPS: r.FPS, Frames: r.Frames,
	}
	if r.Ticker != nil {
		row.TickerPPS = r.Ticker.PixelsPerSecond
		row.DurationMS = int64(r.Ticker.LoopSeconds * 1000)
	}
	if r.Frames > 0 {
		row.Kind = store.KindVideo
		if r.FPS > 0 {
			row.DurationMS = (time.Duration(r.Frames) * time.Second / time.Duration(r.FPS)).Milliseconds()
		}
	}
	if r.Data == nil && r.Path != "" {
		fi, err := os.Stat(r.Path)
		if err != nil {
			return store.Rendition{}, fmt.Errorf("pipeline: stat rendition: %w", err)
		}
		row.Bytes = fi.Size()
	}
	return row, nil
}
