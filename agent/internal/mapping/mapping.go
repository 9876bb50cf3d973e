// Package mapping turns a logical W×H frame into the byte stream a physical
// LED panel expects: which logical pixel the n-th LED on the wire shows, in
// which colour order, through which gamma curve, brightness and white
// balance.
//
// Everything is worked out once, at New: an index table (LED n → offset of
// its logical pixel in the frame) and one 256-entry lookup table per output
// channel. Encode then only reads the frame through the index table and the
// tables, and allocates nothing.
//
// Geometry, in the order it is applied to find LED n's logical pixel:
//
//  1. Tiles: the physical panel is TilesX × TilesY identical modules, chained
//     row by row from the top-left module (TileSerpentine: every second row
//     of modules is chained right to left). LED n is in module n / (mw·mh).
//  2. Inside a module the chain runs along rows (or columns) from the Start
//     corner; Serpentine reverses every second row (column), as zig-zag
//     wired strips do.
//  3. Mirror flips the physical panel horizontally or vertically.
//  4. Rotation is how far the picture is turned clockwise on the physical
//     panel: a panel mounted on its side shows the W×H picture on an H×W
//     grid of LEDs.
package mapping

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
)

// Serpentine says whether and how the chain zig-zags inside a module.
type Serpentine string

const (
	Progressive Serpentine = "none"    // every row (column) starts on the same side
	ZigZagRows  Serpentine = "rows"    // chain runs along rows, alternate rows reversed
	ZigZagCols  Serpentine = "columns" // chain runs along columns, alternate columns reversed
	// ProgressiveCols runs along columns without reversing.
	ProgressiveCols Serpentine = "columns-progressive"
)

// Corner is where the first LED of a module is.
type Corner string

const (
	TopLeft     Corner = "top-left"
	TopRight    Corner = "top-right"
	BottomLeft  Corner = "bottom-left"
	BottomRight Corner = "bottom-right"
)

// Mirror flips the physical panel.
type Mirror string

const (
	NoMirror   Mirror = "none"
	Horizontal Mirror = "horizontal" // left ↔ right
	Vertical   Mirror = "vertical"   // top ↔ bottom
)

// ColourOrders are the orders LED chips expect their three channels in.
var ColourOrders = []string{"RGB", "RBG", "GRB", "GBR", "BRG", "BGR"}

// Config describes a panel's wiring and colour handling. The zero values of
// the string fields mean the first constant of each kind; Gamma 0 means 2.2;
// Brightness has no default: 0 is a valid (dark) setting;
// WhiteBalance zero means 100 % on every channel.
type Config struct {
	Width, Height  int // logical picture, as the player draws it
	TilesX, TilesY int // modules across and down the physical panel; 0 means 1
	TileSerpentine bool
	Serpentine     Serpentine
	Start          Corner
	Rotation       int // 0, 90, 180 or 270, clockwise
	Mirror         Mirror
	ColourOrder    string  // e.g. "GRB": the first byte on the wire is green
	Gamma          float64 // 1 = linear; default 2.2
	Brightness     int     // 0–100 %; 0 is dark, so set it (see Map.SetBrightness)
	WhiteBalance   [3]int  // per channel R, G, B, 0–100 %; all zero means 100 each
}

// Map is a precomputed mapping. It is not safe for concurrent use: a driver
// holds it under its own lock.
type Map struct {
	cfg   Config
	index []int32 // LED n → byte offset of its pixel in the frame's Pix
	order [3]int  // wire slot k carries source channel order[k]
	lut   [3][256]byte
	n     int
	w, h  int
}

// New checks c and precomputes the mapping.
func New(c Config) (*Map, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	m := &Map{cfg: c, n: c.Width * c.Height, w: c.Width, h: c.Height}
	for k := 0; k < 3; k++ {
		m.order[k] = strings.IndexByte("RGB", c.ColourOrder[k])
	}
	m.index = make([]int32, m.n)
	for n := range m.index {
		x, y := c.logical(n)
		m.index[n] = int32(4 * (y*c.Width + x))
	}
	m.buildLUT()
	return m, nil
}

