package pattern

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestWalkLightsOnePixelInOrder(t *testing.T) {
	p, _ := Parse("walk")
	dst := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for n := 0; n < 7; n++ {
		p.Draw(dst, n)
		lit := 0
		for y := 0; y < 2; y++ {
			for x := 0; x < 3; x++ {
				if dst.RGBAAt(x, y).R == 255 {
					lit++
					if y*3+x != n%6 {
						t.Fatalf("frame %d lit (%d,%d)", n, x, y)
					}
				}
			}
		}
		if lit != 1 {
			t.Fatalf("frame %d: %d pixels lit", n, lit)
		}
	}
}

func TestPatterns(t *testing.T) {
	dst := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for _, tc := range []struct {
		spec string
		at   image.Point
		want color.RGBA
	}{
		{"solid:#102030", image.Pt(5, 5), color.RGBA{0x10, 0x20, 0x30, 255}},
		{"bars", image.Pt(0, 3), color.RGBA{255, 255, 255, 255}},
		{"bars", image.Pt(15, 3), color.RGBA{0, 0, 0, 255}},
		{"bars", image.Pt(10, 3), color.RGBA{255, 0, 0, 255}},
		{"grid", image.Pt(0, 0), color.RGBA{0, 255, 0, 255}},
		{"grid", image.Pt(8, 5), color.RGBA{255, 255, 255, 255}},
		{"grid", image.Pt(15, 5), color.RGBA{255, 0, 0, 255}},
		{"gradient", image.Pt(15, 0), color.RGBA{255, 0, 0, 255}},
	} {
		p, err := Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		p.Draw(dst, 0)
		if got := dst.RGBAAt(tc.at.X, tc.at.Y); got != tc.want {
			t.Errorf("%s at %v: %v, want %v", tc.spec, tc.at, got, tc.want)
		}
	}
}

func TestTextDrawsSomething(t *testing.T) {
	p, _ := Parse("text:CỘT 3")
	dst := image.NewRGBA(image.Rect(0, 0, 64, 16))
	p.Draw(dst, 0)
	lit := 0
	for i := 0; i < len(dst.Pix); i += 4 {
		if dst.Pix[i] > 0 {
			lit++
		}
	}
	if lit < 20 {
		t.Fatalf("text lit %d pixels", lit)
	}
	// The marks are drawn: "CỘT" and "COT" light different lamps.
	q, _ := Parse("text:COT 3")
	plain := image.NewRGBA(dst.Rect)
	q.Draw(plain, 0)
	if bytes.Equal(plain.Pix, dst.Pix) {
		t.Fatal("CỘT is drawn as COT: the marks are lost")
	}
	// Decomposed input (C O + U+0323 + U+0302 T) is the same letters.
	r, _ := Parse("text:" + norm.NFD.String("CỘT 3"))
	nfd := image.NewRGBA(dst.Rect)
	r.Draw(nfd, 0)
	if !bytes.Equal(nfd.Pix, dst.Pix) {
		t.Fatal("decomposed CỘT draws differently")
	}
	if a := testing.AllocsPerRun(5, func() { p.Draw(dst, 3) }); a != 0 {
		t.Fatalf("text Draw allocates %v", a)
	}
}

func TestParseErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"stripes":      "use one of bars, grid",
		"solid:red":    "write #RRGGBB",
		"solid:#12345": "write #RRGGBB",
		"text:":        "write the text after the colon",
	} {
		if _, err := Parse(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", spec, err, want)
		}
	}
}
