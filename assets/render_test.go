package assets

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

var panelSizes = [][2]int{{64, 32}, {128, 64}, {192, 96}}

var fits = []Fit{FitContain, FitCover, FitStretch}

// Golden renditions: two inputs (a landscape "photo" JPEG and a portrait
// logo with transparency), every panel size, every fit mode. The PNG bytes
// are compared exactly, which also pins determinism and the encoder.
func TestRenderGolden(t *testing.T) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"photo", encodeJPEG(t, testPhoto(640, 400), 92)},
		{"logo", encodePNG(t, testLogo(90, 160))},
	}
	bg := color.NRGBA{0, 40, 90, 255}
	for _, in := range inputs {
		s := newStore(t)
		o, err := s.Ingest(context.Background(), bytes.NewReader(in.data), IngestRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var geoms []Geometry
		for _, sz := range panelSizes {
			for _, f := range fits {
				geoms = append(geoms, Geometry{W: sz[0], H: sz[1], Fit: f, Background: bg})
			}
		}
		rs, err := RenderImage(context.Background(), nil, o.Path, geoms...)
		if err != nil {
			t.Fatal(err)
		}
		again, err := RenderImage(context.Background(), nil, o.Path, geoms...)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			g := r.Geometry
			t.Run(fmt.Sprintf("%s-%dx%d-%s", in.name, g.W, g.H, g.Fit), func(t *testing.T) {
				checkPanelPNG(t, r.Data, g.W, g.H)
				if !bytes.Equal(r.Data, again[i].Data) || r.SHA256 != again[i].SHA256 {
					t.Error("two renders of the same input differ")
				}
				golden(t, fmt.Sprintf("render/%s-%dx%d-%s.png", in.name, g.W, g.H, g.Fit), r.Data)
			})
		}
	}
}

// checkPanelPNG asserts an 8-bit RGB (colour type 2) PNG of exactly w×h.
func checkPanelPNG(t *testing.T, data []byte, w, h int) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != w || cfg.Height != h {
		t.Errorf("size %d×%d, want %d×%d", cfg.Width, cfg.Height, w, h)
	}
	if len(data) < 26 || data[24] != 8 || data[25] != 2 {
		t.Errorf("not 8-bit RGB: bit depth %d colour type %d", data[24], data[25])
	}
}

// Contain keeps the whole picture: bars in the background colour on the
// sides of a portrait logo, picture pixels in the middle. Cover fills
// every pixel with picture (no background).
func TestRenderFitModes(t *testing.T) {
	red := image.NewNRGBA(image.Rect(0, 0, 100, 200))
	for i := range red.Pix {
		red.Pix[i] = []uint8{255, 0, 0, 255}[i%4]
	}
	bg := color.NRGBA{0, 0, 255, 255}
	at := func(img *image.NRGBA, x, y int) color.NRGBA { return img.NRGBAAt(x, y) }
	contain := Render(red, Geometry{W: 64, H: 32, Fit: FitContain, Background: bg})
	if c := at(contain, 2, 16); c != bg {
		t.Errorf("contain: left bar is %v, want background %v", c, bg)
	}
	if c := at(contain, 32, 16); c.R < 250 || c.B > 5 {
		t.Errorf("contain: centre is %v, want red", c)
	}
	for _, f := range []Fit{FitCover, FitStretch} {
		img := Render(red, Geometry{W: 64, H: 32, Fit: f, Background: bg})
		if c := at(img, 1, 16); c.R < 250 || c.B > 5 {
			t.Errorf("%s: edge is %v, want red", f, c)
		}
	}
	// A small picture is enlarged to fill the panel in contain mode too.
	small := Render(imaging.New(8, 4, color.NRGBA{0, 255, 0, 255}), Geometry{W: 64, H: 32, Fit: FitContain, Background: bg})
	if c := at(small, 1, 1); c.G < 250 {
		t.Errorf("contain did not enlarge a small picture: corner %v", c)
	}
	// Transparent pixels show the background; the result is opaque.
	clear := Render(image.NewNRGBA(image.Rect(0, 0, 10, 10)), Geometry{W: 16, H: 16, Fit: FitStretch, Background: bg})
	if c := at(clear, 8, 8); c != bg {
		t.Errorf("transparent pixel rendered %v, want background", c)
	}
}

