package driver

import (
	"fmt"
	"testing"
)

// BenchmarkHDMI measures one frame of the video output: a w×h canvas
// packed into a 1920×1080 XRGB8888 buffer at the window (scale 1, and
// scale 8 for a card whose window is 8 times the canvas), then shown.
// fbdev: a file-backed framebuffer mapped for real (no vsync wait: the
// fake has none, so the figure is the drawing cost alone). drm: the
// dumb-buffer double with a page flip and its event per frame.
// scripts/bench.sh prints these as `driver=hdmi …` lines.
func BenchmarkHDMI(b *testing.B) {
	for _, backend := range []string{"fbdev", "drm"} {
		for _, scale := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/128x64/scale%d", backend, scale), func(b *testing.B) {
				fake := newFakeVideo(b)
				if backend == "fbdev" {
					fake.addFB("/dev/fb0", 1920, 1080, 1080, 1920*4, formatXRGB8888, false)
				} else {
					dev := fake.addDRM("/dev/dri/card0")
					dev.conns[1].modes[1].HDisplay, dev.conns[1].modes[1].VDisplay = 1920, 1080
				}
				d, err := openHDMI(hdmiConfig{Width: 128, Height: 64, X: 64, Y: 32, Scale: scale, Backend: backend}, fake)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				fake.quiet = true
				frame := hdmiFrame(128, 64)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if err := d.Draw(frame); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "us/frame")
			})
		}
	}
}
