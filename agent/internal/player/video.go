package player

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// video plays a video rendition: a ZIP of PNG frames at the panel's size and
// frame rate (protocol.FramesFormat). Frame k shows from item start + k/fps,
// so every display of a group shows the same frame at the same instant; a
// clip shorter than its slot loops.
type video struct {
	zr     *zip.ReadCloser
	frames []*zip.File
	fps    int
	shown  int // index of the frame in buf, -1 for none
	buf    *image.RGBA
}

func openVideo(path string, planFPS int, panel image.Rectangle) (source, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("video rendition is not a readable frames archive: %w", err)
	}
	v := &video{zr: zr, shown: -1, buf: image.NewRGBA(panel)}
	if err := v.index(panel); err != nil {
		zr.Close()
		return nil, err
	}
	if planFPS > 0 && planFPS != v.fps {
		zr.Close()
		return nil, fmt.Errorf("video rendition runs at %d fps, the plan says %d", v.fps, planFPS)
	}
	return v, nil
}

func (v *video) index(panel image.Rectangle) error {
	byName := make(map[string]*zip.File, len(v.zr.File))
	for _, f := range v.zr.File {
		byName[f.Name] = f
	}
	mf, ok := byName[protocol.FramesManifestName]
	if !ok {
		return fmt.Errorf("video rendition has no %s", protocol.FramesManifestName)
	}
	r, err := mf.Open()
	if err != nil {
		return fmt.Errorf("video rendition manifest: %w", err)
	}
	defer r.Close()
	var m protocol.FramesManifest
	if err := json.NewDecoder(io.LimitReader(r, 1<<16)).Decode(&m); err != nil {
		return fmt.Errorf("video rendition manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("video rendition manifest: %w", err)
	}
	if image.Pt(m.Width, m.Height) != panel.Size() {
		return fmt.Errorf("video rendition is %dx%d, the panel is %v", m.Width, m.Height, panel.Size())
	}
	for i := 0; i < m.Frames; i++ {
		f, ok := byName[protocol.FrameName(i)]
		if !ok {
			return fmt.Errorf("video rendition lacks frame %d of %d", i, m.Frames)
		}
		v.frames = append(v.frames, f)
	}
	v.fps = m.FPS
	return nil
}

func (v *video) Frame(elapsed time.Duration, dst *image.RGBA) error {
	if elapsed < 0 {
		elapsed = 0
	}
	k := int(elapsed*time.Duration(v.fps)/time.Second) % len(v.frames)
	if k != v.shown {
		if err := v.decode(k); err != nil {
			return err
		}
	}
	copy(dst.Pix, v.buf.Pix)
	return nil
}

func (v *video) decode(k int) error {
	r, err := v.frames[k].Open()
	if err != nil {
		return fmt.Errorf("video frame %d: %w", k, err)
	}
	defer r.Close()
	img, err := png.Decode(r)
	if err != nil {
		return fmt.Errorf("video frame %d: %w", k, err)
	}
	if img.Bounds().Size() != v.buf.Bounds().Size() {
		return fmt.Errorf("video frame %d is %v, the panel is %v", k, img.Bounds().Size(), v.buf.Bounds().Size())
	}
	draw.Draw(v.buf, v.buf.Bounds(), img, img.Bounds().Min, draw.Src)
	v.shown = k
	return nil
}

func (v *video) Close() error { return v.zr.Close() }
