package assets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"

	"github.com/pano-signage/pano/assets/frames"
	"github.com/pano-signage/pano/assets/ledfont"
)

const resolution57 = "Nghị quyết 57-NQ/TW: đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia"

var goldenNotices = []struct {
	name   string
	notice Notice
	w, h   int
}{
	{"nq57-128x64", Notice{Body: resolution57}, 128, 64}, // two pages
	{"nq57-192x96", Notice{Title: "Nghị quyết 57-NQ/TW", Body: "Đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia"}, 192, 96},
	{"nq57-ticker-64x32", Notice{Body: resolution57, Ticker: &Ticker{}}, 64, 32},
	{"nq57-ticker-title-128x64", Notice{Title: "Nghị quyết 57-NQ/TW:", Body: "đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia", Ticker: &Ticker{PixelsPerSecond: 96}}, 128, 64},
	{"chuyen-doi-so-64x32", Notice{Body: "Chuyển đổi số", Color: "#ffd200", Background: "#00205b"}, 64, 32},
	{"stacked-marks-64x32", Notice{Body: "Ệ Ở Ữ ệ ở ữ"}, 64, 32},
	{"left-aligned-128x64", Notice{Title: "Thông báo", Body: "Khối phố 3: họp tổ công nghệ số cộng đồng lúc 19 giờ", Align: AlignLeft}, 128, 64},
	{"right-aligned-192x96", Notice{Body: "Thanh toán số\nMua sắm trực tuyến", Align: AlignRight, Color: "#00ff80"}, 192, 96},
}

func TestTextGolden(t *testing.T) {
	for _, tt := range goldenNotices {
		t.Run(tt.name, func(t *testing.T) {
			r, err := RenderText(tt.notice, Geometry{W: tt.w, H: tt.h})
			if err != nil {
				t.Fatal(err)
			}
			if r.Frames > 0 { // paged: each page is a golden of its own
				for i, p := range readPages(t, r) {
					golden(t, fmt.Sprintf("text/%s-page%d.png", tt.name, i+1), p)
				}
				return
			}
			wantW := tt.w
			if tt.notice.Ticker != nil {
				wantW = r.Width
				if r.Ticker == nil || r.Width <= 2*tt.w || r.Ticker.PixelsPerSecond <= 0 {
					t.Errorf("ticker: %d px wide, %+v", r.Width, r.Ticker)
				}
			}
			checkPanelPNG(t, r.Data, wantW, tt.h)
			again, _ := RenderText(tt.notice, Geometry{W: tt.w, H: tt.h})
			if again == nil || !bytes.Equal(again.Data, r.Data) {
				t.Error("two renders differ")
			}
			golden(t, "text/"+tt.name+".png", r.Data)
		})
	}
}

// Nothing drawn may fall outside the panel: every notice is laid out for
// the panel, then drawn on a larger canvas shifted by a margin, and every
// pixel outside the panel's place must still be background. This catches
// a clipped mark above "Ệ" or a descender below "ng".
func TestTextNeverClipped(t *testing.T) {
	texts := []Notice{
		{Body: resolution57},
		{Body: "ỆỞỮ ệởữ Ấ Ầ Ẩ Ẫ Ậ ỳ ỷ ỹ ỵ g j p q y"},
		{Title: "Ỗ Ộ Ỡ Ợ", Body: "Ừ Ử Ữ Ự ǵ"},
		{Body: "Chuyển đổi số", Align: AlignLeft},
		{Body: "Chuyển đổi số", Align: AlignRight},
		{Title: "Ỹ", Body: "Ậ"},
	}
	sizes := [][2]int{{64, 32}, {128, 64}, {192, 96}, {96, 16}, {32, 64}, {40, 40}}
	const m = 24
	for _, n := range texts {
		for _, sz := range sizes {
			for _, ticker := range []bool{false, true} {
				n := n
				if ticker {
					n.Ticker = &Ticker{}
				}
				g := Geometry{W: sz[0], H: sz[1]}
				title, body, st, err := n.normalize()
				if err != nil {
					t.Fatal(err)
				}
				var lines []placed
				w := g.W
				if ticker {
					var strip *image.NRGBA
					lines, strip, _, err = layoutTicker(title, body, st, g, 0)
					if err == nil {
						w = strip.Bounds().Dx()
					}
				} else {
					lines, err = layoutStill(title, body, st, g)
				}
				if ErrorCode(err) == CodeTextTooLong && !ticker {
					continue // refused, not clipped
				}
				if err != nil {
					t.Fatalf("%q on %v: %v", n.Body, sz, err)
				}
				canvas := image.NewNRGBA(image.Rect(0, 0, w+2*m, g.H+2*m))
				drawLines(canvas, lines, st.bg, image.Pt(m, m))
				inside := image.Rect(m, m, m+w, m+g.H)
				ink := 0
				for y := 0; y < canvas.Bounds().Dy(); y++ {
					for x := 0; x < canvas.Bounds().Dx(); x++ {
						if canvas.NRGBAAt(x, y) == st.bg {
							continue
						}
						if !image.Pt(x, y).In(inside) {
							t.Fatalf("%q (ticker %v) on %d×%d: ink at (%d,%d), outside the panel", n.Title+"|"+n.Body, ticker, g.W, g.H, x-m, y-m)
						}
						ink++
					}
				}
				if ink == 0 {
					t.Errorf("%q on %v: nothing drawn", n.Body, sz)
				}
			}
		}
	}
}

