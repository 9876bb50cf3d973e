package protocol

import "fmt"

// A video rendition is a ZIP archive of PNG frames at the panel's exact size
// and frame rate, with a manifest. The agent plays it frame-accurately with
// the standard library alone (no cgo, no ffmpeg on the board); PNG keeps the
// pixels exact, which a lossy codec would not on a 64×32 panel.
const (
	FramesFormat       = "pano-frames/1"
	FramesManifestName = "manifest.json"
	FramesMIME         = "application/vnd.pano.frames+zip"
)

// FramesManifest is manifest.json inside a video rendition.
type FramesManifest struct {
	Format string `json:"format"` // FramesFormat
	Width  int    `json:"width"`
	Height int    `json:"height"`
	FPS    int    `json:"fps"`
	Frames int    `json:"frames"`
}

// Validate checks a manifest read from an archive.
func (m *FramesManifest) Validate() error {
	switch {
	case m.Format != FramesFormat:
		return fmt.Errorf("format %q is not %s", m.Format, FramesFormat)
	case m.FPS < 1 || m.FPS > 120:
		return fmt.Errorf("fps %d must be 1–120", m.FPS)
	case m.Frames < 1:
		return fmt.Errorf("it holds %d frames", m.Frames)
	}
	return Panel{Width: m.Width, Height: m.Height}.Validate()
}

// FrameName is the archive path of frame i, counted from 0.
func FrameName(i int) string { return fmt.Sprintf("frames/%06d.png", i) }
