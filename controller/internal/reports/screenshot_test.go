package reports

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
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
	chunk := func(out *bytes.Buffer, typ string, data []byte) {
		binary.Write(out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(out, binary.BigEndian, crc.Sum32())
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, greyscale
	chunk(&out, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+(w+7)/8) // filter byte 0, then zeros
	for y := 0; y < h; y++ {
		zw.Write(row)
	}
	zw.Close()
	chunk(&out, "IDAT", z.Bytes())
	chunk(&out, "IEND", nil)
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
