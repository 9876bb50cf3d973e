// Package play draws the frames of a rendition at a point of its item:
// stills, tickers, videos (frames archives) and programs (windows of
// those with live clocks, dates, countdowns and tickers drawn over them).
// The agent plays with it and the controller previews with it, so the two
// light the same lamps for the same instant.
package play

import (
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// Source yields the frames of one asset.
type Source interface {
	// Frame draws the frame for elapsed time since the item started into dst.
	Frame(elapsed time.Duration, dst *image.RGBA) error
	Close() error
}

// Open opens an image, ticker or video asset's file for a panel (or a
// program's window) of panel's size. A program is OpenProgram.
func Open(a protocol.Asset, path string, panel image.Rectangle) (Source, error) {
	switch a.Kind {
	case protocol.AssetImage:
		if a.TickerPPS > 0 {
			return openTicker(path, a.TickerPPS, panel)
		}
		return openStill(path, panel)
	case protocol.AssetVideo:
		return openVideo(path, a.FPS, panel)
	}
	return nil, fmt.Errorf("asset kind %q cannot be played here", a.Kind)
}

// still is an image rendition: the same frame for the whole item.
type still struct{ img *image.RGBA }

func openStill(path string, panel image.Rectangle) (*still, error) {
	img, err := decodePNG(path)
	if err != nil {
		return nil, err
	}
	if img.Bounds().Size() != panel.Size() {
		return nil, fmt.Errorf("rendition is %v, the panel is %v", img.Bounds().Size(), panel.Size())
	}
	return &still{img: img}, nil
}

// decodePNG reads a rendition into RGBA with its origin at 0,0.
func decodePNG(path string) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("rendition is not a readable PNG: %w", err)
	}
	rgba := image.NewRGBA(image.Rectangle{Max: img.Bounds().Size()})
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba, nil
}

// ticker scrolls a strip as tall as the panel across it, right to left,
// wrapping around (see protocol.Asset.TickerPPS).
type ticker struct {
	strip *image.RGBA
	pps   int
}

func openTicker(path string, pps int, panel image.Rectangle) (*ticker, error) {
	strip, err := decodePNG(path)
	if err != nil {
		return nil, err
	}
	if strip.Bounds().Dy() != panel.Dy() || strip.Bounds().Dx() < panel.Dx() {
		return nil, fmt.Errorf("ticker strip is %v; it must be %d pixels tall and at least %d wide", strip.Bounds().Size(), panel.Dy(), panel.Dx())
	}
	return &ticker{strip: strip, pps: pps}, nil
}

func (t *ticker) Frame(elapsed time.Duration, dst *image.RGBA) error {
	if elapsed < 0 {
		elapsed = 0
	}
	sw := t.strip.Bounds().Dx()
	o := int(elapsed*time.Duration(t.pps)/time.Second) % sw
	w := dst.Bounds().Dx()
	for y := 0; y < dst.Bounds().Dy(); y++ {
		row := t.strip.Pix[y*t.strip.Stride : y*t.strip.Stride+sw*4]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w*4]
		n := copy(out, row[o*4:])
		copy(out[n:], row) // wrap past the end to column 0
	}
	return nil
}

func (t *ticker) Close() error { return nil }

func (s *still) Frame(_ time.Duration, dst *image.RGBA) error {
	copy(dst.Pix, s.img.Pix)
	return nil
}

func (s *still) Close() error { return nil }
