package assets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"os"
	"strings"
	"testing"
	"time"
)

// headerSeeds are real uploads' first bytes: the photo in testdata, every
// image kind encoded here, a JPEG with EXIF, and video container heads.
func headerSeeds(f *testing.F) [][]byte {
	img := image.NewRGBA(image.Rect(0, 0, 9, 5))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	webp, err := os.ReadFile("testdata/input-photo.webp")
	if err != nil {
		f.Fatal(err)
	}
	j := encodeJPEG(f, img, 80)
	return [][]byte{
		webp[:min(len(webp), 2048)], encodePNG(f, img), j,
		withEXIFOrientation(j, 6, binary.LittleEndian), withEXIFOrientation(j, 8, binary.BigEndian),
		[]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
		[]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01"),
		[]byte("RIFF\x24\x00\x00\x00AVI LIST"), []byte("OggS\x00\x02"), []byte("\x00\x00\x01\xba\x44"),
		[]byte("%PDF-1.7\n"), []byte("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
	}
}

// FuzzSniff: the type of an upload is decided by its first sniffLen bytes
// only (what follows never changes it), a refusal is a coded *Error naming
// what was wrong, and an image sniffed is read by its decoder's header
// reader without panicking.
func FuzzSniff(f *testing.F) {
	for _, s := range headerSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { within(t, func() { sniffCase(t, b) }) })
}

func sniffCase(t *testing.T, b []byte) {
	fm, err := sniff(b)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeUnsupportedType {
			t.Fatalf("refusal is not a coded *Error: %#v", err)
		}
		if fm != (format{}) {
			t.Fatalf("a refusal with a format: %+v", fm)
		}
	} else if fm.kind != KindImage && fm.kind != KindVideo || fm.mime == "" || fm.ext == "" {
		t.Fatalf("accepted as %+v", fm)
	}
	// Only the head decides: the head alone and the head with other
	// bytes after it are the same type.
	head := b[:min(len(b), sniffLen)]
	fm2, err2 := sniff(head)
	if fm2 != fm || (err == nil) != (err2 == nil) {
		t.Fatalf("%d bytes are %+v (%v), their first %d %+v (%v)", len(b), fm, err, len(head), fm2, err2)
	}
	if len(b) >= sniffLen {
		fm3, _ := sniff(append(head[:sniffLen:sniffLen], 0xff, 0xd8, 0x47))
		if fm3 != fm {
			t.Fatalf("bytes after the head changed the type: %+v, then %+v", fm, fm3)
		}
	}
	if err == nil && fm.kind == KindImage {
		if cfg, err := decodeConfig(fm, bytes.NewReader(b)); err == nil {
			if cfg.Width < 0 || cfg.Height < 0 {
				t.Fatalf("%s header says %d×%d", fm.name, cfg.Width, cfg.Height)
			}
			_ = decodeCost(cfg)
		}
	}
	// A name is either refused or kept trimmed, never changed otherwise.
	if name, err := CheckFilename(string(b)); err == nil {
		if name == "" || name != strings.TrimSpace(string(b)) {
			t.Fatalf("name %q from %q", name, b)
		}
	}
}

// within runs f and fails the test if it has not returned in 10 s: a
// fuzzed input that hangs must be reported and kept, not stall the fuzzer.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	select {
	case p := <-done:
		if p != nil {
			t.Fatalf("panic: %v", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not return within 10 s")
	}
}

// FuzzEXIF: the orientation read from any bytes is 1–8; a JPEG carrying
// orientation o (either byte order) reads back o; an orientation found in
// the complete headers stays the same whatever follows; orienting an image
// by it keeps its pixels and only swaps its sides for 5–8.
func FuzzEXIF(f *testing.F) {
	for _, s := range headerSeeds(f) {
		f.Add(s, uint16(6), false)
	}
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	j := encodeJPEG(f, img, 80)
	f.Fuzz(func(t *testing.T, b []byte, o uint16, big bool) {
		got := jpegOrientation(b)
		if got < 1 || got > 8 {
			t.Fatalf("orientation %d", got)
		}
		if got != 1 {
			if again := jpegOrientation(append(b[:len(b):len(b)], 0xff, 0xe1, 0x00, 0x10)); again != got {
				t.Fatalf("orientation %d became %d with bytes after it", got, again)
			}
		}
		var bo binary.ByteOrder = binary.LittleEndian
		if big {
			bo = binary.BigEndian
		}
		want := int(o)
		if want < 1 || want > 8 {
			want = 1
		}
		if got := jpegOrientation(withEXIFOrientation(j, o, bo)); got != want {
			t.Fatalf("a JPEG with orientation %d reads %d", o, got)
		}
		src := image.NewRGBA(image.Rect(0, 0, 3, 2))
		src.Set(0, 0, color.RGBA{255, 0, 0, 255})
		out := orient(src, got).Bounds()
		if (got >= 5) != (out.Dx() == 2 && out.Dy() == 3) {
			t.Fatalf("orientation %d made a %v picture of a 3×2 one", got, out)
		}
	})
}

// FuzzScaledJPEG: libjpeg-turbo through cgo decodes any bytes at every
// scale without crashing the process or hanging, and either gives a
// picture of the size the header declares (divided by the scale,
// rounded up) or an error. Pictures declaring more than 4 megapixels are
// only opened (Ingest refuses more than its limit before decoding).
func FuzzScaledJPEG(f *testing.F) {
	if !scaledJPEGs {
		f.Skip("built without cgo")
	}
	img := image.NewRGBA(image.Rect(0, 0, 37, 21))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	j := encodeJPEG(f, img, 80)
	prog, err := os.ReadFile("testdata/jpeg/progressive-1200x800.jpg")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(j)
	f.Add(j[:len(j)/2])
	f.Add(withEXIFOrientation(j, 6, binary.LittleEndian))
	f.Add(prog[:4096])
	f.Add(encodeJPEG(f, image.NewGray(image.Rect(0, 0, 9, 17)), 50))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := os.CreateTemp(dir, "fuzz-*.jpg")
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p.Name())
		defer p.Close()
		if _, err := p.Write(b); err != nil {
			t.Fatal(err)
		}
		within(t, func() {
			for _, denom := range []int{8, 4, 2, 1} {
				sj, err := openScaledJPEG(p)
				if err != nil {
					return
				}
				w, h := sj.fullSize()
				if int64(w)*int64(h) > 4_000_000 {
					sj.Close()
					return
				}
				img, err := sj.Decode(denom)
				sj.Close()
				if err != nil {
					continue
				}
				if got, want := img.Bounds().Size(), image.Pt((w+denom-1)/denom, (h+denom-1)/denom); got != want {
					t.Fatalf("1/%d of %d×%d decoded as %v", denom, w, h, got)
				}
			}
		})
	})
}
