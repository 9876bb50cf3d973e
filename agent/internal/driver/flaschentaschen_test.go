package driver

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ftImage is one Flaschen-Taschen datagram as a server reads it.
type ftImage struct {
	w, h    int
	pix     []byte
	x, y, z int
}

// parseFT reads a datagram as the protocol notes (hzeller/flaschen-taschen
// doc/protocols.md, PROTOCOLS.md) describe it, not as the driver writes
// it: "P6", width, height and 255 separated by any whitespace, `#`
// comments to the end of a line before 255 (ft-server's reader takes the
// byte after 255 as the last before the data), one whitespace
// byte after 255, width × height × 3 bytes of RGB, then an optional footer
// of up to three decimal numbers x, y, z separated by whitespace.
func parseFT(b []byte) (ftImage, error) {
	var img ftImage
	pos := 0
	token := func() (string, error) {
		for pos < len(b) {
			switch c := b[pos]; {
			case c == '#':
				for pos < len(b) && b[pos] != '\n' {
					pos++
				}
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				pos++
			default:
				start := pos
				for pos < len(b) && !strings.ContainsRune(" \t\n\r\v\f#", rune(b[pos])) {
					pos++
				}
				return string(b[start:pos]), nil
			}
		}
		return "", errors.New("header ends early")
	}
	number := func(what string) (int, error) {
		t, err := token()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s: %q is not a number", what, t)
		}
		return n, nil
	}
	if magic, err := token(); err != nil || magic != "P6" {
		return img, fmt.Errorf("magic %q, want P6", magic)
	}
	var err error
	if img.w, err = number("width"); err != nil {
		return img, err
	}
	if img.h, err = number("height"); err != nil {
		return img, err
	}
	maxval, err := number("maxval")
	if err != nil || maxval != 255 {
		return img, fmt.Errorf("maxval %d (%v), want 255", maxval, err)
	}
	if pos >= len(b) || !strings.ContainsRune(" \t\n\r\v\f", rune(b[pos])) {
		return img, errors.New("no whitespace byte after 255")
	}
	pos++
	n := 3 * img.w * img.h
	if len(b)-pos < n {
		return img, fmt.Errorf("%d bytes of pixels for %dx%d, want %d", len(b)-pos, img.w, img.h, n)
	}
	img.pix = b[pos : pos+n]
	pos += n
	for i, dst := range []*int{&img.x, &img.y, &img.z} {
		t, err := token()
		if err != nil {
			break // the footer, or the rest of it, is optional
		}
		v, err := strconv.Atoi(t)
		if err != nil {
			return img, fmt.Errorf("footer number %d: %q", i+1, t)
		}
		*dst = v
	}
	if _, err := token(); err == nil {
		return img, errors.New("bytes after the footer")
	}
	return img, nil
}

// TestFlaschenTaschenReceiverParses: the test's receiver reads the header
// forms the protocol allows (comments, any whitespace, the footer on
// lines of its own or absent), so the driver is checked against the
// protocol, not against itself.
func TestFlaschenTaschenReceiverParses(t *testing.T) {
	px := []byte{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		in      string
		x, y, z int
		bad     bool
	}{
		{in: "P6\n2 1\n255\n" + string(px)},
		{in: "P6     # Magic number\n2 1  # width height\n#FT: 5 8 10\n# a comment line\n255\n" + string(px) + "\n5\n8\n10\n", x: 5, y: 8, z: 10},
		{in: "P6 2\t1 255 " + string(px) + " 7 9", x: 7, y: 9},
		{in: "P5\n2 1\n255\n" + string(px), bad: true},
		{in: "P6\n2 1\n255\n" + string(px[:5]), bad: true},
		{in: "P6\n2 1\n15\n" + string(px), bad: true},
	} {
		img, err := parseFT([]byte(tc.in))
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted", tc.in)
			}
			continue
		}
		if err != nil || img.w != 2 || img.h != 1 || !bytes.Equal(img.pix, px) || img.x != tc.x || img.y != tc.y || img.z != tc.z {
			t.Errorf("%q: %+v, %v", tc.in, img, err)
		}
	}
}

