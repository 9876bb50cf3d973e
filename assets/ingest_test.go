package assets

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// bombPNG is a valid PNG header declaring w×h pixels followed by a tiny
// IDAT: a few hundred bytes that would need gigabytes to decode.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestIngestImages(t *testing.T) {
	photo := testPhoto(120, 80)
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 30, 20), []color.Color{color.Black, color.White})
	pal.SetColorIndex(1, 1, 1)
	second := image.NewPaletted(image.Rect(0, 0, 30, 20), []color.Color{color.Black, color.White})
	if err := gif.EncodeAll(&gifBuf, &gif.GIF{Image: []*image.Paletted{pal, second}, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}
	webpData, err := os.ReadFile("testdata/input-photo.webp")
	if err != nil {
		t.Fatal(err)
	}
	jpg := encodeJPEG(t, photo, 90)
	tests := []struct {
		name        string
		data        []byte
		format      string
		w, h        int
		orientation int
	}{
		{"png", encodePNG(t, photo), "png", 120, 80, 1},
		{"jpeg", jpg, "jpeg", 120, 80, 1},
		{"jpeg exif 6 little-endian", withEXIFOrientation(jpg, 6, binary.LittleEndian), "jpeg", 80, 120, 6},
		{"jpeg exif 8 big-endian", withEXIFOrientation(jpg, 8, binary.BigEndian), "jpeg", 80, 120, 8},
		{"jpeg exif 3", withEXIFOrientation(jpg, 3, binary.BigEndian), "jpeg", 120, 80, 3},
		{"animated gif, first frame", gifBuf.Bytes(), "gif", 30, 20, 1},
		{"webp", webpData, "webp", 120, 80, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			o, err := s.Ingest(context.Background(), bytes.NewReader(tt.data), IngestRequest{Filename: "ảnh " + tt.name})
			if err != nil {
				t.Fatal(err)
			}
			if o.Kind != KindImage || o.Format != tt.format || o.Width != tt.w || o.Height != tt.h || o.Orientation != tt.orientation {
				t.Errorf("got %s %s %d×%d orientation %d, want image %s %d×%d orientation %d",
					o.Kind, o.Format, o.Width, o.Height, o.Orientation, tt.format, tt.w, tt.h, tt.orientation)
			}
			got, err := os.ReadFile(o.Path)
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("stored original differs from upload (%v)", err)
			}
			if o.Size != int64(len(tt.data)) || filepath.Base(o.Path) != o.SHA256+filepath.Ext(o.Path) {
				t.Errorf("size %d path %s", o.Size, o.Path)
			}
			img, err := LoadImage(o.Path)
			if err != nil || img.Bounds().Dx() != tt.w || img.Bounds().Dy() != tt.h {
				t.Errorf("LoadImage: %v %v", err, img.Bounds())
			}
		})
	}
}

