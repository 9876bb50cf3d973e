package plans

import (
	"bytes"
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

// checkScreenshot decodes a screenshot for a panel of w×h: its size is
// checked from the header before any pixel is decoded (a few kilobytes of
// zeros can claim gigabytes), then the whole image is decoded, so a
// truncated or corrupt file is refused rather than stored.
func checkScreenshot(data []byte, w, h int) error {
	if len(data) > MaxScreenshotBytes {
		return fmt.Errorf("screenshot of %d bytes is larger than %d: send the panel's frame as a PNG", len(data), MaxScreenshotBytes)
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