// fill applies defaults and validates.
func (c *Config) fill() error {
	if c.Width < 1 || c.Height < 1 || c.Width > 8192 || c.Height > 8192 {
		return fmt.Errorf("mapping: panel %dx%d: width and height must be 1–8192", c.Width, c.Height)
	}
	if c.TilesX == 0 {
		c.TilesX = 1
	}
	if c.TilesY == 0 {
		c.TilesY = 1
	}
	if c.Serpentine == "" {
		c.Serpentine = Progressive
	}
	if c.Start == "" {
		c.Start = TopLeft
	}
	if c.Mirror == "" {
		c.Mirror = NoMirror
	}
	if c.ColourOrder == "" {
		c.ColourOrder = "RGB"
	}
	if c.Gamma == 0 {
		c.Gamma = 2.2
	}
	if c.WhiteBalance == [3]int{} {
		c.WhiteBalance = [3]int{100, 100, 100}
	}
	pw, ph := c.physical()
	switch {
	case c.Rotation != 0 && c.Rotation != 90 && c.Rotation != 180 && c.Rotation != 270:
		return fmt.Errorf("mapping: rotation %d: use 0, 90, 180 or 270", c.Rotation)
	case c.TilesX < 1 || c.TilesY < 1:
		return fmt.Errorf("mapping: tiles %dx%d: use at least 1x1", c.TilesX, c.TilesY)
	case pw%c.TilesX != 0 || ph%c.TilesY != 0:
		return fmt.Errorf("mapping: a %dx%d physical panel does not divide into %dx%d equal modules", pw, ph, c.TilesX, c.TilesY)
	case !oneOf(string(c.Serpentine), "none", "rows", "columns", "columns-progressive"):
		return fmt.Errorf("mapping: serpentine %q: use none, rows, columns or columns-progressive", c.Serpentine)
	case !oneOf(string(c.Start), "top-left", "top-right", "bottom-left", "bottom-right"):
		return fmt.Errorf("mapping: start %q: use top-left, top-right, bottom-left or bottom-right", c.Start)
	case !oneOf(string(c.Mirror), "none", "horizontal", "vertical"):
		return fmt.Errorf("mapping: mirror %q: use none, horizontal or vertical", c.Mirror)
	case !oneOf(c.ColourOrder, ColourOrders...):
		return fmt.Errorf("mapping: colour order %q: use one of %s", c.ColourOrder, strings.Join(ColourOrders, ", "))
	case math.IsNaN(c.Gamma) || c.Gamma < 0.5 || c.Gamma > 4:
		return fmt.Errorf("mapping: gamma %v: use 0.5–4 (1 is linear, 2.2 typical)", c.Gamma)
	case c.Brightness < 0 || c.Brightness > 100:
		return fmt.Errorf("mapping: brightness %d: use 0–100 (%%)", c.Brightness)
	}
	for i, v := range c.WhiteBalance {
		if v < 0 || v > 100 {
			return fmt.Errorf("mapping: white balance %c %d: use 0–100 (%%)", "RGB"[i], v)
		}
	}
	return nil
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// physical returns the LED grid's size: the picture's, turned by Rotation.
func (c *Config) physical() (int, int) {
	if c.Rotation == 90 || c.Rotation == 270 {
		return c.Height, c.Width
	}
	return c.Width, c.Height
}

// logical returns the logical pixel that LED n shows.
func (c *Config) logical(n int) (x, y int) {
	pw, ph := c.physical()
	mw, mh := pw/c.TilesX, ph/c.TilesY
	tile, j := n/(mw*mh), n%(mw*mh)
	tr, tc := tile/c.TilesX, tile%c.TilesX
	if c.TileSerpentine && tr%2 == 1 {
		tc = c.TilesX - 1 - tc
	}
	var r, col int
	switch c.Serpentine {
	case ZigZagCols, ProgressiveCols:
		col, r = j/mh, j%mh
		if c.Serpentine == ZigZagCols && col%2 == 1 {
			r = mh - 1 - r
		}
	default:
		r, col = j/mw, j%mw
		if c.Serpentine == ZigZagRows && r%2 == 1 {
			col = mw - 1 - col
		}
	}
	if c.Start == TopRight || c.Start == BottomRight {
		col = mw - 1 - col
	}
	if c.Start == BottomLeft || c.Start == BottomRight {
		r = mh - 1 - r
	}
	px, py := tc*mw+col, tr*mh+r
	switch c.Mirror {
	case Horizontal:
		px = pw - 1 - px
	case Vertical:
		py = ph - 1 - py
	}
	// The picture turned clockwise by Rotation lands on the LED grid;
	// invert that turn to find the picture's pixel.
	switch c.Rotation {
	case 90: // picture (x,y) → LED (H−1−y, x)
		return py, c.Height - 1 - px
	case 180: // (x,y) → (W−1−x, H−1−y)
		return c.Width - 1 - px, c.Height - 1 - py
	case 270: // (x,y) → (y, W−1−x)
		return c.Width - 1 - py, px
	}
	return px, py
}

func (m *Map) buildLUT() {
	for k := 0; k < 3; k++ {
		ch := m.order[k]
		scale := float64(m.cfg.Brightness) / 100 * float64(m.cfg.WhiteBalance[ch]) / 100
		for v := 0; v < 256; v++ {
			m.lut[k][v] = uint8(math.Round(255 * math.Pow(float64(v)/255, m.cfg.Gamma) * scale))
		}
	}
}

// Config returns the configuration after defaults.
func (m *Map) Config() Config { return m.cfg }

// Len is the number of LEDs; Encode writes 3×Len bytes.
func (m *Map) Len() int { return m.n }

// Bounds is the logical frame's rectangle.
func (m *Map) Bounds() image.Rectangle { return image.Rect(0, 0, m.w, m.h) }

// Brightness returns the current brightness in percent.
func (m *Map) Brightness() int { return m.cfg.Brightness }

// SetBrightness changes the brightness (0–100 %) by rebuilding the tables.
func (m *Map) SetBrightness(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("mapping: brightness %d: use 0–100 (%%)", percent)
	}
	if percent != m.cfg.Brightness {
		m.cfg.Brightness = percent
		m.buildLUT()
	}
	return nil
}