// A notice that does not fit its panel in the smallest legible lines is
// never squeezed: it pages or scrolls, as the notice says, and by default
// pages when that takes at most MaxAutoPages pages.
func TestTextThatDoesNotFitPagesOrScrolls(t *testing.T) {
	for _, tt := range []struct {
		overflow Overflow
		w, h     int
		want     string // "still", "pages" or "ticker"
	}{
		{OverflowAuto, 192, 96, "still"},
		{OverflowAuto, 128, 64, "pages"},
		{OverflowTicker, 128, 64, "ticker"},
		{OverflowAuto, 64, 32, "ticker"}, // more than MaxAutoPages pages
		{OverflowPage, 64, 32, "pages"},
	} {
		name := fmt.Sprintf("%s-%dx%d", tt.overflow, tt.w, tt.h)
		r, err := RenderText(Notice{Body: resolution57, Overflow: tt.overflow}, Geometry{W: tt.w, H: tt.h})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := "still"
		switch {
		case r.Ticker != nil:
			got = "ticker"
		case r.Frames > 0:
			got = "pages"
		}
		if got != tt.want {
			t.Errorf("%s: %s, want %s", name, got, tt.want)
			continue
		}
		if r.TextPx < ledfont.MinHeight() {
			t.Errorf("%s: lines of %d px, below the legible %d", name, r.TextPx, ledfont.MinHeight())
		}
		if got != "pages" {
			continue
		}
		pages := readPages(t, r)
		if len(pages) != len(r.PageSeconds) || len(pages) < 2 || (tt.overflow == OverflowAuto && len(pages) > MaxAutoPages) {
			t.Fatalf("%s: %d pages, seconds %v", name, len(pages), r.PageSeconds)
		}
		total := 0
		for i, s := range r.PageSeconds {
			if s < MinPageSeconds {
				t.Errorf("%s: page %d shown %d s, less than %d", name, i, s, MinPageSeconds)
			}
			total += s
		}
		if r.FPS != 1 || r.Frames != total {
			t.Errorf("%s: %d frames at %d fps for %d s of pages", name, r.Frames, r.FPS, total)
		}
		// Together the pages give every word its time at the stated pace,
		// and every page its time to be found.
		words := len(strings.Fields(resolution57))
		if want := words*60/ReadingWordsPerMinute + PageFindSeconds*len(pages); total < want {
			t.Errorf("%s: pages shown %d s in all; %d words at %d a minute on %d pages need %d", name, total, words, ReadingWordsPerMinute, len(pages), want)
		}
	}
}

// readPages returns a paged rendition's distinct pages in order.
func readPages(t *testing.T, r *Rendition) [][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(r.Data), int64(len(r.Data)))
	if err != nil {
		t.Fatal(err)
	}
	var pages [][]byte
	for i := range r.Frames {
		f, err := z.Open(frames.FrameName(i))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkPanelPNG(t, b, r.Width, r.Height)
		if len(pages) == 0 || !bytes.Equal(pages[len(pages)-1], b) {
			pages = append(pages, b)
		}
	}
	return pages
}

