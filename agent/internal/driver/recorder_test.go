package driver

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/color"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// recorder is a PacketWriter that keeps copies of what was sent.
type recorder struct {
	mu      sync.Mutex
	packets [][]byte
	to      []netip.AddrPort
	closed  bool
	fail    error
}

func (r *recorder) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.packets = append(r.packets, bytes.Clone(b))
	r.to = append(r.to, addr)
	return len(b), nil
}

func (r *recorder) Close() error { r.closed = true; return nil }

func (r *recorder) dump() string {
	var b bytes.Buffer
	for i, p := range r.packets {
		fmt.Fprintf(&b, "packet %d to %s, %d bytes\n%s", i+1, r.to[i], len(p), hex.Dump(p))
	}
	return b.String()
}

// testFrame is a w×h frame whose every pixel differs: R = x, G = y,
// B = a running index, so a misplaced pixel shows.
func testFrame(w, h int) *image.RGBA {
	f := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			f.SetRGBA(x, y, color.RGBA{R: byte(x), G: byte(y), B: byte(y*w + x), A: 255})
		}
	}
	return f
}

// plain is a panel mapping that changes no colour, so wire bytes equal
// pixel values.
func plain(w, h int) mapping.Config {
	return mapping.Config{Width: w, Height: h, Gamma: 1, Brightness: 100}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		checkWithReceiver(t, name, got) // golden_receivers_test.go
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: make golden)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("wire bytes differ from %s; if intended, run make golden and review the diff\ngot:\n%s", path, got)
	}
}
