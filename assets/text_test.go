package assets

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

const resolution57 = "Nghị quyết 57-NQ/TW: đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia"

var goldenNotices = []struct {
	name   string
	notice Notice
	w, h   int
}{
	{"nq57-128x64", Notice{Body: resolution57}, 128, 64},
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

// The sentence does not fit a 64×32 still notice at a readable size: it is
// refused with a code saying to use a ticker, not squeezed illegibly.
func TestTextTooLongForStill(t *testing.T) {
	_, err := RenderText(Notice{Body: resolution57}, Geometry{W: 64, H: 32})
	if ErrorCode(err) != CodeTextTooLong {
		t.Fatalf("got %v, want %s", err, CodeTextTooLong)
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
		{Notice{Body: "Supercalifragilisticexpialidocious"}, Geometry{W: 16, H: 16}, CodeTextTooLong},
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
