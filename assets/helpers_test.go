package assets

import (
	"bytes"
	"encoding/binary"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pano-signage/pano/assets/pngcmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// testPhoto is a deterministic stand-in for a photo: gradients, a disc, a
// checker patch and thin lines, so that resizing, cropping and sharpening
// show in the goldens.
func testPhoto(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := w/2, h/2, min(w, h)/3
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), 160, 255}
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) < r*r {
				c = color.NRGBA{250, 220, 40, 255}
			}
			if x < w/5 && y < h/4 && (x/(w/40+1)+y/(h/20+1))%2 == 0 {
				c = color.NRGBA{0, 0, 0, 255}
			}
			if y%(h/8+1) == 0 || x == w-1-w/10 {
				c = color.NRGBA{255, 255, 255, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// testLogo is a portrait picture with transparency.
func testLogo(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			switch {
			case y < h/3:
				img.SetNRGBA(x, y, color.NRGBA{218, 37, 29, 255})
			case y < 2*h/3 && x > w/4 && x < 3*w/4:
				img.SetNRGBA(x, y, color.NRGBA{255, 205, 0, 200})
			case y >= 2*h/3:
				img.SetNRGBA(x, y, color.NRGBA{20, 90, 200, uint8(255 * (x + 1) / w)})
			}
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withEXIFOrientation inserts an APP1 Exif segment with IFD0 Orientation =
// o right after the JPEG's SOI, in byte order bo.
func withEXIFOrientation(j []byte, o uint16, bo binary.ByteOrder) []byte {
	var t bytes.Buffer
	if bo == binary.LittleEndian {
		t.WriteString("II*\x00")
	} else {
		t.WriteString("MM\x00*")
	}
	binary.Write(&t, bo, uint32(8)) // IFD0 offset
	binary.Write(&t, bo, uint16(2)) // two entries
	// An unrelated entry first (ImageWidth, LONG), then Orientation.
	binary.Write(&t, bo, []uint16{0x0100, 4})
	binary.Write(&t, bo, []uint32{1, 640})
	binary.Write(&t, bo, []uint16{0x0112, 3})
	binary.Write(&t, bo, uint32(1))
	binary.Write(&t, bo, []uint16{o, 0})
	binary.Write(&t, bo, uint32(0)) // no next IFD
	seg := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var out bytes.Buffer
	out.Write(j[:2])
	out.Write([]byte{0xff, 0xe1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(j[2:])
	return out.Bytes()
}

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storeFiles lists the regular files in the store (tmp/ included), as
// paths relative to its root.
func storeFiles(t testing.TB, s *Store) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(s.Dir(), p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// golden compares the picture got with testdata/name by its pixels, or
// rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run `make golden` to create it)", err)
	}
	if err := pngcmp.Diff(got, want); err != nil {
		os.WriteFile(strings.TrimSuffix(p, ".png")+".got.png", got, 0o644)
		t.Errorf("%s differs from the golden file (%v); wrote %s.got.png to compare (`make golden` accepts it)", p, err, strings.TrimSuffix(p, ".png"))
	}
}
