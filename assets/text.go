package assets

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"github.com/pano-signage/pano/assets/frames"
	"github.com/pano-signage/pano/assets/ledfont"
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
	// Overflow says what a still notice does when it does not fit the
	// panel in the smallest legible lines: "page" (several screens),
	// "ticker" (scroll), or "" (pages if at most MaxAutoPages, else
	// scrolls).
	Overflow Overflow `json:"overflow,omitempty"`
}

// Overflow is what a notice too long for its panel does.
type Overflow string

const (
	OverflowAuto   Overflow = ""
	OverflowPage   Overflow = "page"
	OverflowTicker Overflow = "ticker"
)

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
	// VectorMinPx is the smallest size (pixels per em) the vector font is
	// drawn at. Measured (TestVectorLettersStayDistinct, make bench
	// vi_letters_min_px): below 19 px, anti-aliased DejaVu draws some
	// Vietnamese letters alike on an LED panel (at 18 px é and ẻ; at 12 px
	// đ and d), so smaller text is set in the bitmap faces of ledfont.
	VectorMinPx = 19
	// SmallTextPx: text in lines lower than this (the smallest bitmap
	// face) reads only from a few metres; the dashboard says so.
	SmallTextPx = 15
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
	switch n.Overflow {
	case OverflowAuto, OverflowPage, OverflowTicker:
	default:
		return "", "", st, bad("overflow %q is not page or ticker", n.Overflow)
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
	px    int // the line's height in pixels (see Rendition.TextPx)
	em    int // the vector font's size, pixels per em; 0 for a bitmap face
}

// inkBounds are a string's drawn extents in whole pixels around its dot:
// min is floored, max ceiled, so anti-aliased edges are inside. They come
// from the glyphs actually drawn, so "Ệ" (a circumflex and a dot stacked
// on E) measures taller than "E". A bitmap face measures its cells, whose
// rows hold every mark the font draws.
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

// A size is one size text can be set at: the vector font at px pixels per
// em (anti-aliased; only from VectorMinPx up), or a bitmap face (lamps on
// or off) below that.
type size struct {
	px  int           // vector: pixels per em
	bmp *ledfont.Face // bitmap: the face
}

// sizes lists the sizes whose lines are at most maxLine pixels high,
// largest first: the vector font from maxLine down to VectorMinPx, then
// the bitmap faces (ledfont) from the largest down.
func sizes(maxLine int) ([]size, error) {
	faces, err := ledfont.Faces()
	if err != nil {
		return nil, err
	}
	var out []size
	for px := min(maxLine, 200); px >= VectorMinPx; px-- {
		out = append(out, size{px: px})
	}
	for i := len(faces) - 1; i >= 0; i-- {
		if faces[i].Height() <= maxLine {
			out = append(out, size{bmp: faces[i]})
		}
	}
	return out, nil
}

// faces are the regular and bold faces of a size. A bitmap face has no
// bold: a title is told apart by its colour.
func (z size) faces() (regular, bold font.Face, err error) {
	if z.bmp != nil {
		f := z.bmp.FontFace()
		return f, f, nil
	}
	r, b, err := loadFonts()
	if err != nil {
		return nil, nil, err
	}
	if regular, err = newFace(r, z.px); err != nil {
		return nil, nil, err
	}
	bold, err = newFace(b, z.px)
	return regular, bold, err
}

// gap is the space between lines: never less than one unlit row, so
// stacked marks (Ệ, Ở, Ữ) never touch the line above.
func (z size) gap() int {
	if z.bmp != nil {
		return 1
	}
	return max(1, z.px/8)
}

// RenderText draws a notice for a panel (g.W × g.H; g.Fit and
// g.Background are not used: the notice has its own background).
//
// A still notice gets the largest size at which its word-wrapped lines fit
// the panel with every glyph, marks included. Below VectorMinPx the text
// is set in a bitmap face, and never below the smallest one (13 px lines,
// ledfont.MinHeight), under which Vietnamese letters stop being distinct.
// Text that does not fit at that size overflows as the notice says
// (Overflow): it pages (a frames rendition at 1 fps, each page shown long
// enough to read, see PageSeconds) or becomes a ticker (one line as tall
// as the panel allows, see TickerInfo).
func RenderText(n Notice, g Geometry) (*Rendition, error) {
	if g.W < 1 || g.H < 1 || g.W > MaxPanelSide || g.H > MaxPanelSide {
		return nil, errorf(CodeBadGeometry, nil, "panel size %d×%d is outside 1×1 … %d×%d", g.W, g.H, MaxPanelSide, MaxPanelSide)
	}
	title, body, st, err := n.normalize()
	if err != nil {
		return nil, err
	}
	if n.Ticker != nil {
		return renderTicker(title, body, st, g, n.Ticker.PixelsPerSecond)
	}
	lines, err := layoutStill(title, body, st, g)
	if err == nil {
		return renderStill(lines, st, g)
	}
	if ErrorCode(err) != CodeTextTooLong {
		return nil, err
	}
	if n.Overflow != OverflowTicker {
		pages, perr := layoutPages(title, body, st, g)
		switch {
		case perr == nil && (n.Overflow == OverflowPage || len(pages) <= MaxAutoPages):
			return renderPages(pages, st, g)
		case perr != nil && ErrorCode(perr) != CodeTextTooLong:
			return nil, perr
		}
	}
	return renderTicker(title, body, st, g, 0)
}