// The EXIF rotation must turn the pixels, not only swap the sizes: the
// photo's top-left checker (dark) ends up top-right for orientation 6
// (rotate 90° clockwise).
func TestEXIFRotatesPixels(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 60, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 60; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x < 30 {
				c = color.NRGBA{0, 0, 0, 255}
			}
			src.SetNRGBA(x, y, c)
		}
	}
	s := newStore(t)
	data := withEXIFOrientation(encodeJPEG(t, src, 95), 6, binary.BigEndian)
	o, err := s.Ingest(context.Background(), bytes.NewReader(data), IngestRequest{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := LoadImage(o.Path)
	if err != nil {
		t.Fatal(err)
	}
	// Upright, the picture is 30 wide and 60 tall; left half dark was the
	// top of the stored picture's left... after 90° CW the dark half is on top.
	top := color.NRGBAModel.Convert(img.At(15, 5)).(color.NRGBA)
	bottom := color.NRGBAModel.Convert(img.At(15, 55)).(color.NRGBA)
	if top.R > 40 || bottom.R < 215 {
		t.Errorf("after orientation 6 want dark top, light bottom; got %v %v", top, bottom)
	}
}

// Renditions made at upload time from a rotated JPEG big enough to be
// pre-shrunk: the pre-shrink must work on the stored (sideways) picture
// and the rotation come after it.
func TestEXIFRenditions(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 600, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 600; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x < 300 {
				c = color.NRGBA{0, 0, 0, 255}
			}
			src.SetNRGBA(x, y, c)
		}
	}
	s := newStore(t)
	data := withEXIFOrientation(encodeJPEG(t, src, 95), 6, binary.LittleEndian)
	o, err := s.Ingest(context.Background(), bytes.NewReader(data), IngestRequest{
		Renditions: []Geometry{{W: 20, H: 40, Fit: FitStretch}},
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(o.Renditions[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	top := color.NRGBAModel.Convert(img.At(10, 5)).(color.NRGBA)
	bottom := color.NRGBAModel.Convert(img.At(10, 35)).(color.NRGBA)
	if top.R > 40 || bottom.R < 215 {
		t.Errorf("rendition of orientation 6: want dark top, light bottom; got %v %v", top, bottom)
	}
}

func TestIngestDeduplicates(t *testing.T) {
	s := newStore(t)
	data := encodePNG(t, testPhoto(50, 40))
	a, err := s.Ingest(context.Background(), bytes.NewReader(data), IngestRequest{Filename: "a.png"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Ingest(context.Background(), bytes.NewReader(data), IngestRequest{Filename: "b.png"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Existed || !b.Existed || a.Path != b.Path {
		t.Errorf("first existed=%v, second existed=%v, paths %s %s", a.Existed, b.Existed, a.Path, b.Path)
	}
	if files := storeFiles(t, s); len(files) != 1 {
		t.Errorf("store holds %v, want one file", files)
	}
}

func TestIngestRefusesBadInput(t *testing.T) {
	png := encodePNG(t, testPhoto(200, 100))
	jpg := encodeJPEG(t, testPhoto(200, 100), 90)
	corrupt := append([]byte(nil), jpg...)
	for i := len(corrupt) / 3; i < len(corrupt)/3+400; i++ {
		corrupt[i] = 0xff
	}
	tests := []struct {
		name     string
		filename string
		data     []byte
		limits   Limits
		code     string
		status   int
		says     string
	}{
		{"zero bytes", "empty.png", nil, Limits{}, CodeEmpty, 422, "empty"},
		{"truncated png", "cut.png", png[:len(png)/2], Limits{}, CodeCorrupt, 422, "truncated"},
		{"truncated jpeg", "cut.jpg", jpg[:len(jpg)*2/3], Limits{}, CodeCorrupt, 422, "truncated"},
		{"corrupt jpeg", "bad.jpg", corrupt, Limits{}, CodeCorrupt, 422, "corrupt"},
		{"header only", "x.png", png[:20], Limits{}, CodeCorrupt, 422, "header"},
		{"pdf renamed png", "poster.png", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), Limits{}, CodeUnsupportedType, 415, "PDF"},
		{"text", "notes.png", []byte("hello, this is not a picture"), Limits{}, CodeUnsupportedType, 415, "unknown"},
		{"30000x30000 bomb", "bomb.png", bombPNG(30000, 30000), Limits{}, CodeTooManyPixels, 422, "900.0 megapixels"},
		{"over a lowered pixel limit", "big.png", png, Limits{MaxPixels: 10_000}, CodeTooManyPixels, 422, "limit is 0.0"},
		{"over the byte limit", "big.png", png, Limits{MaxImageBytes: 1000}, CodeTooLarge, 413, "1000 bytes"},
		{"dot dot slash", "../../etc/passwd", png, Limits{}, CodeBadFilename, 400, "path separator"},
		{"dot dot", "..png", png, Limits{}, CodeBadFilename, 400, `".."`},
		{"backslash", `..\boot.ini`, png, Limits{}, CodeBadFilename, 400, "separator"},
		{"newline", "a\nb.png", png, Limits{}, CodeBadFilename, 400, "U+000A"},
		{"nul", "a\x00.png", png, Limits{}, CodeBadFilename, 400, "U+0000"},
		{"right-to-left override", "gnp.\u202eexe", png, Limits{}, CodeBadFilename, 400, "U+202E"},
		{"invalid utf-8", "\xff.png", png, Limits{}, CodeBadFilename, 400, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			o, err := s.Ingest(context.Background(), bytes.NewReader(tt.data), IngestRequest{Filename: tt.filename, Limits: tt.limits})
			if err == nil {
				t.Fatalf("accepted: %+v", o)
			}
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("error %v is not an *assets.Error", err)
			}
			if e.Code != tt.code || e.HTTPStatus() != tt.status || !strings.Contains(e.Message, tt.says) {
				t.Errorf("got %s (%d) %q, want %s (%d) saying %q", e.Code, e.HTTPStatus(), e.Message, tt.code, tt.status, tt.says)
			}
			if files := storeFiles(t, s); len(files) != 0 {
				t.Errorf("left files behind: %v", files)
			}
		})
	}
}

func TestIngestCancelled(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	go func() {
		pw.Write(encodePNG(t, testPhoto(40, 40))[:100])
		cancel()
		pw.Write(make([]byte, 1000))
		pw.Close()
	}()
	_, err := s.Ingest(ctx, pr, IngestRequest{})
	if err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if files := storeFiles(t, s); len(files) != 0 {
		t.Errorf("left files behind: %v", files)
	}
}

// The bomb must be refused before any pixel memory is allocated. The
// child process ingests it and prints its peak RSS (VmHWM), which the
// parent checks and logs (go test -v -run BombPeakRSS shows it).
func TestBombPeakRSS(t *testing.T) {
	if os.Getenv("PANO_BOMB_CHILD") == "1" {
		s, err := OpenStore(os.Getenv("PANO_BOMB_DIR"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Ingest(context.Background(), bytes.NewReader(bombPNG(30000, 30000)), IngestRequest{Filename: "bomb.png"})
		if ErrorCode(err) != CodeTooManyPixels {
			t.Fatalf("got %v", err)
		}
		status, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				os.Stdout.WriteString("PEAK " + strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")) + "\n")
			}
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/status")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBombPeakRSS$", "-test.v")
	cmd.Env = append(os.Environ(), "PANO_BOMB_CHILD=1", "PANO_BOMB_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, rest, ok := strings.Cut(string(out), "PEAK ")
	if !ok {
		t.Fatalf("no PEAK line in\n%s", out)
	}
	kb, err := strconv.Atoi(strings.Fields(rest)[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS ingesting a %d-byte PNG declaring 30000×30000: %d KiB", len(bombPNG(30000, 30000)), kb)
	// A decode would need 30000×30000×4 bytes = 3.4 GiB; the test binary
	// itself (race detector included) is well under 100 MiB.
	if kb > 100<<10 {
		t.Errorf("peak RSS %d KiB: the bomb was decoded?", kb)
	}
}

func TestOpenStoreRemovesStaleTemp(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tmp", "put-123"), []byte("half"), 0o644)
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if files := storeFiles(t, s); len(files) != 0 {
		t.Errorf("stale temp kept: %v", files)
	}
	if _, err := s.Find(context.Background(), "../../etc/passwd"); err == nil {
		t.Error("Find accepted a path")
	}
}
