package ledfont

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

func allFaces(t testing.TB) []*Face {
	t.Helper()
	fs, err := Faces()
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(bundled) {
		t.Fatalf("%d faces, want %d", len(fs), len(bundled))
	}
	return fs
}

func TestEveryBundledFaceDrawsEveryVietnameseLetter(t *testing.T) {
	if n := len([]rune(VietnameseLetters)); n != 134 {
		t.Fatalf("VietnameseLetters has %d letters, want 134", n)
	}
	for _, f := range allFaces(t) {
		if miss := f.Covers(VietnameseLetters + "₫“”–…"); len(miss) > 0 {
			t.Errorf("%s lacks %q", f.Name, string(miss))
		}
	}
}

// distance is how many lamps differ between two letters drawn at the same
// dot: 0 means a reader cannot tell them apart.
func distance(f *Face, a, b rune) int {
	return ClosestPairs(f, string([]rune{a, b}))[0].Lamps
}

// TestVietnameseLettersStayDistinct: no two letters that differ only by
// their marks are drawn alike, in any bundled face. The closest pairs are
// logged: a pair 1 lamp apart is a dot against a two-lamp stroke.
func TestVietnameseLettersStayDistinct(t *testing.T) {
	for _, f := range allFaces(t) {
		ps := ClosestPairs(f, Confusable)
		var closest []string
		for _, p := range ps[:6] {
			closest = append(closest, fmt.Sprintf("%c%c:%d", p.A, p.B, p.Lamps))
		}
		t.Logf("%s (line %d px): closest %s", f.Name, f.Height(), strings.Join(closest, " "))
		for _, p := range ps {
			if p.Lamps > 0 {
				break
			}
			t.Errorf("%s draws %c and %c alike", f.Name, p.A, p.B)
		}
	}
}

// The marks that change a word's meaning are several lamps apart: hook
// against acute (đổi/đối), horn against none (mới/mói), dot below
// against none (Nghị/Nghi: one full lamp below the line, which on an LED
// panel is as bright as any stroke).
func TestMeaningfulMarksDifferByLamps(t *testing.T) {
	for _, f := range allFaces(t) {
		for _, c := range []struct {
			a, b rune
			min  int
		}{{'ổ', 'ố', 3}, {'ể', 'ế', 3}, {'ơ', 'o', 3}, {'ư', 'u', 3}, {'Ơ', 'O', 3}, {'Ư', 'U', 3},
			{'ị', 'i', 1}, {'ạ', 'a', 1}, {'đ', 'd', 2}, {'Đ', 'D', 2}, {'ẳ', 'ắ', 3}, {'ỗ', 'ổ', 3}} {
			if d := distance(f, c.a, c.b); d < c.min {
				t.Errorf("%s: %c and %c differ by %d lamps, want ≥ %d", f.Name, c.a, c.b, d, c.min)
			}
		}
	}
}

// Every letter, with its stacked marks, stays inside the face's line, so
// lines set at a pitch of Height() + 1 never touch.
func TestMarksStayInsideTheLine(t *testing.T) {
	for _, f := range allFaces(t) {
		for _, r := range Confusable + "gjpqyÅ" {
			for _, p := range f.Bitmap(r) {
				if p.Y < -f.Ascent || p.Y >= f.Descent {
					t.Errorf("%s: %c has a lamp at row %d, outside %d…%d", f.Name, r, p.Y, -f.Ascent, f.Descent-1)
					break
				}
			}
		}
	}
}

func TestDrawPutsTheGlyphsLampsAndNothingElse(t *testing.T) {
	f := allFaces(t)[0]
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	amber := color.RGBA{255, 200, 0, 255}
	f.Draw(img, 2, 14, "ệĐ", amber)
	want := map[image.Point]bool{}
	for _, p := range f.Bitmap('ệ') {
		want[p.Add(image.Pt(2, 14))] = true
	}
	adv := f.Width("ệ")
	for _, p := range f.Bitmap('Đ') {
		want[p.Add(image.Pt(2+adv, 14))] = true
	}
	for y := range 20 {
		for x := range 40 {
			lit := img.RGBAAt(x, y) == amber
			if lit != want[image.Pt(x, y)] {
				t.Fatalf("lamp (%d,%d) lit=%v, want %v", x, y, lit, !lit)
			}
		}
	}
	if f.Width("ệĐ") != 2*f.Width("a") {
		t.Errorf("a monospaced face: width %d, want %d", f.Width("ệĐ"), 2*f.Width("a"))
	}
}

func TestDrawClippedStaysInItsWindow(t *testing.T) {
	f := allFaces(t)[1]
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	win := image.Rect(10, 5, 30, 20)
	f.DrawClipped(img, win, 4, 17, "Thứ Hai, 30/11/2026", color.RGBA{255, 255, 255, 255})
	lit := 0
	for y := range 32 {
		for x := range 64 {
			if img.RGBAAt(x, y).A != 0 {
				if !image.Pt(x, y).In(win) {
					t.Fatalf("lamp (%d,%d) lit outside the window %v", x, y, win)
				}
				lit++
			}
		}
	}
	if lit == 0 {
		t.Fatal("nothing drawn inside the window")
	}
}