func renderStill(lines []placed, st noticeStyle, g Geometry) (*Rendition, error) {
	img := image.NewNRGBA(image.Rect(0, 0, g.W, g.H))
	drawLines(img, lines, st.bg, image.Point{})
	data, sum, err := EncodePNG(img)
	if err != nil {
		return nil, err
	}
	return &Rendition{Geometry: g, SHA256: sum, MIME: "image/png", Data: data,
		Width: g.W, Height: g.H, TextPx: smallestLine(lines)}, nil
}

func renderTicker(title, body string, st noticeStyle, g Geometry, pps int) (*Rendition, error) {
	lines, img, tick, err := layoutTicker(title, body, st, g, pps)
	if err != nil {
		return nil, err
	}
	drawLines(img, lines, st.bg, image.Point{})
	data, sum, err := EncodePNG(img)
	if err != nil {
		return nil, err
	}
	return &Rendition{Geometry: g, SHA256: sum, MIME: "image/png", Data: data,
		Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Ticker: tick, TextPx: smallestLine(lines)}, nil
}

func smallestLine(lines []placed) int {
	px := 0
	for i, l := range lines {
		if i == 0 || l.px < px {
			px = l.px
		}
	}
	return px
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
	em       int // vector size (size.px), 0 for a bitmap face
}

// setBlocks wraps the title (bold) and the body at size z into blocks no
// wider than width; ok is false if a word alone is wider.
func setBlocks(title, body string, st noticeStyle, z size, width int) (blocks []block, ok bool, err error) {
	regular, bold, err := z.faces()
	if err != nil {
		return nil, false, err
	}
	for _, part := range []struct {
		text string
		face font.Face
		col  color.NRGBA
	}{{title, bold, st.title}, {body, regular, st.fg}} {
		if part.text == "" {
			continue
		}
		b, ok := wrap(part.text, part.face, width)
		if !ok {
			return nil, false, nil
		}
		if z.bmp != nil { // every line of a bitmap face is as tall as its cells
			b.asc, b.dsc = z.bmp.Ascent, z.bmp.Descent
		}
		b.face, b.color, b.em = part.face, part.col, z.px
		blocks = append(blocks, b)
	}
	return blocks, true, nil
}

// line is one wrapped line with what placing it needs.
type line struct {
	text     string
	face     font.Face
	color    color.NRGBA
	asc, dsc int
	above    int // space above it: a line gap, twice that after the title, 0 first
	em       int
}

func flatten(blocks []block, gap int) []line {
	var out []line
	for i, b := range blocks {
		for j, t := range b.lines {
			above := gap
			if j == 0 {
				above = 2 * gap
			}
			if i == 0 && j == 0 {
				above = 0
			}
			out = append(out, line{t, b.face, b.color, b.asc, b.dsc, above, b.em})
		}
	}
	return out
}

// place centres lines vertically on the panel and aligns each.
func place(lines []line, st noticeStyle, g Geometry) []placed {
	pad := panelPad(g)
	aw, ah := g.W-2*pad, g.H-2*pad
	total := 0
	for i, l := range lines {
		if i > 0 {
			total += l.above
		}
		total += l.asc + l.dsc
	}
	var out []placed
	y := pad + (ah-total)/2
	for i, l := range lines {
		if i > 0 {
			y += l.above
		}
		minX, _, maxX, _ := inkBounds(l.face, l.text)
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
		out = append(out, placed{text: l.text, face: l.face, color: l.color, px: l.asc + l.dsc, em: l.em,
			dot: fixed.P(x-minX, y+l.asc)})
		y += l.asc + l.dsc
	}
	return out
}

