package frames

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRendition writes a rendition by hand, as TranscodeVideo lays it out.
func writeRendition(t *testing.T, m Manifest, nframes int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "v.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for i := 0; i < nframes; i++ {
		img := image.NewNRGBA(image.Rect(0, 0, m.Width, m.Height))
		img.SetNRGBA(0, 0, color.NRGBA{uint8(i), 0, 0, 255})
		var b bytes.Buffer
		png.Encode(&b, img)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: FrameName(i), Method: zip.Store})
		w.Write(b.Bytes())
	}
	w, _ := zw.Create(ManifestName)
	json.NewEncoder(w).Encode(m)
	zw.Close()
	f.Close()
	return p
}

func TestReader(t *testing.T) {
	m := Manifest{Format: Format, Width: 4, Height: 2, FPS: 10, Frames: 5}
	r, err := Open(writeRendition(t, m, 5))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Manifest() != m || m.Duration() != 500*time.Millisecond {
		t.Errorf("manifest %+v, duration %s", r.Manifest(), m.Duration())
	}
	for _, tt := range []struct {
		d    time.Duration
		want int
	}{{-time.Second, 0}, {0, 0}, {99 * time.Millisecond, 0}, {100 * time.Millisecond, 1}, {350 * time.Millisecond, 3}, {time.Hour, 4}} {
		if got := r.Index(tt.d); got != tt.want {
			t.Errorf("Index(%s) = %d, want %d", tt.d, got, tt.want)
		}
	}
	img, err := r.Frame(3)
	if err != nil {
		t.Fatal(err)
	}
	if c := color.NRGBAModel.Convert(img.At(0, 0)).(color.NRGBA); c.R != 3 {
		t.Errorf("frame 3 holds %v", c)
	}
	if _, err := r.Frame(5); err == nil {
		t.Error("read past the end")
	}
}

func TestOpenRefuses(t *testing.T) {
	for name, m := range map[string]Manifest{
		"other format": {Format: "x", Width: 4, Height: 2, FPS: 10, Frames: 1},
		"no fps":       {Format: Format, Width: 4, Height: 2, Frames: 1},
	} {
		if _, err := Open(writeRendition(t, m, 1)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A frame the manifest promises but the archive lacks is found at once.
	_, err := Open(writeRendition(t, Manifest{Format: Format, Width: 8, Height: 2, FPS: 1, Frames: 1}, 0))
	if err == nil || !strings.Contains(err.Error(), "frame 0 of 1 is missing") {
		t.Fatalf("open of a truncated archive: %v", err)
	}
}
