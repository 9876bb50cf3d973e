package play

import (
	"fmt"
	"image"
	"image/draw"
	"time"

	"github.com/pano-signage/pano/assets/frames"
)

// video plays a video rendition: a ZIP of PNG frames at the panel's size and
// frame rate (assets/frames). Frame k shows from item start + k/fps, so
// every display of a group shows the same frame at the same instant; a clip
// shorter than its slot loops.
type video struct {
	r     *frames.Reader
	m     frames.Manifest
	shown int // index of the frame in buf, -1 for none
	buf   *image.RGBA
}

func openVideo(path string, planFPS int, panel image.Rectangle) (Source, error) {
	r, err := frames.Open(path)
	if err != nil {
		return nil, fmt.Errorf("video rendition is not a readable frames archive: %w", err)
	}
	m := r.Manifest()
	switch {
	case image.Pt(m.Width, m.Height) != panel.Size():
		r.Close()
		return nil, fmt.Errorf("video rendition is %dx%d, the panel is %v", m.Width, m.Height, panel.Size())
	case planFPS > 0 && planFPS != m.FPS:
		r.Close()
		return nil, fmt.Errorf("video rendition runs at %d fps, the plan says %d", m.FPS, planFPS)
	}
	return &video{r: r, m: m, shown: -1, buf: image.NewRGBA(panel)}, nil
}

func (v *video) Frame(elapsed time.Duration, dst *image.RGBA) error {
	if elapsed < 0 {
		elapsed = 0
	}
	k := int(elapsed*time.Duration(v.m.FPS)/time.Second) % v.m.Frames
	if k != v.shown {
		img, err := v.r.Frame(k)
		if err != nil {
			return err
		}
		draw.Draw(v.buf, v.buf.Bounds(), img, img.Bounds().Min, draw.Src)
		v.shown = k
	}
	copy(dst.Pix, v.buf.Pix)
	return nil
}

func (v *video) Close() error { return v.r.Close() }
