package ledfont

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"testing"
)

// headOf is a bundled font cut after its first n glyphs: a real seed small
// enough to mutate quickly.
func headOf(f *testing.F, name string, n int) []byte {
	b, err := os.ReadFile("fonts/" + name)
	if err != nil {
		f.Fatal(err)
	}
	at := 0
	for range n {
		i := bytes.Index(b[at:], []byte("ENDCHAR\n"))
		if i < 0 {
			break
		}
		at += i + len("ENDCHAR\n")
	}
	return append(b[:at:at], "ENDFONT\n"...)
}

// FuzzParseBDF: any bytes either parse to a face or are refused with an
// error; a face parsed measures and draws any text without panicking and
// lights nothing outside the clip it is given.
func FuzzParseBDF(f *testing.F) {
	for _, name := range []string{"6x13.bdf", "9x15.bdf", "10x20.bdf"} {
		f.Add(headOf(f, name, 24), "Chuyển đổi số 0:9", 1)
	}
	f.Add([]byte("FONT_ASCENT 11\nFONT_DESCENT 2\nDEFAULT_CHAR 48\nSTARTCHAR zero\nENCODING 48\nDWIDTH 6 0\nBBX 5 3 0 0\nBITMAP\nF8\n88\nF8\nENDCHAR\n"), "0a", 2)
	f.Fuzz(func(t *testing.T, data []byte, text string, scale int) {
		face, err := ParseBDF("fuzz", data)
		if err != nil {
			if face != nil {
				t.Fatal("a face and an error")
			}
			return
		}
		if face.Height() < 1 {
			t.Fatalf("a face of height %d", face.Height())
		}
		_ = face.Width(text)
		_ = face.Covers(text)
		const w, h, m = 40, 20, 3
		big := image.NewRGBA(image.Rect(-m, -m, w+m, h+m))
		sentinel := color.RGBA{1, 2, 3, 4}
		for i := range big.Pix {
			big.Pix[i] = sentinel.R + byte(i%4)
		}
		dst := big.SubImage(image.Rect(0, 0, w, h)).(*image.RGBA)
		clip := image.Rect(5, 4, 30, 16)
		scale = 1 + (scale%4+4)%4
		face.DrawClipped(dst, clip, 2, 12, text, color.RGBA{255, 255, 255, 255})
		face.DrawScaled(dst, clip, -3, 14, scale, text, color.RGBA{255, 255, 255, 255})
		face.DrawBytes(dst, clip, 7, 9, scale, []byte(text), color.RGBA{255, 255, 255, 255})
		for y := big.Rect.Min.Y; y < big.Rect.Max.Y; y++ {
			for x := big.Rect.Min.X; x < big.Rect.Max.X; x++ {
				if !image.Pt(x, y).In(clip) && big.RGBAAt(x, y) != sentinel {
					t.Fatalf("pixel (%d,%d) outside the clip %v was lit", x, y, clip)
				}
			}
		}
		for _, r := range text {
			_ = face.Bitmap(r)
		}
	})
}