// No line of any notice is set in a size where Vietnamese letters run
// together: vector text only from VectorMinPx, bitmap text only in the
// bundled faces, at any panel size.
func TestTextNeverBelowTheLegibleSize(t *testing.T) {
	faces, err := ledfont.Faces()
	if err != nil {
		t.Fatal(err)
	}
	bitmap := map[int]bool{}
	for _, f := range faces {
		bitmap[f.Height()] = true
	}
	for _, sz := range [][2]int{{32, 16}, {64, 32}, {96, 48}, {128, 64}, {192, 96}, {256, 128}, {40, 40}, {128, 20}} {
		for _, n := range []Notice{{Body: resolution57}, {Body: "Chuyển đổi số"}, {Title: "Thông báo", Body: "Họp tổ dân phố lúc 19 giờ"}} {
			g := Geometry{W: sz[0], H: sz[1]}
			title, body, st, err := n.normalize()
			if err != nil {
				t.Fatal(err)
			}
			still, err := layoutStill(title, body, st, g)
			if err != nil && ErrorCode(err) != CodeTextTooLong {
				t.Fatal(err)
			}
			tick, _, _, err := layoutTicker(title, body, st, g, 0)
			if err != nil && ErrorCode(err) != CodePanelTooLow {
				t.Fatal(err)
			}
			for _, l := range append(still, tick...) {
				switch {
				case l.em == 0 && !bitmap[l.px]:
					t.Errorf("%q on %v: a bitmap line %d px high, not a bundled face", n.Body, sz, l.px)
				case l.em != 0 && l.em < VectorMinPx:
					t.Errorf("%q on %v: a vector line at %d px per em, below %d", n.Body, sz, l.em, VectorMinPx)
				}
			}
		}
	}
}
func TestTextNFC(t *testing.T) {
	decomposed := norm.NFD.String(resolution57)
	if decomposed == resolution57 {
		t.Fatal("test text has no composed characters")
	}
	a, err := RenderText(Notice{Body: resolution57}, Geometry{W: 128, H: 64})
	if err != nil {
		t.Fatal(err)
	}
	b, err := RenderText(Notice{Body: decomposed}, Geometry{W: 128, H: 64})
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 {
		t.Error("NFD input renders differently from NFC input")
	}
}

// Every character of the Vietnamese alphabet with every tone mark has a
// glyph in both bundled fonts (the Go fonts would fail this).
func TestFontsCoverVietnamese(t *testing.T) {
	regular, bold, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	var runes []rune
	for r := rune(0x1EA0); r <= 0x1EF9; r++ {
		runes = append(runes, r)
	}
	runes = append(runes, []rune("ĂăÂâĐđÊêÔôƠơƯưÀÁÃÈÉÌÍÒÓÕÙÚÝàáãèéìíòóõùúý")...)
	var buf sfnt.Buffer
	for _, f := range []*sfnt.Font{regular, bold} {
		for _, r := range runes {
			if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
				t.Errorf("no glyph for %c U+%04X", r, r)
			}
		}
	}
}

func TestTextBadNotices(t *testing.T) {
	long := make([]byte, maxNoticeRunes+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		n    Notice
		g    Geometry
		code string
	}{
		{Notice{}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: " \n\t\u200b "}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: "x", Color: "red"}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: "x", Background: "#12345"}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: "x", Align: "justify"}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: string(long)}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: "\xff"}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: "x", Ticker: &Ticker{PixelsPerSecond: -1}}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: "x"}, Geometry{W: 0, H: 32}, CodeBadGeometry},
		{Notice{Body: "x", Overflow: "shrink"}, Geometry{W: 64, H: 32}, CodeBadNotice},
		{Notice{Body: "Chuyển đổi số"}, Geometry{W: 64, H: 12}, CodePanelTooLow},
		{Notice{Body: "Chuyển đổi số", Ticker: &Ticker{}}, Geometry{W: 64, H: 12}, CodePanelTooLow},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, err := RenderText(tt.n, tt.g)
			if ErrorCode(err) != tt.code {
				t.Errorf("got %v, want %s", err, tt.code)
			}
		})
	}
}

// The background colour fills the panel, and a light text shows on it.
func TestTextColours(t *testing.T) {
	r, err := RenderText(Notice{Body: "Ô", Color: "#ff0000", Background: "#0000ff"}, Geometry{W: 32, H: 32})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	if c := color.NRGBAModel.Convert(img.At(0, 0)).(color.NRGBA); c != (color.NRGBA{0, 0, 255, 255}) {
		t.Errorf("corner %v, want blue", c)
	}
	red := 0
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			if c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA); c.R > 200 && c.B < 50 {
				red++
			}
		}
	}
	if red < 20 {
		t.Errorf("only %d red pixels", red)
	}
}

