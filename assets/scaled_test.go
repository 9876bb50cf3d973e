package assets

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// needScaledJPEGs skips a test of the scaled JPEG decode in a build
// without cgo, except under CI=true, where nothing skips.
func needScaledJPEGs(t *testing.T) {
	t.Helper()
	if !scaledJPEGs {
		if os.Getenv("CI") == "true" {
			t.Fatal("built without cgo: the scaled JPEG decode is not there to test")
		}
		t.Skip("built without cgo: no scaled JPEG decode")
	}
}

// The testdata/jpeg fixtures are testPhoto(1200, 800) written by
// ImageMagick 6.9 (Debian 12), as the standard library cannot encode them:
//
//	convert photo.png -colorspace CMYK -quality 85 cmyk-1200x800.jpg
//	convert photo.png -interlace JPEG -sampling-factor 4:2:0 -quality 85 progressive-1200x800.jpg
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "jpeg", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gray is testPhoto's luma.
func gray(src *image.NRGBA) *image.Gray {
	g := image.NewGray(src.Rect)
	for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
		for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
			g.Set(x, y, src.At(x, y))
		}
	}
	return g
}

// Renditions from the scaled decode are those of the full decode within
// 1 dB: both are measured against the same geometry rendered straight from
// the picture before it was encoded (the truth), and the scaled decode's
// PSNR may be at most 1 dB below the full decode's (image/jpeg, then the
// pre-shrink and Lanczos, as before). The DCT scale chosen for each case
// is checked too: too small a scale loses detail (and the PSNR check
// fails), too large wastes time and memory.
func TestScaledDecodeQuality(t *testing.T) {
	needScaledJPEGs(t)
	big := testPhoto(2400, 1600)
	mid := testPhoto(1200, 800)
	tests := []struct {
		name      string
		data      []byte
		src       image.Image // the picture as stored, before encoding
		o         int         // EXIF orientation in data
		geoms     []Geometry
		wantDenom int
	}{
		{"colour 1/8", encodeJPEG(t, big, 90), big, 1,
			[]Geometry{{W: 64, H: 32, Fit: FitCover}, {W: 96, H: 48, Fit: FitContain}}, 8},
		{"colour 1/4", encodeJPEG(t, big, 90), big, 1,
			[]Geometry{{W: 64, H: 32, Fit: FitCover}, {W: 192, H: 96, Fit: FitStretch}}, 4},
		{"colour 1/2", encodeJPEG(t, mid, 90), mid, 1,
			[]Geometry{{W: 192, H: 96, Fit: FitStretch}}, 2},
		{"colour, no scaling", encodeJPEG(t, mid, 90), mid, 1,
			[]Geometry{{W: 384, H: 192, Fit: FitCover}}, 1},
		{"grayscale", encodeJPEG(t, gray(big), 90), gray(big), 1,
			[]Geometry{{W: 128, H: 64, Fit: FitCover}}, 4},
		{"cmyk", readFixture(t, "cmyk-1200x800.jpg"), mid, 1,
			[]Geometry{{W: 64, H: 32, Fit: FitCover}}, 4},
		{"progressive", readFixture(t, "progressive-1200x800.jpg"), mid, 1,
			[]Geometry{{W: 128, H: 64, Fit: FitContain}}, 4},
		// Stored 2400×1600 on its side: upright 1600×2400 for a portrait
		// panel. The scale is chosen for the stored picture (1/4); for the
		// panel as given it would be 1/2.
		{"exif 6", withEXIFOrientation(encodeJPEG(t, big, 90), 6, binary.BigEndian), big, 6,
			[]Geometry{{W: 96, H: 192, Fit: FitStretch}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			o, err := s.Ingest(context.Background(), bytes.NewReader(tt.data), IngestRequest{Renditions: tt.geoms})
			if err != nil {
				t.Fatal(err)
			}
			sw, sh := tt.src.Bounds().Dx(), tt.src.Bounds().Dy()
			need, err := storedGeometries(tt.geoms, o.Orientation)
			if err != nil {
				t.Fatal(err)
			}
			if d := jpegDenom(sw, sh, need); d != tt.wantDenom {
				t.Errorf("DCT scale 1/%d, want 1/%d", d, tt.wantDenom)
			}
			img, _, release, err := loadImage(context.Background(), nil, o.Path, tt.geoms, true)
			if err != nil {
				t.Fatal(err)
			}
			release()
			d := tt.wantDenom
			if got, want := img.Bounds().Size(), image.Pt((sw+d-1)/d, (sh+d-1)/d); got != want {
				t.Errorf("decoded %v, want %v (1/%d)", got, want, d)
			}
			again, err := RenderImage(context.Background(), nil, o.Path, tt.geoms...)
			if err != nil {
				t.Fatal(err)
			}

			// The full decode, as before: image/jpeg, then renderAll.
			f, err := os.Open(o.Path)
			if err != nil {
				t.Fatal(err)
			}
			full, err := decodeImage(fmtJPEG, f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			fullRs, err := renderAll(context.Background(), full, o.Orientation, tt.geoms)
			if err != nil {
				t.Fatal(err)
			}
			truth := orient(tt.src, o.Orientation)
			for i, g := range tt.geoms {
				if !bytes.Equal(o.Renditions[i].Data, again[i].Data) {
					t.Errorf("%s: Ingest and RenderImage made different renditions", g.Key())
				}
				want := Render(truth, g)
				scaled, fullDB := psnr(t, decodePNG(t, o.Renditions[i].Data), want), psnr(t, decodePNG(t, fullRs[i].Data), want)
				t.Logf("%s: PSNR against the source %.2f dB from 1/%d, %.2f dB from the full decode", g.Key(), scaled, d, fullDB)
				if scaled < fullDB-1 {
					t.Errorf("%s: %.2f dB from the scaled decode, more than 1 dB below the full decode's %.2f dB", g.Key(), scaled, fullDB)
				}
			}
		})
	}
}

// A truncated or corrupt JPEG fails with the same clear error when it is
// decoded at a reduced scale (renditions asked for, or none), at full
// scale, and when progressive.
func TestScaledDecodeRefusesDamagedJPEG(t *testing.T) {
	needScaledJPEGs(t)
	jpg := encodeJPEG(t, testPhoto(1200, 800), 90)
	prog := readFixture(t, "progressive-1200x800.jpg")
	corrupt := append([]byte(nil), jpg...)
	for i := len(corrupt) / 3; i < len(corrupt)/3+400; i++ {
		corrupt[i] = 0xff
	}
	small := []Geometry{{W: 64, H: 32, Fit: FitCover}}   // 1/8
	large := []Geometry{{W: 600, H: 400, Fit: FitCover}} // full scale
	const damaged = "the jpeg is truncated or corrupt"
	for _, tt := range []struct {
		name  string
		data  []byte
		geoms []Geometry
		says  string
	}{
		{"truncated, no renditions", jpg[:len(jpg)*2/3], nil, damaged},
		{"truncated, scaled", jpg[:len(jpg)*2/3], small, damaged},
		{"truncated, full scale", jpg[:len(jpg)*2/3], large, damaged},
		{"corrupt, scaled", corrupt, small, damaged},
		{"truncated progressive, scaled", prog[:len(prog)/2], small, damaged},
		{"cut in the header", jpg[:300], small, "the jpeg header cannot be read"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.Ingest(context.Background(), bytes.NewReader(tt.data), IngestRequest{Renditions: tt.geoms})
			e, ok := AsError(err)
			if !ok || e.Code != CodeCorrupt || e.HTTPStatus() != 422 || e.Message != tt.says {
				t.Fatalf("got %v, want %s (422): %s", err, CodeCorrupt, tt.says)
			}
			if files := storeFiles(t, s); len(files) != 0 {
				t.Errorf("left files behind: %v", files)
			}
		})
	}
}

