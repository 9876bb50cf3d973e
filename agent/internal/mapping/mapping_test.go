package mapping

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// grid draws, for each logical pixel, the LED number that shows it.
func grid(m *Map) string {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	at := make([]int, w*h)
	for i := range at {
		at[i] = -1
	}
	for n := 0; n < m.Len(); n++ {
		p := m.Index(n)
		at[p.Y*w+p.X] = n
	}
	var b strings.Builder
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fmt.Fprintf(&b, "%3d", at[y*w+x])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestWiringGolden writes, for every wiring option on a 4×2 panel (and a
// 4×4 panel of 2×2 modules), which LED lights each logical pixel. A wrong
// mapping changes a number in testdata/wiring.golden.
func TestWiringGolden(t *testing.T) {
	var out bytes.Buffer
	add := func(c Config) {
		m, err := New(c)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		seen := make(map[image.Point]bool)
		for n := 0; n < m.Len(); n++ {
			seen[m.Index(n)] = true
		}
		if len(seen) != m.Len() {
			t.Fatalf("%+v: %d LEDs show only %d distinct pixels", c, m.Len(), len(seen))
		}
		fmt.Fprintf(&out, "# %dx%d tiles=%dx%d tile_serpentine=%v serpentine=%s start=%s rotation=%d mirror=%s\n%s\n",
			c.Width, c.Height, max(c.TilesX, 1), max(c.TilesY, 1), c.TileSerpentine, m.cfg.Serpentine, m.cfg.Start, c.Rotation, m.cfg.Mirror, grid(m))
	}
	for _, s := range []Serpentine{Progressive, ZigZagRows, ZigZagCols, ProgressiveCols} {
		for _, st := range []Corner{TopLeft, TopRight, BottomLeft, BottomRight} {
			add(Config{Width: 4, Height: 2, Serpentine: s, Start: st})
		}
	}
	for _, r := range []int{90, 180, 270} {
		add(Config{Width: 4, Height: 2, Rotation: r})
		add(Config{Width: 4, Height: 2, Rotation: r, Serpentine: ZigZagRows})
	}
	for _, mi := range []Mirror{Horizontal, Vertical} {
		add(Config{Width: 4, Height: 2, Mirror: mi})
		add(Config{Width: 4, Height: 2, Mirror: mi, Serpentine: ZigZagRows, Start: BottomLeft})
	}
	add(Config{Width: 4, Height: 4, TilesX: 2, TilesY: 2})
	add(Config{Width: 4, Height: 4, TilesX: 2, TilesY: 2, Serpentine: ZigZagRows})
	add(Config{Width: 4, Height: 4, TilesX: 2, TilesY: 2, TileSerpentine: true})
	add(Config{Width: 4, Height: 4, TilesX: 2, TilesY: 2, Rotation: 90, Serpentine: ZigZagCols, Start: BottomRight})

	golden := filepath.Join("testdata", "wiring.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run: go test ./agent/internal/mapping -update)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("wiring differs from %s; if intended, run with -update and review the diff\n%s", golden, out.String())
	}
}

// Hand-checked cases, independent of the golden file.
func TestWiringByHand(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string // LED order as logical x,y
	}{
		{Config{Width: 3, Height: 2}, "0,0 1,0 2,0 0,1 1,1 2,1"},
		{Config{Width: 3, Height: 2, Serpentine: ZigZagRows}, "0,0 1,0 2,0 2,1 1,1 0,1"},
		{Config{Width: 3, Height: 2, Serpentine: ZigZagCols, Start: BottomLeft}, "0,1 0,0 1,0 1,1 2,1 2,0"},
		{Config{Width: 3, Height: 2, Start: BottomRight}, "2,1 1,1 0,1 2,0 1,0 0,0"},
		{Config{Width: 3, Height: 2, Mirror: Horizontal}, "2,0 1,0 0,0 2,1 1,1 0,1"},
		// Turned 90° clockwise: the LED grid is 2 wide, 3 tall; its top row
		// shows the picture's left column, bottom first.
		{Config{Width: 3, Height: 2, Rotation: 90}, "0,1 0,0 1,1 1,0 2,1 2,0"},
		{Config{Width: 3, Height: 2, Rotation: 180}, "2,1 1,1 0,1 2,0 1,0 0,0"},
		{Config{Width: 3, Height: 2, Rotation: 270}, "2,0 2,1 1,0 1,1 0,0 0,1"},
		// Two 1×2 modules side by side, each wired top to bottom.
		{Config{Width: 2, Height: 2, TilesX: 2, Serpentine: ZigZagCols}, "0,0 0,1 1,0 1,1"},
	} {
		m, err := New(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for n := 0; n < m.Len(); n++ {
			p := m.Index(n)
			got = append(got, fmt.Sprintf("%d,%d", p.X, p.Y))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%+v:\n got %s\nwant %s", tc.c, g, tc.want)
		}
	}
}

func TestColourOrderGammaBrightness(t *testing.T) {
	f := image.NewRGBA(image.Rect(0, 0, 1, 1))
	f.SetRGBA(0, 0, color.RGBA{R: 10, G: 128, B: 255, A: 255})
	for _, tc := range []struct {
		order string
		want  [3]byte
	}{
		{"RGB", [3]byte{10, 128, 255}}, {"RBG", [3]byte{10, 255, 128}}, {"GRB", [3]byte{128, 10, 255}},
		{"GBR", [3]byte{128, 255, 10}}, {"BRG", [3]byte{255, 10, 128}}, {"BGR", [3]byte{255, 128, 10}},
	} {
		m, err := New(Config{Width: 1, Height: 1, ColourOrder: tc.order, Gamma: 1, Brightness: 100})
		if err != nil {
			t.Fatal(err)
		}
		var d [3]byte
		if _, err := m.Encode(d[:], f); err != nil {
			t.Fatal(err)
		}
		if d != tc.want {
			t.Errorf("%s: %v, want %v", tc.order, d, tc.want)
		}
	}
	// Gamma 2.2: 128 → round(255·(128/255)^2.2) = 56; brightness 50 % and
	// white balance 80 % on blue scale the linear value.
	m, _ := New(Config{Width: 1, Height: 1, Brightness: 50, WhiteBalance: [3]int{100, 100, 80}})
	var d [3]byte
	m.Encode(d[:], f)
	if d != [3]byte{0, 28, 102} {
		t.Errorf("gamma/brightness/white balance: %v, want [0 28 102]", d)
	}
	if err := m.SetBrightness(100); err != nil {
		t.Fatal(err)
	}
	m.Encode(d[:], f)
	if d != [3]byte{0, 56, 204} {
		t.Errorf("after SetBrightness(100): %v, want [0 56 204]", d)
	}
	if err := m.SetBrightness(101); err == nil {
		t.Error("SetBrightness(101) accepted")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Width: 0, Height: 2}, "width and height must be 1–8192"},
		{Config{Width: 4, Height: 2, Rotation: 45}, "rotation 45"},
		{Config{Width: 5, Height: 2, TilesX: 2}, "does not divide into 2x1"},
		{Config{Width: 4, Height: 2, Serpentine: "zigzag"}, `serpentine "zigzag"`},
		{Config{Width: 4, Height: 2, Start: "top"}, `start "top"`},
		{Config{Width: 4, Height: 2, ColourOrder: "RGBW"}, `colour order "RGBW"`},
		{Config{Width: 4, Height: 2, Gamma: 9}, "gamma 9"},
		{Config{Width: 4, Height: 2, Brightness: 120}, "brightness 120"},
		{Config{Width: 4, Height: 2, WhiteBalance: [3]int{100, 120, 100}}, "white balance G 120"},
	} {
		if _, err := New(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.c, err, tc.want)
		}
	}
	m, _ := New(Config{Width: 4, Height: 2, Brightness: 100})
	if _, err := m.Encode(make([]byte, 24), image.NewRGBA(image.Rect(0, 0, 2, 2))); err == nil || !strings.Contains(err.Error(), "frame is 2x2, panel is 4x2") {
		t.Errorf("wrong frame: %v", err)
	}
}