func TestAMissingLetterIsABoxNotNothing(t *testing.T) {
	f := allFaces(t)[0]
	const private = '\uE000' // private use: no bundled face draws it
	if f.Has(private) {
		t.Fatal("the face draws U+E000")
	}
	img := image.NewRGBA(image.Rect(0, 0, 10, 16))
	f.Draw(img, 0, 12, string(private), color.RGBA{255, 0, 0, 255})
	lit := 0
	for _, v := range img.Pix {
		if v != 0 {
			lit++
		}
	}
	if lit == 0 || f.Width(string(private)) != f.Width("0") {
		t.Fatalf("missing rune: %d bytes lit, width %d", lit, f.Width(string(private)))
	}
}

func TestDrawAllocatesNothing(t *testing.T) {
	f := allFaces(t)[2]
	img := image.NewRGBA(image.Rect(0, 0, 384, 192))
	s := "Còn 12 ngày đến Tết Nguyên đán — 14:05:09"
	if n := testing.AllocsPerRun(100, func() {
		f.Draw(img, 3, 40, s, color.RGBA{255, 255, 255, 255})
		f.DrawClipped(img, image.Rect(0, 100, 200, 140), -50, 130, s, color.RGBA{255, 0, 0, 255})
	}); n != 0 {
		t.Fatalf("%v allocations per draw", n)
	}
}

func TestParseBDFSaysWhatIsWrong(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"STARTFONT 2.1\nENDFONT\n", "no FONT_ASCENT"},
		{"FONT_ASCENT 11\nFONT_DESCENT 2\nSTARTCHAR a\nENCODING 97\nDWIDTH 6 0\nBBX 6 2 0 0\nBITMAP\nzz\n", "not hex"},
		{"FONT_ASCENT 11\nFONT_DESCENT 2\nSTARTCHAR a\nENCODING 97\nDWIDTH 6 0\nBBX 6 2 0 0\nBITMAP\n10\nENDCHAR\n", "1 rows"},
		{"FONT_ASCENT 11\nSTARTCHAR a\nBBX 99 2 0 0\n", "outside"},
	} {
		_, err := ParseBDF("t", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one saying %q", c.src, err, c.want)
		}
	}
}

func TestFitPicksTheLargestFaceThatFits(t *testing.T) {
	for _, c := range []struct {
		h    int
		want string
	}{{12, ""}, {13, "6x13"}, {14, "6x13"}, {15, "9x15"}, {19, "9x15"}, {20, "10x20"}, {64, "10x20"}} {
		f := Fit(c.h)
		got := ""
		if f != nil {
			got = f.Name
		}
		if got != c.want {
			t.Errorf("Fit(%d) = %q, want %q", c.h, got, c.want)
		}
	}
	if MinHeight() != 13 {
		t.Errorf("MinHeight %d, want 13", MinHeight())
	}
}

func BenchmarkDrawLine(b *testing.B) {
	f := allFaces(b)[0]
	img := image.NewRGBA(image.Rect(0, 0, 128, 64))
	s := "Thứ Hai, 30/11/2026 14:05"
	b.ReportAllocs()
	for b.Loop() {
		f.Draw(img, 0, 12, s, color.RGBA{255, 255, 255, 255})
	}
}

func TestFontFaceLightsTheSameLampsAsDraw(t *testing.T) {
	for _, f := range allFaces(t) {
		s := "Nghị quyết 57-NQ/TW: đổi mới, chuyển đổi số Ữ"
		a := image.NewRGBA(image.Rect(0, 0, 500, 30))
		b := image.NewRGBA(image.Rect(0, 0, 500, 30))
		white := color.RGBA{255, 255, 255, 255}
		f.Draw(a, 3, 22, s, white)
		d := font.Drawer{Dst: b, Src: image.NewUniform(white), Face: f.FontFace(), Dot: fixed.P(3, 22)}
		d.DrawString(s)
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: font.Drawer and Draw light different lamps", f.Name)
		}
		if w := font.MeasureString(f.FontFace(), s).Round(); w != f.Width(s) {
			t.Errorf("%s: measured %d, Width %d", f.Name, w, f.Width(s))
		}
	}
}

// A glyph line before any STARTCHAR, or a metric no LED face has, is
// refused with the line, not a crash (found by reading after FuzzParseBDF
// ran 10 minutes without reaching it).
func TestParseBDFRefusesGlyphLinesOutsideAGlyphAndHugeMetrics(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"FONT_ASCENT 11\nFONT_DESCENT 2\nDWIDTH 6 0\n", "line 3: DWIDTH outside a glyph"},
		{"FONT_ASCENT 11\nBBX 6 2 0 0\n", "line 2: BBX outside a glyph"},
		{"BITMAP\n", "line 1: BITMAP outside a glyph"},
		{"FONT_ASCENT 2000000000\nFONT_DESCENT 2\nSTARTCHAR zero\nENCODING 48\nDWIDTH 6 0\nBBX 0 0 0 0\nBITMAP\nENDCHAR\n", "FONT_ASCENT 2000000000 is outside"},
		{"FONT_ASCENT 11\nFONT_DESCENT 2\nSTARTCHAR zero\nENCODING 48\nDWIDTH 9000000000000000000 0\n", "DWIDTH 9000000000000000000 is outside"},
	} {
		_, err := ParseBDF("t", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one saying %q", c.src, err, c.want)
		}
	}
}
