// Package pattern draws the on-site test patterns of `pano-agent
// test-pattern`: pictures that make wiring, colour order and dead pixels
// obvious on a panel with no controller.
package pattern

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/pano-signage/pano/assets/ledfont"
)

// Pattern draws frame number n of itself into dst. Draw allocates nothing
// once it has seen dst's size.
type Pattern interface {
	Draw(dst *image.RGBA, n int)
}

// Names is the list Parse accepts, for help texts.
const Names = "bars, grid, gradient, walk, solid:#RRGGBB, text:WORDS"

// Parse reads a pattern spec as given to --pattern.
func Parse(spec string) (Pattern, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "bars":
		return bars{}, nil
	case "grid":
		return grid{}, nil
	case "gradient":
		return gradient{}, nil
	case "walk":
		return walk{}, nil
	case "solid":
		c, err := parseColour(arg)
		if err != nil {
			return nil, fmt.Errorf("--pattern %s: %w", spec, err)
		}
		return solid{c}, nil
	case "text":
		if strings.TrimSpace(arg) == "" {
			return nil, fmt.Errorf("--pattern %s: write the text after the colon, e.g. text:CỘT 3", spec)
		}
		return &text{s: norm.NFC.String(arg)}, nil
	}
	return nil, fmt.Errorf("--pattern %q: use one of %s", spec, Names)
}

func parseColour(s string) (color.RGBA, error) {
	h := strings.TrimPrefix(s, "#")
	v, err := strconv.ParseUint(h, 16, 32)
	if len(h) != 6 || err != nil {
		return color.RGBA{}, fmt.Errorf("colour %q: write #RRGGBB, e.g. solid:#FF0000", s)
	}
	return color.RGBA{R: byte(v >> 16), G: byte(v >> 8), B: byte(v), A: 255}, nil
}

func fill(dst *image.RGBA, c color.RGBA) {
	for i := 0; i < len(dst.Pix); i += 4 {
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = c.R, c.G, c.B, 255
	}
}

type solid struct{ c color.RGBA }

func (s solid) Draw(dst *image.RGBA, _ int) { fill(dst, s.c) }

// bars are the eight colour bars, left to right: white, yellow, cyan, green,
// magenta, red, blue, black. A swapped colour order shows as wrong bars.
type bars struct{}

var barColours = [8]color.RGBA{
	{255, 255, 255, 255}, {255, 255, 0, 255}, {0, 255, 255, 255}, {0, 255, 0, 255},
	{255, 0, 255, 255}, {255, 0, 0, 255}, {0, 0, 255, 255}, {0, 0, 0, 255},
}

func (bars) Draw(dst *image.RGBA, _ int) {
	b := dst.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.SetRGBA(x, y, barColours[(x-b.Min.X)*8/b.Dx()])
		}
	}
}

// grid draws white lines every 8 pixels, a red border, and a green top-left
// pixel: tiles that are swapped or turned break the lines, and the green
// corner shows where the picture starts.
type grid struct{}

func (grid) Draw(dst *image.RGBA, _ int) {
	b := dst.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			lx, ly := x-b.Min.X, y-b.Min.Y
			c := color.RGBA{A: 255}
			switch {
			case lx == 0 && ly == 0:
				c = color.RGBA{G: 255, A: 255}
			case lx == 0 || ly == 0 || lx == b.Dx()-1 || ly == b.Dy()-1:
				c = color.RGBA{R: 255, A: 255}
			case lx%8 == 0 || ly%8 == 0:
				c = color.RGBA{R: 255, G: 255, B: 255, A: 255}
			}
			dst.SetRGBA(x, y, c)
		}
	}
}

// gradient ramps red left to right and green top to bottom; blue pulses
// with the frame number. Banding shows a gamma problem, a jump a bad module.
type gradient struct{}

func (gradient) Draw(dst *image.RGBA, n int) {
	b := dst.Bounds()
	blue := byte(n * 4)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			lx, ly := x-b.Min.X, y-b.Min.Y
			dst.SetRGBA(x, y, color.RGBA{R: byte(lx * 255 / max(b.Dx()-1, 1)), G: byte(ly * 255 / max(b.Dy()-1, 1)), B: blue, A: 255})
		}
	}
}

// walk lights one white pixel per frame in logical (row-major) order: on a
// wrongly wired panel the dot jumps instead of walking.
type walk struct{}

func (walk) Draw(dst *image.RGBA, n int) {
	fill(dst, color.RGBA{})
	b := dst.Bounds()
	i := n % (b.Dx() * b.Dy())
	dst.SetRGBA(b.Min.X+i%b.Dx(), b.Min.Y+i/b.Dx(), color.RGBA{255, 255, 255, 255})
}

// text scrolls a line of text right to left in white, in the bitmap
// font that content text uses on the LEDs (assets/ledfont): the largest
// face the panel's height holds, marks and all, so "CỘT 3" is read as
// written.
type text struct {
	s     string // NFC
	face  *ledfont.Face
	width int
}

func (t *text) Draw(dst *image.RGBA, n int) {
	b := dst.Bounds()
	if t.face == nil {
		t.face = ledfont.Fit(b.Dy())
		if t.face == nil { // lower than any face: the smallest, cut
			fs, _ := ledfont.Faces()
			t.face = fs[0]
		}
		t.width = t.face.Width(t.s)
	}
	fill(dst, color.RGBA{})
	// Scroll when the text is wider than the panel; else centre it.
	x0 := (b.Dx() - t.width) / 2
	if t.width > b.Dx() {
		x0 = b.Dx() - n%(t.width+b.Dx())
	}
	baseline := b.Min.Y + (b.Dy()-t.face.Height())/2 + t.face.Ascent
	t.face.Draw(dst, b.Min.X+x0, baseline, t.s, color.RGBA{255, 255, 255, 255})
}