// TestTickerAreaIsBoundedBeforeDrawing: a long ticker on a tall panel is
// refused with CodeTickerTooLarge from its measured width, before the
// strip (here ~180,000 × 1024 px, ~700 MiB) is allocated; the same text on
// a short panel still scrolls.
func TestTickerAreaIsBoundedBeforeDrawing(t *testing.T) {
	body := strings.Repeat("Thông báo lịch tiêm chủng ", 31) // ~800 characters
	n := Notice{Body: body, Ticker: &Ticker{}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := RenderText(n, Geometry{W: 1024, H: 1024})
	runtime.ReadMemStats(&after)
	if ErrorCode(err) != CodeTickerTooLarge {
		t.Fatalf("1024×1024 ticker: err %v, want code %s", err, CodeTickerTooLarge)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
		t.Errorf("refusing the ticker allocated %d MiB", got>>20)
	}
	r, err := RenderText(n, Geometry{W: 128, H: 64})
	if err != nil || r.Ticker == nil || int64(r.Width)*int64(r.Height) > MaxTickerPixels {
		t.Fatalf("128×64 ticker: %v, %+v", err, r)
	}
}

// TestVectorLettersStayDistinct measures VectorMinPx: from it up, the
// vector font draws every Vietnamese letter (and the plain letters marks
// are added to) as a different set of lamps; one size below, it does not.
func TestVectorLettersStayDistinct(t *testing.T) {
	regular, bold, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	alike := func(f *opentype.Font, px int) []string {
		same, err := vectorAlike(f, px)
		if err != nil {
			t.Fatal(err)
		}
		return same
	}
	sizes := []int{}
	for px := VectorMinPx; px <= 48; px++ {
		sizes = append(sizes, px)
	}
	sizes = append(sizes, 56, 64, 80, 96, 128)
	for _, px := range sizes {
		for name, f := range map[string]*opentype.Font{"regular": regular, "bold": bold} {
			if same := alike(f, px); len(same) > 0 {
				t.Errorf("%s at %d px draws alike: %v", name, px, same)
			}
		}
	}
	if same := alike(regular, VectorMinPx-1); len(same) == 0 {
		t.Errorf("at %d px every letter is distinct too: VectorMinPx could be lower", VectorMinPx-1)
	} else {
		t.Logf("at %d px alike: %v", VectorMinPx-1, same)
	}
}

// litLamps decodes every picture of a rendition (the still, each page, or
// the ticker strip) into one row of lit/unlit lamps: lit where the pixel
// is brighter than half.
func litLamps(t *testing.T, r *Rendition) []bool {
	t.Helper()
	pngs := [][]byte{r.Data}
	if r.Frames > 0 {
		var err error
		if pngs, err = Pages(r); err != nil {
			t.Fatal(err)
		}
	}
	var out []bool
	for _, p := range pngs {
		img, err := png.Decode(bytes.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
				out = append(out, c.Y >= 128)
			}
		}
	}
	return out
}

// TestMinimalPairsStayApartInLongNotices: words that differ by one mark
// (đổi/đối, chuyển/chuyến, Nghị/Nghi, mới/mơi, của/cửa …) inside a long
// notice light different lamps on every usual panel, by at least a whole
// mark: in 13-pixel lines an acute or a grave is two full lamps, and its
// absence is those two lamps dark (mới/mơi, Đ/D's bar: 2); hook against
// acute is 3 or more. Never a grey smudge either way.
func TestMinimalPairsStayApartInLongNotices(t *testing.T) {
	const margin = 2
	pairs := [][2]string{{"đổi", "đối"}, {"chuyển", "chuyến"}, {"triển", "triến"}, {"Nghị", "Nghi"},
		{"mới", "mơi"}, {"của", "cửa"}, {"bảo", "báo"}, {"số", "sổ"}, {"Đã", "Dã"}, {"ngữ", "ngừ"}}
	for _, p := range pairs {
		for _, sz := range [][2]int{{64, 32}, {128, 64}, {192, 96}} {
			body := func(w string) string {
				return "Thông báo của Ủy ban nhân dân phường: người dân " + w + " ngay trong tuần này để cùng xây dựng khu phố văn minh, hiện đại."
			}
			g := Geometry{W: sz[0], H: sz[1]}
			a, err := RenderText(Notice{Body: body(p[0])}, g)
			if err != nil {
				t.Fatal(err)
			}
			b, err := RenderText(Notice{Body: body(p[1])}, g)
			if err != nil {
				t.Fatal(err)
			}
			la, lb := litLamps(t, a), litLamps(t, b)
			if len(la) != len(lb) {
				continue // laid out differently: they cannot look alike
			}
			d := 0
			for i := range la {
				if la[i] != lb[i] {
					d++
				}
			}
			t.Logf("%s/%s on %d×%d: %d lamps apart", p[0], p[1], sz[0], sz[1], d)
			if d < margin {
				t.Errorf("%s/%s on %d×%d: %d lamps apart, want ≥ %d", p[0], p[1], sz[0], sz[1], d, margin)
			}
		}
	}
}