// TestFlaschenTaschenOverLoopbackUDP opens the driver from settings, as
// the agent does, draws a frame and reassembles what a server receives on
// a real UDP socket: every pixel in place, every datagram within 65,507
// bytes, the offsets and layer of the settings; a canvas over one
// datagram (256×128, 384×192) arrives as full-width tiles whose y offsets
// cover each row once. Close sends a black image.
func TestFlaschenTaschenOverLoopbackUDP(t *testing.T) {
	for _, tc := range []struct {
		w, h, x, y, z int
		datagrams     int
	}{
		{64, 32, 0, 0, 0, 1},
		{128, 64, 10, 20, 3, 1},
		{192, 96, 0, 0, 1, 1}, // 55.3 KB: still one
		{256, 128, 0, 0, 0, 2},
		{384, 192, 5, 7, 2, 4},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			sink, port := udpSink(t)
			sink.SetReadBuffer(4 << 20)
			d, err := Open("flaschentaschen", Settings{"host": "127.0.0.1", "port": port, "width": tc.w, "height": tc.h, "offset_x": tc.x, "offset_y": tc.y, "layer": tc.z})
			if err != nil {
				t.Fatal(err)
			}
			frame := testFrame(tc.w, tc.h)
			if err := d.Draw(frame); err != nil {
				t.Fatal(err)
			}
			receive := func() []byte {
				t.Helper()
				canvas := make([]byte, 3*tc.w*tc.h)
				seen := make([]bool, tc.h)
				buf := make([]byte, 70000)
				sink.SetReadDeadline(time.Now().Add(5 * time.Second))
				for i := 0; i < tc.datagrams; i++ {
					n, err := sink.Read(buf)
					if err != nil {
						t.Fatalf("datagram %d of %d: %v", i+1, tc.datagrams, err)
					}
					if n > 65507 {
						t.Fatalf("datagram of %d bytes, over UDP's 65,507", n)
					}
					img, err := parseFT(buf[:n])
					if err != nil {
						t.Fatalf("datagram %d: %v", i+1, err)
					}
					row := img.y - tc.y
					if img.w != tc.w || img.x != tc.x || img.z != tc.z || row < 0 || row+img.h > tc.h {
						t.Fatalf("datagram %d: %dx%d at %d,%d layer %d; want width %d at x %d, rows within %d–%d, layer %d", i+1, img.w, img.h, img.x, img.y, img.z, tc.w, tc.x, tc.y, tc.y+tc.h-1, tc.z)
					}
					for r := row; r < row+img.h; r++ {
						if seen[r] {
							t.Fatalf("row %d sent twice", r)
						}
						seen[r] = true
					}
					copy(canvas[3*tc.w*row:], img.pix)
				}
				for r, ok := range seen {
					if !ok {
						t.Fatalf("row %d never sent", r)
					}
				}
				return canvas
			}
			got := receive()
			for i := 0; i < tc.w*tc.h; i++ {
				p := frame.Pix[4*i : 4*i+3]
				if !bytes.Equal(got[3*i:3*i+3], p) {
					t.Fatalf("pixel %d,%d is % x, want % x", i%tc.w, i/tc.w, got[3*i:3*i+3], p)
				}
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			if !allZeroBytes(receive()) {
				t.Fatal("the image sent on Close is not black")
			}
		})
	}
}

func allZeroBytes(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// TestFlaschenTaschenSettings: the profile check refuses what the server
// cannot take, naming the key; the frame rate is bounded by the link,
// counting the IP fragments of each datagram: a 128×64 image is a
// 24,597-byte datagram (14 header, 24,576 pixels, 7 footer), 17 fragments,
// 24,597 + 66 + 16 × 58 = 25,591 bytes on the wire, so 488 fps at 100 Mbit.
func TestFlaschenTaschenSettings(t *testing.T) {
	base := func() Settings { return Settings{"host": "10.0.0.9", "width": 128, "height": 64} }
	if err := Check("flaschentaschen", base()); err != nil {
		t.Fatalf("plain settings: %v", err)
	}
	for _, tc := range []struct {
		key  string
		val  any
		want string
	}{
		{"layer", 16, "out of range: use 0–15"},
		{"offset_x", -1, "out of range"},
		{"host", "", "is empty"},
		{"colour_order", "GRB", "is not a setting of this driver"},
	} {
		s := base()
		s[tc.key] = tc.val
		err := Check("flaschentaschen", s)
		var se *SettingError
		if !errors.As(err, &se) || se.Key != tc.key || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%v: %v; want a refusal naming %q and %q", tc.key, tc.val, err, tc.key, tc.want)
		}
	}
	if err := CheckFPS("flaschentaschen", base(), 488); err != nil {
		t.Errorf("488 fps: %v", err)
	}
	if err := CheckFPS("flaschentaschen", base(), 489); err == nil || !strings.Contains(err.Error(), "at most 488 fps") {
		t.Errorf("489 fps: %v; want a refusal naming 488", err)
	}
}

func TestFlaschenTaschenDrawAllocatesNothing(t *testing.T) {
	_, port := udpSink(t)
	d, err := Open("flaschentaschen", Settings{"host": "127.0.0.1", "port": port, "width": 256, "height": 128})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	frame := testFrame(256, 128)
	if a := testing.AllocsPerRun(10, func() {
		if err := d.Draw(frame); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Draw allocates %v times per frame", a)
	}
}