// ErrFrameSize is returned by Encode for a frame that is not the panel's size.
var ErrFrameSize = errors.New("frame size differs from the panel")

// Index returns the logical pixel that LED n shows (for tests and tools).
func (m *Map) Index(n int) image.Point {
	o := int(m.index[n]) / 4
	return image.Pt(o%m.w, o/m.w)
}

// Encode writes the wire bytes of frame into dst, 3 bytes per LED in the
// configured colour order, and returns the bytes written. dst must hold
// 3×Len bytes. It allocates nothing.
func (m *Map) Encode(dst []byte, frame *image.RGBA) (int, error) {
	b := frame.Rect
	if b.Dx() != m.w || b.Dy() != m.h {
		return 0, fmt.Errorf("%w: frame is %dx%d, panel is %dx%d", ErrFrameSize, b.Dx(), b.Dy(), m.w, m.h)
	}
	if len(dst) < 3*m.n {
		return 0, fmt.Errorf("mapping: buffer of %d bytes for %d LEDs", len(dst), m.n)
	}
	pix := frame.Pix
	if frame.Stride != 4*m.w {
		// A sub-image: pixels are not contiguous. Rare; copy row by row
		// would allocate, so fall back to per-pixel offsets.
		return m.encodeStrided(dst, frame), nil
	}
	pix = pix[:4*m.n]
	o0, o1, o2 := m.order[0], m.order[1], m.order[2]
	l0, l1, l2 := &m.lut[0], &m.lut[1], &m.lut[2]
	dst = dst[:3*m.n]
	for n, off := range m.index {
		p := pix[off : off+3 : off+3]
		d := dst[3*n : 3*n+3 : 3*n+3]
		d[0] = l0[p[o0]]
		d[1] = l1[p[o1]]
		d[2] = l2[p[o2]]
	}
	return 3 * m.n, nil
}

func (m *Map) encodeStrided(dst []byte, frame *image.RGBA) int {
	for n, off := range m.index {
		i := int(off) / 4
		x, y := i%m.w, i/m.w
		p := frame.Pix[y*frame.Stride+4*x:]
		for k := 0; k < 3; k++ {
			dst[3*n+k] = m.lut[k][p[m.order[k]]]
		}
	}
	return 3 * m.n
}