func TestSubImageMatchesFullImage(t *testing.T) {
	big := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range big.Pix {
		big.Pix[i] = byte(i * 7)
	}
	sub := big.SubImage(image.Rect(2, 2, 6, 5)).(*image.RGBA)
	flat := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for y := 0; y < 3; y++ {
		for x := 0; x < 4; x++ {
			flat.SetRGBA(x, y, sub.RGBAAt(x+2, y+2))
		}
	}
	m, _ := New(Config{Width: 4, Height: 3, Serpentine: ZigZagRows, ColourOrder: "GRB", Brightness: 100})
	a, b := make([]byte, 36), make([]byte, 36)
	m.Encode(a, sub)
	m.Encode(b, flat)
	if !bytes.Equal(a, b) {
		t.Fatalf("sub-image %v, flat %v", a, b)
	}
}

func TestEncodeAllocatesNothing(t *testing.T) {
	m, _ := New(Config{Width: 128, Height: 64, Serpentine: ZigZagRows, Rotation: 90, Brightness: 80})
	f := image.NewRGBA(m.Bounds())
	dst := make([]byte, 3*m.Len())
	if a := testing.AllocsPerRun(20, func() { m.Encode(dst, f) }); a != 0 {
		t.Fatalf("Encode allocates %v times per frame", a)
	}
}

func BenchmarkEncode384x192(b *testing.B) {
	m, _ := New(Config{Width: 384, Height: 192, Serpentine: ZigZagRows, TilesX: 6, TilesY: 6, ColourOrder: "GRB", Brightness: 80})
	f := image.NewRGBA(m.Bounds())
	dst := make([]byte, 3*m.Len())
	b.ReportAllocs()
	for b.Loop() {
		m.Encode(dst, f)
	}
}
