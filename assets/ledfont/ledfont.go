// Package ledfont draws text on LED panels with bitmap (pixel) fonts: each
// lit pixel of a glyph is one lamp, with no anti-aliasing, so Vietnamese
// marks stay sharp at the small sizes panels have. The bundled faces are
// X.Org's misc-fixed 6x13, 9x15 and 10x20 (public domain), the smallest
// freely licensed bitmap fonts that draw every Vietnamese letter with its
// marks distinct (see fonts/README.md for how they were chosen).
//
// It uses only the standard library, so the agent draws live text (clocks,
// tickers) with the same code and glyphs the controller previews with.
// Drawing allocates nothing.
package ledfont

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:embed fonts/*.bdf
var files embed.FS

// VietnameseLetters are the 134 letters Vietnamese writes beyond ASCII:
// the vowels a ă â e ê i o ô ơ u ư y with each tone (none, grave, acute,
// hook above, tilde, dot below), less the six plain ASCII vowels, and đ;
// lower case, then upper case, NFC.
const VietnameseLetters = "ăâêôơư" +
	"àằầèềìòồờùừỳ" + "áắấéếíóốớúứý" + "ảẳẩẻểỉỏổởủửỷ" + "ãẵẫẽễĩõỗỡũữỹ" + "ạặậẹệịọộợụựỵ" + "đ" +
	"ĂÂÊÔƠƯ" +
	"ÀẰẦÈỀÌÒỒỜÙỪỲ" + "ÁẮẤÉẾÍÓỐỚÚỨÝ" + "ẢẲẨẺỂỈỎỔỞỦỬỶ" + "ÃẴẪẼỄĨÕỖỠŨỮỸ" + "ẠẶẬẸỆỊỌỘỢỤỰỴ" + "Đ"

// Bundled face names, smallest first.
var bundled = []string{"6x13", "9x15", "10x20"}

// Face is one bitmap font at its one size.
type Face struct {
	Name    string // e.g. "6x13"
	Ascent  int    // rows above the baseline, marks included
	Descent int    // rows below it (the dot below and descenders)
	glyphs  map[rune]*glyph
	missing *glyph // drawn for a rune the face lacks
}

type glyph struct {
	advance    int
	w, h       int // bitmap size
	x, y       int // left and bottom of the bitmap, from the dot (y up)
	rows       []uint32
	firstBitAt uint // the bit of rows[i] that is the bitmap's column 0
}

// Height is the face's line height in pixels: the tallest letter with its
// stacked marks (Ẫ) and the deepest (ệ, g) both fit in it.
func (f *Face) Height() int { return f.Ascent + f.Descent }

// Has reports whether the face draws r itself (not as the missing glyph).
func (f *Face) Has(r rune) bool { _, ok := f.glyphs[r]; return ok }

func (f *Face) glyph(r rune) *glyph {
	if g, ok := f.glyphs[r]; ok {
		return g
	}
	return f.missing
}

// Width is how far s advances the dot, in pixels. Text should be NFC
// (one rune per Vietnamese letter); combining marks have no glyph here.
func (f *Face) Width(s string) int {
	w := 0
	for _, r := range s {
		w += f.glyph(r).advance
	}
	return w
}

// Draw draws s with its dot at (x, baseline) in colour c. Pixels outside
// dst's bounds are skipped. It allocates nothing.
func (f *Face) Draw(dst *image.RGBA, x, baseline int, s string, c color.RGBA) {
	for _, r := range s {
		g := f.glyph(r)
		g.draw(dst, x, baseline, c)
		x += g.advance
	}
}

// DrawClipped is Draw limited to clip (inside dst's bounds): a window.
func (f *Face) DrawClipped(dst *image.RGBA, clip image.Rectangle, x, baseline int, s string, c color.RGBA) {
	clip = clip.Intersect(dst.Bounds())
	for _, r := range s {
		g := f.glyph(r)
		if x >= clip.Max.X {
			return
		}
		if x+g.advance > clip.Min.X {
			g.drawIn(dst, clip, x, baseline, c)
		}
		x += g.advance
	}
}

// DrawScaled draws s with every lamp of the face as a scale × scale block
// (a clock across a tall window), clipped to clip, with its dot at
// (x, baseline). It allocates nothing.
func (f *Face) DrawScaled(dst *image.RGBA, clip image.Rectangle, x, baseline, scale int, s string, c color.RGBA) {
	clip = clip.Intersect(dst.Bounds())
	for _, r := range s {
		x = f.glyph(r).drawScaled(dst, clip, x, baseline, scale, c)
	}
}

// DrawBytes is DrawScaled for UTF-8 text in a byte slice (a clock's
// digits formatted into a reused buffer).
func (f *Face) DrawBytes(dst *image.RGBA, clip image.Rectangle, x, baseline, scale int, s []byte, c color.RGBA) {
	clip = clip.Intersect(dst.Bounds())
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		s = s[n:]
		x = f.glyph(r).drawScaled(dst, clip, x, baseline, scale, c)
	}
}

// WidthBytes is Width of UTF-8 text in a byte slice.
func (f *Face) WidthBytes(s []byte) int {
	w := 0
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		s = s[n:]
		w += f.glyph(r).advance
	}
	return w
}

// drawScaled draws the glyph at scale and returns the next dot's x.
func (g *glyph) drawScaled(dst *image.RGBA, clip image.Rectangle, x, baseline, scale int, c color.RGBA) int {
	next := x + g.advance*scale
	if x >= clip.Max.X || next <= clip.Min.X {
		return next
	}
	top := baseline - (g.y+g.h)*scale
	for i, row := range g.rows {
		if row == 0 {
			continue
		}
		for col := 0; col < g.w; col++ {
			if row&(1<<(g.firstBitAt-uint(col))) == 0 {
				continue
			}
			lamp := image.Rect(x+(g.x+col)*scale, top+i*scale, x+(g.x+col+1)*scale, top+(i+1)*scale).Intersect(clip)
			for py := lamp.Min.Y; py < lamp.Max.Y; py++ {
				o := dst.PixOffset(lamp.Min.X, py)
				for px := lamp.Min.X; px < lamp.Max.X; px++ {
					p := dst.Pix[o : o+4 : o+4]
					p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
					o += 4
				}
			}
		}
	}
	return next
}

func (g *glyph) draw(dst *image.RGBA, x, baseline int, c color.RGBA) {
	g.drawIn(dst, dst.Bounds(), x, baseline, c)
}

func (g *glyph) drawIn(dst *image.RGBA, clip image.Rectangle, x, baseline int, c color.RGBA) {
	top := baseline - g.y - g.h // image row of the bitmap's first row
	for i, row := range g.rows {
		py := top + i
		if py < clip.Min.Y || py >= clip.Max.Y || row == 0 {
			continue
		}
		for col := 0; col < g.w; col++ {
			if row&(1<<(g.firstBitAt-uint(col))) == 0 {
				continue
			}
			px := x + g.x + col
			if px < clip.Min.X || px >= clip.Max.X {
				continue
			}
			o := dst.PixOffset(px, py)
			p := dst.Pix[o : o+4 : o+4]
			p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
		}
	}
}

// Bitmap returns r's pixels as a set of lit (x, y) positions relative to
// the dot (y down), for measuring; nil if the face lacks r.
func (f *Face) Bitmap(r rune) []image.Point {
	g, ok := f.glyphs[r]
	if !ok {
		return nil
	}
	var pts []image.Point
	top := -g.y - g.h
	for i, row := range g.rows {
		for col := 0; col < g.w; col++ {
			if row&(1<<(g.firstBitAt-uint(col))) != 0 {
				pts = append(pts, image.Pt(g.x+col, top+i))
			}
		}
	}
	return pts
}

var (
	loadOnce sync.Once
	faces    []*Face
	loadErr  error
)

// Faces returns the bundled faces, smallest first.
func Faces() ([]*Face, error) {
	loadOnce.Do(func() {
		for _, name := range bundled {
			b, err := files.ReadFile("fonts/" + name + ".bdf")
			if err != nil {
				loadErr = err
				return
			}
			f, err := ParseBDF(name, b)
			if err != nil {
				loadErr = err
				return
			}
			faces = append(faces, f)
		}
	})
	return faces, loadErr
}

// Fit returns the largest bundled face whose line height is at most h,
// or nil if even the smallest is taller.
func Fit(h int) *Face {
	fs, err := Faces()
	if err != nil {
		return nil
	}
	var best *Face
	for _, f := range fs {
		if f.Height() <= h {
			best = f
		}
	}
	return best
}

// MinHeight is the smallest bundled face's line height: below it no
// bundled bitmap font keeps every Vietnamese letter distinct.
func MinHeight() int {
	fs, err := Faces()
	if err != nil || len(fs) == 0 {
		return 0
	}
	return fs[0].Height()
}

// maxMetric bounds a font's ascent, descent and advance, in pixels: far
// above any LED face, low enough that a bad file cannot make the
// missing-letter box allocate or loop without end.
const maxMetric = 1024

// ParseBDF reads a BDF 2.1 font (the subset of the format X11 fonts use:
// FONT_ASCENT, FONT_DESCENT, and per glyph ENCODING, DWIDTH, BBX, BITMAP).
func ParseBDF(name string, data []byte) (*Face, error) {
	f := &Face{Name: name, glyphs: map[rune]*glyph{}}
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("ledfont: %s line %d: %s", name, line, fmt.Sprintf(format, args...))
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	ln := 0
	var (
		cur     *glyph
		enc     = -1
		inBits  bool
		defChar = -1
	)
	atoi := func(s string) (int, error) { return strconv.Atoi(s) }
	for sc.Scan() {
		ln++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if inBits {
			if fields[0] == "ENDCHAR" {
				inBits = false
				if len(cur.rows) != cur.h {
					return nil, bad(ln, "glyph %d has %d rows, BBX says %d", enc, len(cur.rows), cur.h)
				}
				if enc >= 0 {
					f.glyphs[rune(enc)] = cur
				}
				continue
			}
			v, err := strconv.ParseUint(fields[0], 16, 32)
			if err != nil || len(fields[0]) > 8 {
				return nil, bad(ln, "bitmap row %q is not hex", fields[0])
			}
			cur.rows = append(cur.rows, uint32(v))
			cur.firstBitAt = uint(len(fields[0])*4 - 1)
			continue
		}
		nums := func(n int) ([]int, error) {
			if len(fields) < n+1 {
				return nil, bad(ln, "%s needs %d numbers", fields[0], n)
			}
			out := make([]int, n)
			for i := range out {
				v, err := atoi(fields[i+1])
				if err != nil {
					return nil, bad(ln, "%s: %q is not a number", fields[0], fields[i+1])
				}
				out[i] = v
			}
			return out, nil
		}
		switch fields[0] {
		case "DWIDTH", "BBX", "BITMAP":
			if cur == nil {
				return nil, bad(ln, "%s outside a glyph (before any STARTCHAR)", fields[0])
			}
		}
		switch fields[0] {
		case "FONT_ASCENT", "FONT_DESCENT", "DEFAULT_CHAR":
			v, err := nums(1)
			if err != nil {
				return nil, err
			}
			if fields[0] != "DEFAULT_CHAR" && (v[0] < 0 || v[0] > maxMetric) {
				return nil, bad(ln, "%s %d is outside 0…%d", fields[0], v[0], maxMetric)
			}
			switch fields[0] {
			case "FONT_ASCENT":
				f.Ascent = v[0]
			case "FONT_DESCENT":
				f.Descent = v[0]
			default:
				defChar = v[0]
			}
		case "STARTCHAR":
			cur, enc = &glyph{}, -1
		case "ENCODING":
			v, err := nums(1)
			if err != nil {
				return nil, err
			}
			enc = v[0]
		case "DWIDTH":
			v, err := nums(2)
			if err != nil {
				return nil, err
			}
			if v[0] < 0 || v[0] > maxMetric {
				return nil, bad(ln, "DWIDTH %d is outside 0…%d", v[0], maxMetric)
			}
			cur.advance = v[0]
		case "BBX":
			v, err := nums(4)
			if err != nil {
				return nil, err
			}
			if v[0] < 0 || v[0] > 32 || v[1] < 0 || v[1] > 64 {
				return nil, bad(ln, "glyph box %d×%d is outside 0…32 × 0…64", v[0], v[1])
			}
			cur.w, cur.h, cur.x, cur.y = v[0], v[1], v[2], v[3]
		case "BITMAP":
			inBits = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ledfont: %s: %w", name, err)
	}
	if f.Ascent <= 0 || f.Descent < 0 || len(f.glyphs) == 0 {
		return nil, fmt.Errorf("ledfont: %s: no FONT_ASCENT/FONT_DESCENT or no glyphs", name)
	}
	f.missing = f.glyphs[rune(defChar)]
	if f.missing == nil {
		// A box as wide as "0" shows where a letter is missing.
		zero := f.glyphs['0']
		if zero == nil {
			return nil, fmt.Errorf("ledfont: %s: no default glyph and no '0'", name)
		}
		f.missing = boxGlyph(zero.advance, f.Ascent-f.Descent)
	}
	return f, nil
}

// boxGlyph is an outlined rectangle advance wide, h high above the baseline.
func boxGlyph(advance, h int) *glyph {
	w := max(advance-2, 1)
	g := &glyph{advance: advance, w: w, h: h, x: 1, y: 0, firstBitAt: 31}
	full := uint32(0)
	for c := range w {
		full |= 1 << (31 - uint(c))
	}
	edge := uint32(1<<31 | 1<<(31-uint(w-1)))
	for i := range h {
		if i == 0 || i == h-1 {
			g.rows = append(g.rows, full)
		} else {
			g.rows = append(g.rows, edge)
		}
	}
	return g
}

// Covers returns the runes of s the face lacks, in order, once each.
func (f *Face) Covers(s string) []rune {
	var miss []rune
	for _, r := range s {
		if r == ' ' || r == '\n' || f.Has(r) || slices.Contains(miss, r) {
			continue
		}
		miss = append(miss, r)
	}
	return miss
}
