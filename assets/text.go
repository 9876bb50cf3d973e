package assets

import (
	"embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// The bundled fonts: DejaVu Sans regular and bold (see fonts/README.md and
// fonts/LICENSE). They cover Vietnamese; the Go fonts do not.
//
//go:embed fonts/DejaVuSans.ttf fonts/DejaVuSans-Bold.ttf
var fontFiles embed.FS

var (
	fontsOnce             sync.Once
	fontRegular, fontBold *opentype.Font
	fontErr               error
)

func loadFonts() (regular, bold *opentype.Font, err error) {
	fontsOnce.Do(func() {
		parse := func(name string) *opentype.Font {
			b, err := fontFiles.ReadFile(name)
			if err == nil {
				var f *opentype.Font
				if f, err = opentype.Parse(b); err == nil {
					return f
				}
			}
			fontErr = fmt.Errorf("assets: font %s: %w", name, err)
			return nil
		}
		fontRegular = parse("fonts/DejaVuSans.ttf")
		fontBold = parse("fonts/DejaVuSans-Bold.ttf")
	})
	return fontRegular, fontBold, fontErr
}

// Align is the horizontal alignment of a notice's lines.
type Align string

const (
	AlignLeft   Align = "left"
	AlignCenter Align = "center"
	AlignRight  Align = "right"
)

// Notice is a text notice as the dashboard sends it (JSON).
type Notice struct {
	Title      string  `json:"title"`       // optional, drawn bold above the body
	Body       string  `json:"body"`        // newlines start paragraphs
	Color      string  `json:"color"`       // body text, "#rrggbb"; default white
	TitleColor string  `json:"title_color"` // default amber #ffc800
	Background string  `json:"background"`  // default black
	Align      Align   `json:"align"`       // default center
	Ticker     *Ticker `json:"ticker,omitempty"`
}

// Ticker asks for a scrolling one-line notice instead of a still one.
type Ticker struct {
	PixelsPerSecond int `json:"pixels_per_second"` // default 2 × panel height
}

// TickerInfo tells the player how to show a ticker rendition.
//
// The rendition is a strip of Width × panel height pixels: one blank panel
// width, then the text. The strip is circular: at time t (seconds since
// the item started) the panel shows columns [o, o+W) with
// o = floor(t × PixelsPerSecond) mod Width, wrapping past the end to column
// 0. So the text enters from the right, crosses and leaves, and the loop
// takes LoopSeconds.
type TickerInfo struct {
	PixelsPerSecond int     `json:"pixels_per_second"`
	LoopSeconds     float64 `json:"loop_seconds"`
}

// Text limits.
const (
	maxNoticeRunes = 2000
	// MinTextPx is the smallest font size (pixels per em) a still notice is
	// drawn at; below it DejaVu's Vietnamese marks stop being readable on
	// an LED panel. A text that does not fit at this size is refused with
	// CodeTextTooLong (use a ticker).
	MinTextPx = 8
	// SmallTextPx: a text drawn below this size is legible only up close,
	// at the edge of what MinTextPx allows; the dashboard warns its writer.
	SmallTextPx = 11
)

type noticeStyle struct {
	fg, title, bg color.NRGBA
	align         Align
}

func (n *Notice) normalize() (title, body string, st noticeStyle, err error) {
	bad := func(format string, args ...any) error { return errorf(CodeBadNotice, nil, format, args...) }
	for _, s := range []string{n.Title, n.Body} {
		if !utf8.ValidString(s) {
			return "", "", st, bad("the text is not valid UTF-8")
		}
	}
	// NFC first: "ệ" typed as e + U+0323 + U+0302 becomes the one glyph
	// DejaVu draws with both marks placed.
	title, body = clean(norm.NFC.String(n.Title)), clean(norm.NFC.String(n.Body))
	if title == "" && body == "" {
		return "", "", st, bad("the notice has no text")
	}
	if c := utf8.RuneCountInString(title) + utf8.RuneCountInString(body); c > maxNoticeRunes {
		return "", "", st, bad("the notice has %d characters; the limit is %d", c, maxNoticeRunes)
	}
	pick := func(s, def, what string) (color.NRGBA, error) {
		if s == "" {
			s = def
		}
		c, err := ParseColor(s)
		if err != nil {
			return c, bad("%s colour %q is not #rrggbb", what, s)
		}
		return c, nil
	}
	if st.fg, err = pick(n.Color, "#ffffff", "text"); err != nil {
		return
	}
	if st.title, err = pick(n.TitleColor, "#ffc800", "title"); err != nil {
		return
	}
	if st.bg, err = pick(n.Background, "#000000", "background"); err != nil {
		return
	}
	switch n.Align {
	case "":
		st.align = AlignCenter
	case AlignLeft, AlignCenter, AlignRight:
		st.align = n.Align
	default:
		return "", "", st, bad("alignment %q is not left, center or right", n.Align)
	}
	if n.Ticker != nil && (n.Ticker.PixelsPerSecond < 0 || n.Ticker.PixelsPerSecond > 2000) {
		return "", "", st, bad("ticker speed %d px/s is outside 0…2000", n.Ticker.PixelsPerSecond)
	}
	return title, body, st, nil
}

// clean drops control and formatting characters except newlines, turns
// tabs into spaces and trims each line.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteRune(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		default:
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// placed is one line of text at its position on the panel.
type placed struct {
	text  string
	face  font.Face
	color color.NRGBA
	dot   fixed.Point26_6
	px    int // the face's size, pixels per em
}

// inkBounds are a string's drawn extents in whole pixels around its dot:
// min is floored, max ceiled, so anti-aliased edges are inside. They come
// from the glyphs actually drawn, so "Ệ" (a circumflex and a dot stacked
// on E) measures taller than "E".
func inkBounds(f font.Face, s string) (minX, minY, maxX, maxY int) {
	b, _ := font.BoundString(f, s)
	return b.Min.X.Floor(), b.Min.Y.Floor(), b.Max.X.Ceil(), b.Max.Y.Ceil()
}

func newFace(f *opentype.Font, px int) (font.Face, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("assets: font face %d px: %w", px, err)
	}
	return face, nil
}