func height(lines []line) int {
	h := 0
	for i, l := range lines {
		if i > 0 {
			h += l.above
		}
		h += l.asc + l.dsc
	}
	return h
}

func layoutStill(title, body string, st noticeStyle, g Geometry) ([]placed, error) {
	pad := panelPad(g)
	aw, ah := g.W-2*pad, g.H-2*pad
	zs, err := sizes(ah)
	if err != nil {
		return nil, err
	}
	for _, z := range zs {
		blocks, ok, err := setBlocks(title, body, st, z, aw)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if lines := flatten(blocks, z.gap()); height(lines) <= ah {
			return place(lines, st, g), nil
		}
	}
	return nil, errorf(CodeTextTooLong, nil,
		"the text does not fit on a %d×%d panel even in %d-pixel lines, the smallest in which every Vietnamese letter stays distinct; shorten it, or let it page or scroll",
		g.W, g.H, ledfont.MinHeight())
}

// page is one screen of a paged notice.
type page struct {
	lines   []placed
	seconds int
}

// layoutPages sets the text in the smallest face that keeps Vietnamese
// legible and cuts its lines into pages that each fit the panel. Every
// page but the first starts with a body line; each is shown PageSeconds
// of its words.
func layoutPages(title, body string, st noticeStyle, g Geometry) ([]page, error) {
	pad := panelPad(g)
	aw, ah := g.W-2*pad, g.H-2*pad
	tooLong := func() error {
		return errorf(CodeTextTooLong, nil, "a word is wider than a %d×%d panel even in %d-pixel lines; it can only scroll", g.W, g.H, ledfont.MinHeight())
	}
	smallest := ledfont.Fit(ledfont.MinHeight())
	if smallest == nil || smallest.Height() > ah {
		return nil, errorf(CodePanelTooLow, nil, "a %d-pixel-high panel is lower than the %d-pixel lines Vietnamese needs", g.H, ledfont.MinHeight())
	}
	z := size{bmp: smallest}
	blocks, ok, err := setBlocks(title, body, st, z, aw)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, tooLong()
	}
	all := flatten(blocks, z.gap())
	// As many pages as filling each would take, then the lines spread
	// evenly over them (4 + 2 lines become 3 + 3).
	cut := func(limit int) (counts []int) {
		for rest := all; len(rest) > 0; {
			n := 1
			for n < len(rest) && n < limit && height(rest[:n+1]) <= ah {
				n++
			}
			counts, rest = append(counts, n), rest[n:]
		}
		return counts
	}
	counts := cut(len(all))
	if even := cut((len(all) + len(counts) - 1) / len(counts)); len(even) == len(counts) {
		counts = even
	}
	var pages []page
	for _, n := range counts {
		lines := append([]line(nil), all[:n]...)
		lines[0].above = 0
		words := 0
		for _, l := range lines {
			words += len(strings.Fields(l.text))
		}
		pages = append(pages, page{lines: place(lines, st, g), seconds: PageSeconds(words)})
		all = all[n:]
	}
	return pages, nil
}

// Paging.
const (
	// ReadingWordsPerMinute is the pace a page is timed for: 150
	// Vietnamese words (syllables) a minute, slower than reading a book,
	// for a reader on the street who looks up at the panel.
	ReadingWordsPerMinute = 150
	// PageFindSeconds is added to every page: the time to see the page
	// changed and find its first line.
	PageFindSeconds = 2
	// MinPageSeconds is the shortest a page is shown.
	MinPageSeconds = 4
	// MaxAutoPages: a notice that overflows and did not choose (Overflow
	// "") pages when it takes at most this many pages, else scrolls.
	MaxAutoPages = 4
)

// PageSeconds is how long a page of words is shown.
func PageSeconds(words int) int {
	s := PageFindSeconds + (words*60+ReadingWordsPerMinute-1)/ReadingWordsPerMinute
	return max(s, MinPageSeconds)
}

