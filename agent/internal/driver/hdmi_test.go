package driver

import (
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hdmiFrame is a w×h frame whose every pixel differs from its neighbours.
func hdmiFrame(w, h int) *image.RGBA {
	f := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			f.SetRGBA(x, y, color.RGBA{R: uint8(17*x + 3*y + 1), G: uint8(29*y + x + 2), B: uint8(x*y + 40), A: 255})
		}
	}
	return f
}

// checkScreen checks every visible pixel of an output of w×h pixels in
// format: inside the window, the frame's pixel (scaled by level %, in the
// format's bits); outside it, black (all bits 0). With pad, the bytes of
// each line past the visible width must still be pad: the driver wrote
// nothing there.
func checkScreen(t *testing.T, mem []byte, stride, w, h int, f pixelFormat, c hdmiConfig, frame *image.RGBA, level int, pad int) {
	t.Helper()
	bad := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := y*stride + x*f.bytes
			var v uint32
			switch f.bytes {
			case 4:
				v = binary.LittleEndian.Uint32(mem[o:])
			case 3:
				v = uint32(mem[o]) | uint32(mem[o+1])<<8 | uint32(mem[o+2])<<16
			case 2:
				v = uint32(binary.LittleEndian.Uint16(mem[o:]))
			}
			var want uint32
			lx, ly := (x-c.X)/c.Scale, (y-c.Y)/c.Scale
			if x >= c.X && y >= c.Y && lx < c.Width && ly < c.Height {
				p := frame.RGBAAt(lx, ly)
				ch := func(v uint8, bf fbBitfield) uint32 { return uint32(int(v)*level/100) >> (8 - bf.Length) << bf.Offset }
				want = ch(p.R, f.red) | ch(p.G, f.green) | ch(p.B, f.blue) | f.opaque
			}
			if v != want && bad < 5 {
				t.Errorf("pixel (%d, %d) = %#x, want %#x", x, y, v, want)
				bad++
			}
		}
		if pad >= 0 {
			for o := y*stride + w*f.bytes; o < (y+1)*stride; o++ {
				if int(mem[o]) != pad && bad < 5 {
					t.Errorf("line %d: byte %d past the visible width was written (%#x)", y, o-y*stride, mem[o])
					bad++
				}
			}
		}
	}
}

