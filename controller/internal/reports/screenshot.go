package reports

import (
	"bytes"
	"context"
	"fmt"
	"image/png"

	"github.com/pano-signage/pano/protocol"
)

// Screenshots are the panel's frame at its resolution. These bounds leave
// room for an agent that draws at a multiple of it, and no more.
const (
	// ScreenshotFactor is how many times the panel's width and height a
	// screenshot may be.
	ScreenshotFactor = 2
	// MaxScreenshotBytes bounds the PNG itself (a message cannot be
	// larger anyway).
	MaxScreenshotBytes = protocol.MaxMessageBytes
)

// maxScreenshotBytes is what a PNG of at most (w×F)×(h×F) pixels needs even
// stored uncompressed (RGBA, a filter byte a row) with room for its chunks:
// more is padding no screen sends, kept for every display every minute.
func maxScreenshotBytes(w, h int) int {
	return min(MaxScreenshotBytes, (w*ScreenshotFactor*4+1)*h*ScreenshotFactor+64<<10)
}

// checkScreenshot decodes a screenshot for a panel of w×h: its size is
// checked from the header before any pixel is decoded (a few kilobytes of
// zeros can claim gigabytes), then the whole image is decoded, so a
// truncated or corrupt file is refused rather than stored.
func checkScreenshot(data []byte, w, h int) error {
	if limit := maxScreenshotBytes(w, h); len(data) > limit {
		return fmt.Errorf("screenshot of %d bytes is larger than a PNG of this display's panel needs (%d): send the panel's frame as a plain PNG", len(data), limit)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("screenshot is not a PNG image: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > w*ScreenshotFactor || cfg.Height > h*ScreenshotFactor {
		return fmt.Errorf("screenshot is %d×%d pixels; this display's panel is %d×%d (at most %d×%d accepted)",
			cfg.Width, cfg.Height, w, h, w*ScreenshotFactor, h*ScreenshotFactor)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("screenshot is a truncated or corrupt PNG: %v", err)
	}
	return nil
}

// Screenshot implements hub.Reports: a screenshot is stored only once it
// decodes as a whole PNG no larger than the display's panel allows; one
// that does not is refused (the agent is told why) and counted.
func (s *Sink) Screenshot(ctx context.Context, displayID int64, sh protocol.Screenshot) error {
	d, err := s.st.Display(ctx, displayID)
	if err != nil {
		return err
	}
	if err := checkScreenshot(sh.PNG, d.Width, d.Height); err != nil {
		s.log.Warn("screenshot refused", "display", displayID, "bytes", len(sh.PNG), "reason", err)
		if err := s.st.AddRefusals(ctx, displayID, 0, 1, "screenshot: "+err.Error()); err != nil {
			return err
		}
		return err
	}
	return s.st.SaveScreenshot(ctx, displayID, sh.PNG, sh.At)
}