// A 1920×1080 photo of a notice must stay legible at 64×32: lettering on
// a busy photo keeps a stronger edge contrast after the LED sharpening than
// with plain Lanczos (and the golden shows it can be read).
func TestLEDSharpeningGolden(t *testing.T) {
	src := testPhoto(1920, 1080)
	_, bold, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	face, err := newFace(bold, 440)
	if err != nil {
		t.Fatal(err)
	}
	d := font.Drawer{Dst: src, Src: image.NewUniform(color.NRGBA{255, 255, 255, 255}), Face: face, Dot: fixed.P(180, 720)}
	d.DrawString("57-NQ")
	g := Geometry{W: 64, H: 32, Fit: FitCover}
	sharp := Render(src, g)
	plain := imaging.Fill(src, 64, 32, imaging.Center, imaging.Lanczos)
	if cs, cp := edgeContrast(sharp), edgeContrast(plain); cs <= cp {
		t.Errorf("sharpened edge contrast %.1f not above plain %.1f", cs, cp)
	}
	data, _, err := EncodePNG(sharp)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render/notice-photo-1920x1080-64x32-cover.png", data)
}

// edgeContrast is the mean absolute horizontal luma step.
func edgeContrast(img *image.NRGBA) float64 {
	var sum float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + 1; x < b.Max.X; x++ {
			l := func(c color.NRGBA) float64 { return 0.3*float64(c.R) + 0.59*float64(c.G) + 0.11*float64(c.B) }
			sum += math.Abs(l(img.NRGBAAt(x, y)) - l(img.NRGBAAt(x-1, y)))
		}
	}
	return sum / float64(b.Dx()*b.Dy())
}

// The integer pre-shrink of a YCbCr JPEG must give the same picture as
// resizing the full image, within a little rounding.
func TestPrescaleMatchesFullResize(t *testing.T) {
	data := encodeJPEG(t, testPhoto(1800, 1200), 95)
	s := newStore(t)
	o, err := s.Ingest(context.Background(), bytes.NewReader(data), IngestRequest{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := LoadImage(o.Path)
	if err != nil {
		t.Fatal(err)
	}
	g := Geometry{W: 64, H: 32, Fit: FitCover}
	pre := prescale(img, []Geometry{g})
	if pre.Bounds().Dx() >= 1800/2 {
		t.Fatalf("prescale did not shrink: %v", pre.Bounds())
	}
	a := imaging.Fill(pre, 64, 32, imaging.Center, imaging.Lanczos)
	b := imaging.Fill(img, 64, 32, imaging.Center, imaging.Lanczos)
	var diff float64
	for i := range a.Pix {
		diff += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	if mean := diff / float64(len(a.Pix)); mean > 4 {
		t.Errorf("mean channel difference %.2f vs full resize", mean)
	}
}

func TestIngestWithRenditions(t *testing.T) {
	s := newStore(t)
	o, err := s.Ingest(context.Background(), bytes.NewReader(encodeJPEG(t, testPhoto(800, 600), 90)), IngestRequest{
		Renditions: []Geometry{{W: 64, H: 32, Fit: FitCover}, {W: 128, H: 64, Fit: FitContain}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Renditions) != 2 {
		t.Fatalf("%d renditions", len(o.Renditions))
	}
	for _, r := range o.Renditions {
		p, err := s.Find(context.Background(), r.SHA256)
		if err != nil || p != r.Path {
			t.Errorf("rendition %s not stored: %v", r.Geometry.Key(), err)
		}
		checkPanelPNG(t, r.Data, r.Geometry.W, r.Geometry.H)
	}
	_, err = s.Ingest(context.Background(), bytes.NewReader(encodePNG(t, testPhoto(20, 20))), IngestRequest{
		Renditions: []Geometry{{W: 0, H: 32, Fit: FitCover}},
	})
	if ErrorCode(err) != CodeBadGeometry {
		t.Errorf("bad geometry: got %v", err)
	}
}

func TestGeometryValidate(t *testing.T) {
	for _, g := range []Geometry{{W: 0, H: 1, Fit: FitCover}, {W: 1, H: 9000, Fit: FitCover}, {W: 64, H: 32, Fit: "zoom"}} {
		if ErrorCode(g.Validate()) != CodeBadGeometry {
			t.Errorf("%+v accepted", g)
		}
	}
	if err := (Geometry{W: 64, H: 32, Fit: FitContain}).Validate(); err != nil {
		t.Error(err)
	}
}
