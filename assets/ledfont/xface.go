package ledfont

import (
	"image"
	"image/color"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// FontFace is f as a golang.org/x/image/font.Face, for layout code that
// also sets vector fonts. Its glyph boxes are the font's cells, its masks
// are fully on or off: drawn through font.Drawer it lights exactly the
// lamps Draw does.
func (f *Face) FontFace() font.Face { return xface{f} }

type xface struct{ f *Face }

func (x xface) Close() error { return nil }

func (x xface) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	g := x.f.glyph(r)
	ox, oy := dot.X.Round(), dot.Y.Round()
	top := oy - g.y - g.h
	dr := image.Rect(ox+g.x, top, ox+g.x+g.w, top+g.h)
	return dr, mask{g}, image.Point{}, fixed.I(g.advance), true
}

func (x xface) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	g := x.f.glyph(r)
	b := fixed.R(g.x, -g.y-g.h, g.x+g.w, -g.y)
	return b, fixed.I(g.advance), true
}

func (x xface) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	return fixed.I(x.f.glyph(r).advance), true
}

func (x xface) Kern(_, _ rune) fixed.Int26_6 { return 0 }

func (x xface) Metrics() font.Metrics {
	return font.Metrics{Height: fixed.I(x.f.Height()), Ascent: fixed.I(x.f.Ascent), Descent: fixed.I(x.f.Descent)}
}

// mask is a glyph's bitmap as an alpha image with its origin at 0,0.
type mask struct{ g *glyph }

func (m mask) ColorModel() color.Model { return color.AlphaModel }
func (m mask) Bounds() image.Rectangle { return image.Rect(0, 0, m.g.w, m.g.h) }
func (m mask) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= m.g.w || y >= m.g.h || m.g.rows[y]&(1<<(m.g.firstBitAt-uint(x))) == 0 {
		return color.Alpha{}
	}
	return color.Alpha{A: 255}
}