func panelPad(g Geometry) int { return max(1, min(g.W, g.H)/32) }

// RenderText draws a notice for a panel (g.W × g.H; g.Fit and
// g.Background are not used: the notice has its own background). A still
// notice gets the largest size at which its word-wrapped lines fit with
// every glyph, marks included, inside the panel; a ticker gets one line
// as tall as the panel allows (see TickerInfo).
func RenderText(n Notice, g Geometry) (*Rendition, error) {
	if g.W < 1 || g.H < 1 || g.W > MaxPanelSide || g.H > MaxPanelSide {
		return nil, errorf(CodeBadGeometry, nil, "panel size %d×%d is outside 1×1 … %d×%d", g.W, g.H, MaxPanelSide, MaxPanelSide)
	}
	title, body, st, err := n.normalize()
	if err != nil {
		return nil, err
	}
	var img *image.NRGBA
	var lines []placed
	var tick *TickerInfo
	if n.Ticker != nil {
		lines, img, tick, err = layoutTicker(title, body, st, g, n.Ticker.PixelsPerSecond)
	} else {
		lines, err = layoutStill(title, body, st, g)
		if err == nil {
			img = image.NewNRGBA(image.Rect(0, 0, g.W, g.H))
		}
	}
	if err != nil {
		return nil, err
	}
	drawLines(img, lines, st.bg, image.Point{})
	data, sum, err := EncodePNG(img)
	if err != nil {
		return nil, err
	}
	textPx := 0
	for i, l := range lines {
		if i == 0 || l.px < textPx {
			textPx = l.px
		}
	}
	return &Rendition{Geometry: g, SHA256: sum, MIME: "image/png", Data: data,
		Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Ticker: tick, TextPx: textPx}, nil
}

func drawLines(img *image.NRGBA, lines []placed, bg color.NRGBA, off image.Point) {
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	for _, l := range lines {
		d := font.Drawer{Dst: img, Src: image.NewUniform(l.color), Face: l.face,
			Dot: l.dot.Add(fixed.P(off.X, off.Y))}
		d.DrawString(l.text)
	}
}

// block is a run of wrapped lines in one face.
type block struct {
	lines    []string
	face     font.Face
	color    color.NRGBA
	asc, dsc int // over all its lines: pixels above and below the baseline
}

func layoutStill(title, body string, st noticeStyle, g Geometry) ([]placed, error) {
	regular, bold, err := loadFonts()
	if err != nil {
		return nil, err
	}
	pad := panelPad(g)
	aw, ah := g.W-2*pad, g.H-2*pad
	for px := min(ah, 200); px >= MinTextPx; px-- {
		var blocks []block
		fits := true
		for _, part := range []struct {
			text string
			font *opentype.Font
			col  color.NRGBA
		}{{title, bold, st.title}, {body, regular, st.fg}} {
			if part.text == "" {
				continue
			}
			face, err := newFace(part.font, px)
			if err != nil {
				return nil, err
			}
			b, ok := wrap(part.text, face, aw)
			if !ok {
				fits = false
				break
			}
			b.face, b.color = face, part.col
			blocks = append(blocks, b)
		}
		if !fits {
			continue
		}
		gap := max(1, px/8) // between lines, and twice that between title and body
		total := 0
		for i, b := range blocks {
			total += len(b.lines)*(b.asc+b.dsc) + (len(b.lines)-1)*gap
			if i > 0 {
				total += 2 * gap
			}
		}
		if total > ah {
			continue
		}
		// Centre the whole text vertically; lines at a fixed pitch per block.
		var out []placed
		y := pad + (ah-total)/2
		for i, b := range blocks {
			if i > 0 {
				y += 2 * gap
			}
			for _, l := range b.lines {
				minX, _, maxX, _ := inkBounds(b.face, l)
				w := maxX - minX
				var x int
				switch st.align {
				case AlignLeft:
					x = pad
				case AlignRight:
					x = g.W - pad - w
				default:
					x = pad + (aw-w)/2
				}
				out = append(out, placed{text: l, face: b.face, color: b.color, px: px,
					dot: fixed.P(x-minX, y+b.asc)})
				y += b.asc + b.dsc + gap
			}
			y -= gap
		}
		return out, nil
	}
	return nil, errorf(CodeTextTooLong, nil,
		"the text does not fit on a %d×%d panel even at %d px; shorten it or show it as a ticker", g.W, g.H, MinTextPx)
}