// TestHDMIFBDevWindowStrideAndFormat: on a framebuffer whose lines are
// longer than its visible width, every pixel of the frame lands in the
// profile's window (offset, scale) in the framebuffer's pixel format, the
// rest of the screen is black, and the bytes past each line's visible
// width are left alone.
func TestHDMIFBDevWindowStrideAndFormat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format pixelFormat
		stride int
		vh     int // virtual height: 2×200 pans between two buffers
		vsync  bool
		cfg    hdmiConfig
		calls  []string
	}{
		{"XRGB8888 1:1", formatXRGB8888, 320*4 + 64, 200, false, hdmiConfig{Width: 16, Height: 8, X: 10, Y: 20, Scale: 1},
			[]string{"open fb0", "FBIOGET_VSCREENINFO", "FBIOGET_FSCREENINFO"}},
		{"XRGB8888 scale 3 vsync", formatXRGB8888, 320*4 + 64, 200, true, hdmiConfig{Width: 16, Height: 8, X: 100, Y: 7, Scale: 3},
			[]string{"open fb0", "FBIOGET_VSCREENINFO", "FBIOGET_FSCREENINFO"}},
		{"ARGB8888", formatARGB8888, 320 * 4, 200, false, hdmiConfig{Width: 32, Height: 16, X: 288, Y: 184, Scale: 1},
			[]string{"open fb0", "FBIOGET_VSCREENINFO", "FBIOGET_FSCREENINFO"}},
		{"RGB565 scale 2", formatRGB565, 320*2 + 32, 200, false, hdmiConfig{Width: 16, Height: 8, X: 7, Y: 5, Scale: 2},
			[]string{"open fb0", "FBIOGET_VSCREENINFO", "FBIOGET_FSCREENINFO"}},
		{"BGR888 24 bits", pixelFormat{name: "24bpp r8@0 g8@8 b8@16 a0@0", bytes: 3, red: fbBitfield{Length: 8}, green: fbBitfield{Offset: 8, Length: 8}, blue: fbBitfield{Offset: 16, Length: 8}},
			320*3 + 16, 200, false, hdmiConfig{Width: 16, Height: 8, X: 3, Y: 3, Scale: 1},
			[]string{"open fb0", "FBIOGET_VSCREENINFO", "FBIOGET_FSCREENINFO"}},
		{"RGB565 panned", formatRGB565, 320*2 + 32, 400, true, hdmiConfig{Width: 16, Height: 8, X: 1, Y: 2, Scale: 1},
			[]string{"open fb0", "FBIOGET_VSCREENINFO", "FBIOGET_FSCREENINFO", "FBIOPAN_DISPLAY y=0", "FBIOPAN_DISPLAY y=200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeVideo(t)
			dev := fake.addFB("/dev/fb0", 320, 200, tc.vh, tc.stride, tc.format, tc.vsync)
			c := tc.cfg
			c.Backend = "fbdev"
			d, err := openHDMI(c, fake)
			if err != nil {
				t.Fatal(err)
			}
			frame := hdmiFrame(c.Width, c.Height)
			if err := d.Draw(frame); err != nil {
				t.Fatal(err)
			}
			mem, stride := dev.screen(t)
			checkScreen(t, mem, stride, 320, 200, tc.format, c, frame, 100, 0xAA)
			if !slices.Equal(fake.calls, tc.calls) {
				t.Errorf("calls %q, want %q", fake.calls, tc.calls)
			}
			if tc.vsync && dev.vsyncs < 2 {
				t.Errorf("%d waits for vsync: the frame was not paced", dev.vsyncs)
			}
			if st := d.State(); !st.Up || !strings.Contains(st.Mode, "fbdev /dev/fb0") || !strings.Contains(st.Mode, tc.format.name) {
				t.Errorf("state %+v", st)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestHDMIBrightnessAndHalt: brightness scales the window's colours;
// Halt leaves the window black.
func TestHDMIBrightnessAndHalt(t *testing.T) {
	fake := newFakeVideo(t)
	dev := fake.addFB("/dev/fb0", 64, 48, 48, 64*4, formatXRGB8888, false)
	c := hdmiConfig{Width: 8, Height: 4, X: 3, Y: 5, Scale: 2, Backend: "fbdev"}
	d, err := openHDMI(c, fake)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	frame := hdmiFrame(8, 4)
	d.SetBrightness(50)
	d.Draw(frame)
	mem, stride := dev.screen(t)
	checkScreen(t, mem, stride, 64, 48, formatXRGB8888, c, frame, 50, -1)
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	mem, _ = dev.screen(t)
	checkScreen(t, mem, stride, 64, 48, formatXRGB8888, c, image.NewRGBA(frame.Rect), 100, -1)
}

// TestHDMIDRMDumbBufferSequence: the DRM backend makes the ioctl calls a
// KMS client must, in order (master, dumb-buffer capability, resources,
// each connector probed then read, the encoder's CRTC, two dumb buffers
// created, added and mapped, SETCRTC with the preferred mode on the
// connected connector), page-flips to the other buffer each frame, and
// every pixel of each frame is in the window of the buffer on screen,
// stride (a pitch longer than the line) honoured, the rest black.
func TestHDMIDRMDumbBufferSequence(t *testing.T) {
	fake := newFakeVideo(t)
	dev := fake.addDRM("/dev/dri/card0")
	c := hdmiConfig{Width: 32, Height: 16, X: 600, Y: 500, Scale: 2, Backend: "drm"}
	d, err := openHDMI(c, fake)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"open card0", "SET_MASTER", "GET_CAP 1",
		"GETRESOURCES conns=0 crtcs=0", "GETRESOURCES conns=2 crtcs=2",
		"GETCONNECTOR 30 modes=0", "GETCONNECTOR 30 modes=1",
		"GETCONNECTOR 31 modes=0", "GETCONNECTOR 31 modes=2",
		"GETENCODER 41",
		"CREATE_DUMB 800x600 bpp=32", "ADDFB 800x600 pitch=3264 bpp=32 depth=24 handle=1", "MAP_DUMB handle=1",
		"CREATE_DUMB 800x600 bpp=32", "ADDFB 800x600 pitch=3264 bpp=32 depth=24 handle=2", "MAP_DUMB handle=2",
		"SETCRTC crtc=51 fb=101 conns=[31] mode=800x600",
	}
	if !slices.Equal(fake.calls, want) {
		t.Fatalf("open:\n got %q\nwant %q", fake.calls, want)
	}
	for i, fb := range []int{102, 101, 102} {
		fake.calls = nil
		frame := hdmiFrame(c.Width, c.Height)
		frame.Pix[0] = uint8(i) // a different first pixel each frame
		if err := d.Draw(frame); err != nil {
			t.Fatal(err)
		}
		if w := []string{"PAGE_FLIP crtc=51 fb=" + strconv.Itoa(fb) + " flags=1"}; !slices.Equal(fake.calls, w) {
			t.Fatalf("frame %d: calls %q, want %q", i, fake.calls, w)
		}
		mem, stride := dev.screen(t)
		checkScreen(t, mem, stride, 800, 600, formatXRGB8888, c, frame, 100, 0)
	}
	st := d.State()
	if !strings.Contains(st.Mode, "drm /dev/dri/card0 HDMI-A-1 800x600@60Hz XRGB8888") || st.Dropped != 0 {
		t.Errorf("state %+v", st)
	}
	fake.calls = nil
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	want = []string{"PAGE_FLIP crtc=51 fb=101 flags=1", "RMFB 102", "DESTROY_DUMB 2", "RMFB 101", "DESTROY_DUMB 1", "DROP_MASTER", "close"}
	if !slices.Equal(fake.calls, want) {
		t.Fatalf("close:\n got %q\nwant %q", fake.calls, want)
	}
}

// TestHDMIDRMMissedFlip: a frame drawn while the previous flip's event
// has not come is dropped, not drawn into the buffer on screen, and
// counted in State.Dropped; once the event comes, frames flip again.
func TestHDMIDRMMissedFlip(t *testing.T) {
	fake := newFakeVideo(t)
	dev := fake.addDRM("/dev/dri/card0")
	c := hdmiConfig{Width: 4, Height: 4, Scale: 1, Backend: "drm"}
	d, err := openHDMI(c, fake)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	first, second, third := hdmiFrame(4, 4), hdmiFrame(4, 4), image.NewRGBA(image.Rect(0, 0, 4, 4))
	second.Pix[0] = 99
	if err := d.Draw(first); err != nil {
		t.Fatal(err)
	}
	dev.holdEvents = true
	if err := d.Draw(second); err != nil { // its flip stays pending
		t.Fatal(err)
	}
	if err := d.Draw(third); err != nil { // must not touch the buffer on screen
		t.Fatal(err)
	}
	mem, stride := dev.screen(t)
	checkScreen(t, mem, stride, 800, 600, formatXRGB8888, c, first, 100, 0)
	if st := d.State(); st.Dropped != 1 || !st.Up {
		t.Fatalf("after a missed flip: %+v", st)
	}
	dev.vblank()
	fake.calls = nil
	if err := d.Draw(third); err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 1 || !strings.HasPrefix(fake.calls[0], "PAGE_FLIP") {
		t.Fatalf("after the event: calls %q", fake.calls)
	}
	mem, _ = dev.screen(t)
	checkScreen(t, mem, stride, 800, 600, formatXRGB8888, c, third, 100, 0)
}

// TestHDMIFallsBackToFBDev: with backend auto, a DRM card that another
// program holds (no master) is passed over for the framebuffer, and the
// mode says so and why.
func TestHDMIFallsBackToFBDev(t *testing.T) {
	fake := newFakeVideo(t)
	fake.addDRM("/dev/dri/card0").noMaster = true
	dev := fake.addFB("/dev/fb0", 64, 32, 32, 64*4, formatXRGB8888, false)
	c := hdmiConfig{Width: 8, Height: 8, Scale: 1, Backend: "auto"}
	d, err := openHDMI(c, fake)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	mode := d.State().Mode
	if !strings.HasPrefix(mode, "fbdev /dev/fb0") || !strings.Contains(mode, "fallback: drm /dev/dri/card0: not DRM master") {
		t.Fatalf("mode %q", mode)
	}
	if want := []string{"open card0", "SET_MASTER", "close", "open fb0"}; !slices.Equal(fake.calls[:4], want) {
		t.Fatalf("calls %q, want %q first", fake.calls, want)
	}
	frame := hdmiFrame(8, 8)
	d.Draw(frame)
	mem, stride := dev.screen(t)
	checkScreen(t, mem, stride, 64, 32, formatXRGB8888, c, frame, 100, -1)

	// A card with no connected connector is passed over too.
	fake = newFakeVideo(t)
	drm := fake.addDRM("/dev/dri/card0")
	drm.conns = drm.conns[:1]
	fake.addFB("/dev/fb0", 64, 32, 32, 64*4, formatXRGB8888, false)
	d2, err := openHDMI(c, fake)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if m := d2.State().Mode; !strings.Contains(m, "no connected connector ([DVI-D-1 not connected])") {
		t.Fatalf("mode %q", m)
	}
}

// TestHDMIRefusesWhatCannotWork: a window larger than the output, a
// missing device and an unsupported pixel format are errors that say
// what to change.
func TestHDMIRefusesWhatCannotWork(t *testing.T) {
	fake := newFakeVideo(t)
	fake.addFB("/dev/fb0", 64, 32, 32, 64*4, formatXRGB8888, false)
	_, err := openHDMI(hdmiConfig{Width: 32, Height: 16, X: 40, Scale: 1, Backend: "fbdev"}, fake)
	if err == nil || !strings.Contains(err.Error(), "does not fit the output's 64x32") {
		t.Errorf("window past the edge: %v", err)
	}
	_, err = openHDMI(hdmiConfig{Width: 8, Height: 8, Scale: 1, Backend: "drm"}, fake)
	if err == nil || !strings.Contains(err.Error(), "drm /dev/dri/card0") {
		t.Errorf("no card: %v", err)
	}
	f8 := newFakeVideo(t)
	dev := f8.addFB("/dev/fb0", 64, 32, 32, 64, formatXRGB8888, false)
	dev.vinfo.BitsPerPixel = 8
	_, err = openHDMI(hdmiConfig{Width: 8, Height: 8, Scale: 1, Backend: "fbdev"}, f8)
	if err == nil || !strings.Contains(err.Error(), "8 bits per pixel") {
		t.Errorf("8 bpp: %v", err)
	}
	if n := len(f8.fds); n != 0 {
		t.Errorf("%d device(s) left open after a failed open", n)
	}
}

func TestHDMISettings(t *testing.T) {
	if err := Check("hdmi", Settings{"width": 128, "height": 64, "backend": "auto", "device": "", "x": 0, "y": 0, "scale": 1, "brightness": 100}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s        Settings
		key, msg string
	}{
		{Settings{"width": 128}, "height", "is missing"},
		{Settings{"width": 128, "height": 64, "backend": "x11"}, "backend", "use one of auto, drm, fbdev"},
		{Settings{"width": 128, "height": 64, "device": "/dev/video0"}, "device", "with backend auto the device must be"},
		{Settings{"width": 128, "height": 64, "scale": 0}, "scale", "out of range"},
		{Settings{"width": 4096, "height": 64, "scale": 8}, "scale", "reaches past 16384"},
		{Settings{"width": 128, "height": 64, "host": "10.0.0.1"}, "host", "is not a setting of this driver"},
	} {
		err := Check("hdmi", tc.s)
		var se *SettingError
		if !errors.As(err, &se) || se.Key != tc.key || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: err %v, want key %q and %q", tc.s, err, tc.key, tc.msg)
		}
	}
	for dev, want := range map[string]string{"": "drm /dev/dri/card0,fbdev /dev/fb0", "/dev/fb1": "fbdev /dev/fb1", "/dev/dri/card1": "drm /dev/dri/card1,fbdev /dev/fb0"} {
		var got []string
		for _, o := range (hdmiConfig{Backend: "auto", Device: dev}).outputs() {
			got = append(got, o[0]+" "+o[1])
		}
		if strings.Join(got, ",") != want {
			t.Errorf("device %q: outputs %v, want %s", dev, got, want)
		}
	}
}

// TestFormatOf: the pixel format is read from the var screeninfo's
// bitfields; what the blit cannot pack is refused, saying what it is.
func TestFormatOf(t *testing.T) {
	v := func(bits uint32, r, g, b, a fbBitfield) *fbVarScreenInfo {
		return &fbVarScreenInfo{BitsPerPixel: bits, Red: r, Green: g, Blue: b, Transp: a}
	}
	bf := func(off, n uint32) fbBitfield { return fbBitfield{Offset: off, Length: n} }
	for _, tc := range []struct {
		v    *fbVarScreenInfo
		name string // or the error
	}{
		{v(32, bf(16, 8), bf(8, 8), bf(0, 8), bf(0, 0)), "XRGB8888"},
		{v(32, bf(16, 8), bf(8, 8), bf(0, 8), bf(24, 8)), "ARGB8888"},
		{v(16, bf(11, 5), bf(5, 6), bf(0, 5), bf(0, 0)), "RGB565"},
		{v(16, bf(0, 5), bf(5, 6), bf(11, 5), bf(0, 0)), "16bpp r5@0 g6@5 b5@11 a0@0"},
		{v(32, bf(20, 10), bf(10, 10), bf(0, 10), bf(30, 2)), "pixel format 32bpp r10@20 g10@10 b10@0 a2@30 is not supported"},
		{v(8, bf(0, 3), bf(3, 3), bf(6, 2), bf(0, 0)), "8 bits per pixel: only 16, 24 and 32 are supported"},
	} {
		f, err := formatOf(tc.v)
		got := f.name
		if err != nil {
			got = err.Error()
		}
		if got != tc.name {
			t.Errorf("%s: got %q", tc.name, got)
		}
	}
}

// TestHDMIFBDevDrawsWhereTheScreenIs: a framebuffer showing the second
// half of its virtual screen, whose driver refuses to pan, gets the frame
// in that half, where the picture is.
func TestHDMIFBDevDrawsWhereTheScreenIs(t *testing.T) {
	fake := newFakeVideo(t)
	dev := fake.addFB("/dev/fb0", 64, 32, 64, 64*4, formatXRGB8888, false)
	dev.vinfo.YOffset, dev.noPan = 32, true
	c := hdmiConfig{Width: 8, Height: 4, X: 2, Y: 3, Scale: 1, Backend: "fbdev"}
	d, err := openHDMI(c, fake)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	frame := hdmiFrame(8, 4)
	d.Draw(frame)
	mem, stride := dev.screen(t)
	checkScreen(t, mem, stride, 64, 32, formatXRGB8888, c, frame, 100, -1)
}