// renderPages makes a paged notice a frames rendition (assets/frames) at
// 1 frame per second, each page repeated for its seconds, so any agent
// plays it as a video that loops.
func renderPages(pages []page, st noticeStyle, g Geometry) (*Rendition, error) {
	var buf bytes.Buffer
	h := sha256.New()
	zw := zip.NewWriter(io.MultiWriter(&buf, h))
	n, px := 0, 0
	img := image.NewNRGBA(image.Rect(0, 0, g.W, g.H))
	for i, p := range pages {
		drawLines(img, p.lines, st.bg, image.Point{})
		data, _, err := EncodePNG(img)
		if err != nil {
			return nil, err
		}
		for range p.seconds {
			if err := zipStore(zw, frames.FrameName(n), data); err != nil {
				return nil, err
			}
			n++
		}
		if lp := smallestLine(p.lines); i == 0 || lp < px {
			px = lp
		}
	}
	man, _ := json.Marshal(frames.Manifest{Format: frames.Format, Width: g.W, Height: g.H, FPS: 1, Frames: n})
	if err := zipStore(zw, frames.ManifestName, man); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("assets: paged notice: %w", err)
	}
	secs := make([]int, len(pages))
	for i, p := range pages {
		secs[i] = p.seconds
	}
	return &Rendition{Geometry: g, SHA256: hex.EncodeToString(h.Sum(nil)), MIME: frames.MIME, Data: buf.Bytes(),
		Width: g.W, Height: g.H, Frames: n, FPS: 1, TextPx: px, PageSeconds: secs}, nil
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
	title = strings.ReplaceAll(title, "\n", " ")
	body = strings.ReplaceAll(body, "\n", " ")
	pad := panelPad(g)
	ah := g.H - 2*pad
	zs, err := sizes(min(ah*2, 400))
	if err != nil {
		return nil, nil, nil, err
	}
	for _, z := range zs {
		regular, bold, err := z.faces()
		if err != nil {
			return nil, nil, nil, err
		}
		type seg struct {
			text string
			face font.Face
			col  color.NRGBA
		}
		var segs []seg
		if title != "" {
			segs = append(segs, seg{title, bold, st.title})
		}
		if body != "" {
			segs = append(segs, seg{body, regular, st.fg})
		}
		top, bottom := 0, 0
		for _, s := range segs {
			_, minY, _, maxY := inkBounds(s.face, s.text)
			top, bottom = min(top, minY), max(bottom, maxY)
		}
		if bottom-top > ah {
			continue
		}
		space := bottom - top // between title and body: about an em
		var out []placed
		x := g.W // one blank panel width first
		for i, s := range segs {
			if i > 0 {
				x += space
			}
			minX, _, maxX, _ := inkBounds(s.face, s.text)
			out = append(out, placed{text: s.text, face: s.face, color: s.col, px: bottom - top, em: z.px,
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
	return nil, nil, nil, errorf(CodePanelTooLow, nil,
		"a %d-pixel-high panel is lower than the %d-pixel lines in which every Vietnamese letter stays distinct; text is not shown on it", g.H, ledfont.MinHeight())
}

// Pages returns the PNG of each page of a paged notice (RenderText with
// PageSeconds), in order.
func Pages(r *Rendition) ([][]byte, error) {
	z, err := zip.NewReader(bytes.NewReader(r.Data), int64(len(r.Data)))
	if err != nil {
		return nil, fmt.Errorf("assets: paged notice: %w", err)
	}
	var out [][]byte
	frame := 0
	for _, secs := range r.PageSeconds {
		f, err := z.Open(frames.FrameName(frame))
		if err != nil {
			return nil, fmt.Errorf("assets: paged notice: %w", err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("assets: paged notice: %w", err)
		}
		out = append(out, b)
		frame += secs
	}
	return out, nil
}

// VectorLettersAlike lists the pairs of Vietnamese letters (and the plain
// letters marks are put on) that the regular vector font at px per em
// draws alike on an LED panel, where a lamp is lit if the glyph covers at
// least half of it. VectorMinPx is the smallest size from which there are
// none (TestVectorLettersStayDistinct, make bench).
func VectorLettersAlike(px int) ([]string, error) {
	regular, _, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return vectorAlike(regular, px)
}

func vectorAlike(f *opentype.Font, px int) ([]string, error) {
	face, err := newFace(f, px)
	if err != nil {
		return nil, err
	}
	seen := map[string]rune{}
	var same []string
	img := image.NewAlpha(image.Rect(-px, -2*px, 3*px, px))
	for _, r := range ledfont.Confusable {
		clear(img.Pix)
		d := font.Drawer{Dst: img, Src: image.Opaque, Face: face, Dot: fixed.P(0, 0)}
		d.DrawString(string(r))
		lamps := make([]byte, len(img.Pix))
		for i, a := range img.Pix {
			if a >= 128 {
				lamps[i] = 1
			}
		}
		k := string(lamps)
		if o, ok := seen[k]; ok {
			same = append(same, string([]rune{o, r}))
		}
		seen[k] = r
	}
	return same, nil
}
