package play

import (
	"archive/zip"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets/frames"
)

// writeFrames writes a frames archive whose frame i is grey level 40·(i+1).
func writeFrames(t *testing.T, path string, w, h, fps, n int, manifest *frames.Manifest) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	m := frames.Manifest{Format: frames.Format, Width: w, Height: h, FPS: fps, Frames: n}
	if manifest != nil {
		m = *manifest
	}
	mw, _ := zw.Create(frames.ManifestName)
	json.NewEncoder(mw).Encode(m)
	for i := 0; i < n; i++ {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		g := uint8(40 * (i + 1))
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = g, g, g, 255
		}
		fw, _ := zw.Create(frames.FrameName(i))
		png.Encode(fw, img)
	}
	zw.Close()
	f.Close()
}

func TestVideoShowsFrameKAtStartPlusKOverFPS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v")
	writeFrames(t, path, 8, 4, 10, 5, nil)
	src, err := openVideo(path, 10, image.Rect(0, 0, 8, 4))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := image.NewRGBA(image.Rect(0, 0, 8, 4))
	for _, tc := range []struct {
		at    time.Duration
		frame int
	}{
		{0, 0}, {99 * time.Millisecond, 0}, {100 * time.Millisecond, 1}, {450 * time.Millisecond, 4},
		{500 * time.Millisecond, 0}, // a clip shorter than its slot loops
		{1234 * time.Millisecond, 2},
	} {
		if err := src.Frame(tc.at, dst); err != nil {
			t.Fatal(err)
		}
		want := uint8(40 * (tc.frame + 1))
		if got := dst.RGBAAt(3, 2); got != (color.RGBA{want, want, want, 255}) {
			t.Errorf("at %v: pixel %v, want frame %d", tc.at, got, tc.frame)
		}
	}
}

func TestVideoRefusesBadArchives(t *testing.T) {
	dir := t.TempDir()
	panel := image.Rect(0, 0, 8, 4)
	for _, tc := range []struct {
		name  string
		write func(path string)
		want  string
	}{
		{"not a zip", func(p string) { os.WriteFile(p, []byte("junk"), 0o600) }, "not a readable frames archive"},
		{"wrong size", func(p string) { writeFrames(t, p, 16, 8, 10, 2, nil) }, "the panel is (8,4)"},
		{"missing frame", func(p string) {
			writeFrames(t, p, 8, 4, 10, 2, &frames.Manifest{Format: frames.Format, Width: 8, Height: 4, FPS: 10, Frames: 3})
		}, "frame 2 of 3 is missing"},
		{"other format", func(p string) {
			writeFrames(t, p, 8, 4, 10, 2, &frames.Manifest{Format: "mp4", Width: 8, Height: 4, FPS: 10, Frames: 2})
		}, "unsupported or invalid"},
		{"fps differs from plan", func(p string) { writeFrames(t, p, 8, 4, 30, 2, nil) }, "30 fps, the plan says 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			tc.write(p)
			_, err := openVideo(p, 10, panel)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTickerScrollsAndWraps(t *testing.T) {
	// A 12×2 strip whose column x has red level x; the panel is 4×2.
	strip := image.NewRGBA(image.Rect(0, 0, 12, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 12; x++ {
			strip.SetRGBA(x, y, color.RGBA{R: uint8(x), A: 255})
		}
	}
	path := filepath.Join(t.TempDir(), "strip")
	f, _ := os.Create(path)
	png.Encode(f, strip)
	f.Close()
	src, err := openTicker(path, 10, image.Rect(0, 0, 4, 2)) // 10 px/s
	if err != nil {
		t.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for _, tc := range []struct {
		at   time.Duration
		cols [4]uint8
	}{
		{0, [4]uint8{0, 1, 2, 3}},
		{300 * time.Millisecond, [4]uint8{3, 4, 5, 6}},
		{1000 * time.Millisecond, [4]uint8{10, 11, 0, 1}}, // wraps past the end
		{1200 * time.Millisecond, [4]uint8{0, 1, 2, 3}},   // one loop = 12 px = 1.2 s
	} {
		src.Frame(tc.at, dst)
		for x, want := range tc.cols {
			if got := dst.RGBAAt(x, 1).R; got != want {
				t.Errorf("at %v column %d shows strip column %d, want %d", tc.at, x, got, want)
			}
		}
	}
	if _, err := openTicker(path, 10, image.Rect(0, 0, 4, 3)); err == nil || !strings.Contains(err.Error(), "3 pixels tall") {
		t.Fatalf("wrong height: %v", err)
	}
}
