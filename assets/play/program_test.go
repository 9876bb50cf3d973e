package play

import (
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// solid writes a w×h PNG of one colour into dir and returns its asset.
func solid(t *testing.T, dir string, w, h int, c color.RGBA) protocol.Asset {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var b strings.Builder
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(b.String()))
	sha := hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(dir, sha), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return protocol.Asset{SHA256: sha, Kind: protocol.AssetImage, Bytes: int64(b.Len())}
}

// A media window with a rotation of its own shows each item for its
// duration, from the program's start, and loops.
func TestWindowRotationPlaysItsItemsInTurn(t *testing.T) {
	dir := t.TempDir()
	red, blue := solid(t, dir, 32, 16, color.RGBA{R: 200, A: 255}), solid(t, dir, 32, 16, color.RGBA{B: 200, A: 255})
	p := &protocol.Program{Width: 64, Height: 16, Windows: []protocol.ProgramWindow{
		{Kind: protocol.WindowMedia, X: 32, Y: 0, W: 32, H: 16, Items: []protocol.WindowItem{
			{Asset: red.SHA256, DurationMS: 3000}, {Asset: blue.SHA256, DurationMS: 2000}}},
	}}
	env := Env{Assets: map[string]protocol.Asset{red.SHA256: red, blue.SHA256: blue}, Loc: time.UTC,
		Path: func(sha string) string { return filepath.Join(dir, sha) }}
	src, err := NewProgram(p, image.Rect(0, 0, 64, 16), time.Now(), env)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	img := image.NewRGBA(image.Rect(0, 0, 64, 16))
	for _, c := range []struct {
		at   time.Duration
		want uint8 // red channel at the window's centre
	}{{0, 200}, {2999 * time.Millisecond, 200}, {3 * time.Second, 0}, {4999 * time.Millisecond, 0}, {5 * time.Second, 200}, {13 * time.Second, 0}} {
		if err := src.Frame(c.at, img); err != nil {
			t.Fatal(err)
		}
		if got := img.RGBAAt(48, 8).R; got != c.want {
			t.Errorf("at %v the window's red is %d, want %d", c.at, got, c.want)
		}
		if got := img.RGBAAt(8, 8); got != (color.RGBA{A: 255}) {
			t.Errorf("at %v the program's background is %v, want black", c.at, got)
		}
	}
}
