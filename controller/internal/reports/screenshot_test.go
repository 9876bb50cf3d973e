package reports

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

func panelPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid 1-bit grey PNG of w×h pixels, all black: a few
// kilobytes that decode into w×h bytes.
func bombPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, greyscale
	pngChunk(&out, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+(w+7)/8) // filter byte 0, then zeros
	for y := 0; y < h; y++ {
		zw.Write(row)
	}
	zw.Close()
	pngChunk(&out, "IDAT", z.Bytes())
	pngChunk(&out, "IEND", nil)
	return out.Bytes()
}

func TestScreenshotsAreDecodedBeforeTheyAreStored(t *testing.T) {
	s, st, _ := setup(t)
	ctx := context.Background()
	d := displayNamed(t, st, "trung-tam-phuong") // 192×96
	good := panelPNG(t, d.Width, d.Height)
	bomb := bombPNG(t, 20000, 20000) // 400 MB of pixels
	if len(bomb) > protocol.MaxMessageBytes/2 {
		t.Fatalf("the bomb is %d bytes: it would not fit a message", len(bomb))
	}
	cases := []struct {
		name string
		data []byte
		why  string
	}{
		{"truncated", good[:len(good)/2], "truncated or corrupt"},
		{"decompression bomb", bomb, "20000×20000"},
		{"twice the panel and more", panelPNG(t, 2*d.Width+1, d.Height), "at most"},
		{"not a PNG", []byte("\x89PNG\r\n\x1a\nthis is not one"), "not a PNG"},
		{"padded", append(slices.Clip(good), make([]byte, 600<<10)...), "larger than"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := s.Screenshot(ctx, d.ID, protocol.Screenshot{At: time.Now(), PNG: c.data})
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("Screenshot = %v, want an error saying %q", err, c.why)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
				t.Fatalf("refusing it allocated %d MB", grew>>20)
			}
			stat, err := st.Status(ctx, d.ID)
			if err != nil || stat.Screenshot != nil {
				t.Fatalf("stored %d bytes (%v)", len(stat.Screenshot), err)
			}
			ref, err := st.DisplayRefusals(ctx, d.ID)
			if err != nil || ref.Screenshots != int64(i+1) || !strings.Contains(ref.LastReason, c.why) {
				t.Fatalf("refusals %+v %v, want %d", ref, err, i+1)
			}
		})
	}
	if err := s.Screenshot(ctx, d.ID, protocol.Screenshot{At: time.Now(), PNG: good}); err != nil {
		t.Fatal(err)
	}
	if stat, err := st.Status(ctx, d.ID); err != nil || !bytes.Equal(stat.Screenshot, good) {
		t.Fatalf("a good screenshot was not stored: %v", err)
	}
}

// The screenshot check accepts exactly what the PNG decoder decodes: PNGs
// of every colour type, and each of them with any one byte changed, cut
// short, with a row of an unknown filter or more rows than the header
// says (their CRC and zlib checksum made right, so only the check of the
// rows can refuse them).
func TestScreenshotCheckAgreesWithTheDecoder(t *testing.T) {
	const w, h = 24, 10
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	gray := image.NewGray(rect)
	gray16 := image.NewGray16(rect)
	pal := image.NewPaletted(rect, color.Palette{color.Black, color.White, color.RGBA{200, 30, 40, 255}})
	for i := range rgba.Pix {
		rgba.Pix[i] = byte(i * 7)
	}
	for i := range gray.Pix {
		gray.Pix[i], gray16.Pix[i], pal.Pix[i%len(pal.Pix)] = byte(i*3), byte(i), byte(i%3)
	}
	agree := func(name string, data []byte) {
		t.Helper()
		cfg, cerr := png.DecodeConfig(bytes.NewReader(data))
		_, derr := png.Decode(bytes.NewReader(data))
		if cerr != nil {
			return // refused before checkPNG runs
		}
		if err := checkPNG(data, cfg.Width, cfg.Height); (err == nil) != (derr == nil) {
			t.Fatalf("%s: checkPNG says %v, the decoder %v", name, err, derr)
		}
	}
	for _, img := range []image.Image{rgba, gray, gray16, pal} {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		good := b.Bytes()
		if err := checkPNG(good, w, h); err != nil {
			t.Fatalf("%T: a good PNG refused: %v", img, err)
		}
		for i := range good {
			bad := slices.Clone(good)
			bad[i] ^= 0x41
			agree(fmt.Sprintf("%T byte %d changed", img, i), bad)
			agree(fmt.Sprintf("%T cut at %d", img, i), good[:i])
		}
	}
	// Rows made by hand, the chunks' checksums right.
	rows := func(filter byte, n int) []byte {
		raw := make([]byte, 0, n*(1+w))
		for y := 0; y < n; y++ {
			raw = append(raw, filter)
			raw = append(raw, make([]byte, w)...)
		}
		return grayPNG(t, w, h, raw)
	}
	if err := checkPNG(rows(0, h), w, h); err != nil {
		t.Fatalf("hand-made PNG refused: %v", err)
	}
	for name, data := range map[string][]byte{"unknown filter": rows(5, h), "a row too many": rows(0, h+1), "a row too few": rows(0, h-1)} {
		if err := checkPNG(data, w, h); err == nil {
			t.Fatalf("%s: accepted", name)
		}
		agree(name, data)
	}
}

var rect = image.Rect(0, 0, 24, 10)

// grayPNG is an 8-bit grey PNG of w×h around raw rows (a filter byte and
// w pixels each), whatever they hold.
func grayPNG(t *testing.T, w, h int, raw []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 0
	pngChunk(&out, "IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	pngChunk(&out, "IDAT", z.Bytes())
	pngChunk(&out, "IEND", nil)
	return out.Bytes()
}

// pngChunk writes a PNG chunk with its length and CRC.
func pngChunk(out *bytes.Buffer, typ string, data []byte) {
	binary.Write(out, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	out.WriteString(typ)
	out.Write(data)
	binary.Write(out, binary.BigEndian, crc.Sum32())
}

// BenchmarkScreenshotCheck: what checking a 128×64 screenshot costs, the
// whole-file check against decoding it.
func BenchmarkScreenshotCheck(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 128, 64))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7 / 5)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	data := buf.Bytes()
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			if err := checkPNG(data, 128, 64); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
