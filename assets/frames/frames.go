// Package frames reads and names the parts of a video rendition: a ZIP of
// PNG frames at panel size with a manifest.json, as assets.TranscodeVideo
// writes it (see the assets package doc for why this form). It uses only
// the standard library, so an agent can play video renditions without cgo
// or ffmpeg: frame n of an item is FrameName(n), read directly through the
// ZIP's central directory, which makes playback frame-accurate.
package frames

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"time"
)

// Format is the manifest's format name for this layout.
const Format = "pano-frames/1"

// MIME is the media type of a video rendition.
const MIME = "application/vnd.pano.frames+zip"

// ManifestName is the manifest's entry name.
const ManifestName = "manifest.json"

// Manifest is manifest.json.
type Manifest struct {
	Format string `json:"format"` // Format
	Width  int    `json:"width"`
	Height int    `json:"height"`
	FPS    int    `json:"fps"`
	Frames int    `json:"frames"`
}

// Duration is how long the video plays.
func (m Manifest) Duration() time.Duration {
	return time.Duration(m.Frames) * time.Second / time.Duration(m.FPS)
}

// FrameName is the entry name of frame i (from 0).
func FrameName(i int) string { return fmt.Sprintf("frames/%06d.png", i) }

// Reader reads frames of a video rendition.
type Reader struct {
	z *zip.ReadCloser
	m Manifest
}

// Open opens a video rendition file and checks its manifest.
func Open(path string) (*Reader, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("frames: open %s: %w", path, err)
	}
	r := &Reader{z: z}
	if err := r.readManifest(); err != nil {
		z.Close()
		return nil, fmt.Errorf("frames: open %s: %w", path, err)
	}
	return r, nil
}

func (r *Reader) readManifest() error {
	f, err := r.z.Open(ManifestName)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := json.NewDecoder(io.LimitReader(f, 1<<16)).Decode(&r.m); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	m := r.m
	if m.Format != Format || m.Width < 1 || m.Height < 1 || m.FPS < 1 || m.Frames < 1 {
		return fmt.Errorf("manifest: unsupported or invalid: %+v", m)
	}
	// Every frame must be there: a player finds a truncated archive at once,
	// not in the middle of the clip.
	names := make(map[string]bool, len(r.z.File))
	for _, f := range r.z.File {
		names[f.Name] = true
	}
	for i := 0; i < m.Frames; i++ {
		if !names[FrameName(i)] {
			return fmt.Errorf("frame %d of %d is missing", i, m.Frames)
		}
	}
	return nil
}

// Manifest describes the video.
func (r *Reader) Manifest() Manifest { return r.m }

// FramePNG returns the PNG bytes of frame i.
func (r *Reader) FramePNG(i int) ([]byte, error) {
	if i < 0 || i >= r.m.Frames {
		return nil, fmt.Errorf("frames: frame %d of %d", i, r.m.Frames)
	}
	f, err := r.z.Open(FrameName(i))
	if err != nil {
		return nil, fmt.Errorf("frames: frame %d: %w", i, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(r.m.Width*r.m.Height*4+1<<16)))
	if err != nil {
		return nil, fmt.Errorf("frames: frame %d: %w", i, err)
	}
	return b, nil
}

// Frame decodes frame i.
func (r *Reader) Frame(i int) (image.Image, error) {
	b, err := r.FramePNG(i)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("frames: frame %d: %w", i, err)
	}
	if img.Bounds().Dx() != r.m.Width || img.Bounds().Dy() != r.m.Height {
		return nil, fmt.Errorf("frames: frame %d is %v, manifest says %d×%d", i, img.Bounds(), r.m.Width, r.m.Height)
	}
	return img, nil
}

// Index is the frame shown at offset d into the item: floor(d × fps),
// the last frame after the end.
func (r *Reader) Index(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return min(int(d*time.Duration(r.m.FPS)/time.Second), r.m.Frames-1)
}

// Close closes the file.
func (r *Reader) Close() error { return r.z.Close() }
