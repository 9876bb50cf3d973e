package pngcmp

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func encode(t *testing.T, img image.Image, level png.CompressionLevel) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: level}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSamePixelsOtherBytesAreEqual: one picture encoded two ways is the
// same golden; a changed pixel or size is not, and the error says where.
func TestSamePixelsOtherBytesAreEqual(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 9, 5))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	a, b := encode(t, img, png.NoCompression), encode(t, img, png.BestCompression)
	if bytes.Equal(a, b) {
		t.Fatal("the two encodings are the same bytes: the test shows nothing")
	}
	if err := Diff(a, b); err != nil {
		t.Fatalf("same pixels: %v", err)
	}
	img.SetNRGBA(4, 3, color.NRGBA{1, 2, 3, 255})
	if err := Diff(encode(t, img, png.DefaultCompression), b); err == nil || !strings.Contains(err.Error(), "(4,3)") {
		t.Fatalf("a changed pixel: %v", err)
	}
	small := image.NewNRGBA(image.Rect(0, 0, 9, 4))
	if err := Diff(encode(t, small, png.DefaultCompression), b); err == nil || !strings.Contains(err.Error(), "9x4") {
		t.Fatalf("another size: %v", err)
	}
	if err := Diff([]byte("not a png"), b); err == nil {
		t.Fatal("garbage compared equal")
	}
}