// wrap breaks text into lines of at most width ink pixels, greedily at
// spaces; it fails if one word alone is wider. asc and dsc are the largest
// extents above and below the baseline of the lines' actual glyphs.
func wrap(text string, face font.Face, width int) (block, bool) {
	var b block
	fitsW := func(s string) bool {
		minX, _, maxX, _ := inkBounds(face, s)
		return maxX-minX <= width
	}
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			continue
		}
		line := words[0]
		if !fitsW(line) {
			return b, false
		}
		for _, w := range words[1:] {
			if !fitsW(w) {
				return b, false
			}
			if fitsW(line + " " + w) {
				line += " " + w
				continue
			}
			b.lines = append(b.lines, line)
			line = w
		}
		b.lines = append(b.lines, line)
	}
	for _, l := range b.lines {
		_, minY, _, maxY := inkBounds(face, l)
		b.asc = max(b.asc, -minY)
		b.dsc = max(b.dsc, maxY)
	}
	return b, len(b.lines) > 0
}

// maxTickerWidth bounds a ticker strip (a 2000-character notice at 64 px).
const maxTickerWidth = 200_000

// MaxTickerPixels bounds a ticker strip's area (width × panel height):
// 16 MP is 64 MiB of RGBA. The strip is as tall as the panel, so on a tall
// panel a long text would otherwise need hundreds of MiB (800 characters
// at 1024 px high are ~180,000 px wide, ~700 MiB). It is checked from the
// measured width, before the strip is allocated.
const MaxTickerPixels = 16 << 20

func layoutTicker(title, body string, st noticeStyle, g Geometry, pps int) ([]placed, *image.NRGBA, *TickerInfo, error) {
	regular, bold, err := loadFonts()
	if err != nil {
		return nil, nil, nil, err
	}
	title = strings.ReplaceAll(title, "\n", " ")
	body = strings.ReplaceAll(body, "\n", " ")
	pad := panelPad(g)
	ah := g.H - 2*pad
	for px := min(ah*2, 400); px >= 1; px-- {
		type seg struct {
			text string
			face font.Face
			col  color.NRGBA
		}
		var segs []seg
		if title != "" {
			f, err := newFace(bold, px)
			if err != nil {
				return nil, nil, nil, err
			}
			segs = append(segs, seg{title, f, st.title})
		}
		if body != "" {
			f, err := newFace(regular, px)
			if err != nil {
				return nil, nil, nil, err
			}
			segs = append(segs, seg{body, f, st.fg})
		}
		top, bottom := 0, 0
		for _, s := range segs {
			_, minY, _, maxY := inkBounds(s.face, s.text)
			top, bottom = min(top, minY), max(bottom, maxY)
		}
		if bottom-top > ah && px > 1 {
			continue
		}
		space := px // between title and body
		var out []placed
		x := g.W // one blank panel width first
		for i, s := range segs {
			if i > 0 {
				x += space
			}
			minX, _, maxX, _ := inkBounds(s.face, s.text)
			out = append(out, placed{text: s.text, face: s.face, color: s.col, px: px,
				dot: fixed.P(x-minX, pad+(ah-(bottom-top))/2-top)})
			x += maxX - minX
		}
		x += pad
		if x > maxTickerWidth {
			return nil, nil, nil, errorf(CodeTextTooLong, nil, "the ticker would be %d pixels long; the limit is %d", x, maxTickerWidth)
		}
		if int64(x)*int64(g.H) > MaxTickerPixels {
			return nil, nil, nil, errorf(CodeTickerTooLarge, nil,
				"the ticker for a %d-pixel-high panel would be %d×%d pixels; the limit is %d pixels; shorten the text", g.H, x, g.H, MaxTickerPixels)
		}
		if pps == 0 {
			pps = 2 * g.H
		}
		img := image.NewNRGBA(image.Rect(0, 0, x, g.H))
		return out, img, &TickerInfo{PixelsPerSecond: pps, LoopSeconds: float64(x) / float64(pps)}, nil
	}
	return nil, nil, nil, errorf(CodeTextTooLong, nil, "the text cannot be drawn on a %d-pixel-high panel", g.H)
}
