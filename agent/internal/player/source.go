package player

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// source yields the frames of one asset.
type source interface {
	// Frame draws the frame for elapsed time since the item started into dst.
	Frame(elapsed time.Duration, dst *image.RGBA) error
	Close() error
}

func openSource(path, kind string, fps int, panel image.Rectangle) (source, error) {
	switch kind {
	case protocol.AssetImage:
		return openStill(path, panel)
	case protocol.AssetVideo:
		return openVideo(path, fps, panel)
	}
	return nil, fmt.Errorf("asset kind %q cannot be played", kind)
}

// still is an image rendition: the same frame for the whole item.
type still struct{ img *image.RGBA }

func openStill(path string, panel image.Rectangle) (*still, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("rendition is not a readable PNG: %w", err)
	}
	if img.Bounds().Size() != panel.Size() {
		return nil, fmt.Errorf("rendition is %v, the panel is %v", img.Bounds().Size(), panel.Size())
	}
	rgba := image.NewRGBA(panel)
	draw.Draw(rgba, panel, img, img.Bounds().Min, draw.Src)
	return &still{img: rgba}, nil
}

func (s *still) Frame(_ time.Duration, dst *image.RGBA) error {
	copy(dst.Pix, s.img.Pix)
	return nil
}

func (s *still) Close() error { return nil }

func colorRGB(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 255} }