// A scaled decode takes from the Budget what it holds: its smaller output
// (and, for a progressive JPEG, the coefficients of the whole picture),
// not the full picture's pixels.
func TestScaledDecodeBudgetCost(t *testing.T) {
	needScaledJPEGs(t)
	for _, tt := range []struct {
		name string
		data []byte
		w, h int
		want int64
	}{
		{"baseline", encodeJPEG(t, testPhoto(2400, 1600), 90), 2400, 1600, 300 * 200},
		// 1200×800 4:2:0: 150×100 luma blocks and 2×75×50 chroma blocks
		// of 64 two-byte coefficients, in 4-byte units, plus 150×100.
		{"progressive", readFixture(t, "progressive-1200x800.jpg"), 1200, 800, 150*100 + (150*100+2*75*50)*128/4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			b := NewBudget(1 << 30)
			ResetDecodePeak()
			_, err := s.Ingest(context.Background(), bytes.NewReader(tt.data), IngestRequest{
				Budget: b, Renditions: []Geometry{{W: 48, H: 32, Fit: FitCover}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if st := b.Stats(); st.Peak != tt.want || st.InUse != 0 {
				t.Errorf("budget %+v, want a peak of %d (full decode: %d) and nothing left", st, tt.want, tt.w*tt.h)
			}
			if _, peak, _ := DecodeCounters(); peak != tt.want {
				t.Errorf("decode counters peak %d, want %d", peak, tt.want)
			}
		})
	}
}

func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// psnr is the peak signal-to-noise ratio of a against b over R, G and B.
func psnr(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes %v and %v", a.Bounds(), b.Bounds())
	}
	var sum float64
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			ca := color.NRGBAModel.Convert(a.At(ab.Min.X+x, ab.Min.Y+y)).(color.NRGBA)
			cb := color.NRGBAModel.Convert(b.At(bb.Min.X+x, bb.Min.Y+y)).(color.NRGBA)
			for _, d := range []float64{float64(ca.R) - float64(cb.R), float64(ca.G) - float64(cb.G), float64(ca.B) - float64(cb.B)} {
				sum += d * d
			}
		}
	}
	mse := sum / float64(3*ab.Dx()*ab.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

// The scaled decode converts YCbCr to RGB with exactly the arithmetic of
// color.YCbCrToRGB, which image/jpeg's pictures are drawn with, for every
// one of the 2²⁴ colours.
func TestScaledDecodeColourConversionIsGo(t *testing.T) {
	needScaledJPEGs(t)
	in := make([]byte, 3*256*256)
	out := make([]byte, 4*256*256)
	for y := 0; y < 256; y++ {
		for i := 0; i < 256*256; i++ {
			in[3*i], in[3*i+1], in[3*i+2] = byte(y), byte(i>>8), byte(i)
		}
		yccToRGBA(in, out)
		for i := 0; i < 256*256; i++ {
			r, g, b := color.YCbCrToRGB(byte(y), byte(i>>8), byte(i))
			if got := [4]byte(out[4*i : 4*i+4]); got != [4]byte{r, g, b, 255} {
				t.Fatalf("YCbCr %d,%d,%d gave %v, color.YCbCrToRGB %d,%d,%d", y, i>>8, i&255, got, r, g, b)
			}
		}
	}
}
