package driver

import (
	"fmt"
	"testing"
)

// benchPanels are the panels the receiving-card drivers are measured at.
var benchPanels = [][2]int{{128, 64}, {256, 128}}

// BenchmarkColorlight measures one Colorlight frame end to end: colour
// mapping, the row packets and sending them (brightness, rows, display
// frame) with sendmmsg on a raw socket on the loopback interface, which
// the kernel loops back and drops (no handler takes those EtherTypes).
// It needs CAP_NET_RAW, and skips without it. limit_fps is what a gigabit
// link (the 5A-75's) carries: every frame costs its bytes plus 24 of
// preamble, checksum and gap.
func BenchmarkColorlight(b *testing.B) {
	for _, p := range benchPanels {
		w, h := p[0], p[1]
		b.Run(fmt.Sprintf("%dx%d", w, h), func(b *testing.B) {
			sock, err := openRawEthernet("colorlight", "lo")
			if err != nil {
				b.Skip(err)
			}
			c := plain(w, h)
			c.ColourOrder = "BGR"
			d, err := NewColorlight(sock, c, ColorlightOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			wire := 0
			for _, pkt := range d.pkts {
				wire += len(pkt) + 24
			}
			benchFrames(b, d, w, h, 1000e6/8/float64(wire))
		})
	}
}

// BenchmarkFlaschenTaschen measures one Flaschen-Taschen frame end to
// end over loopback UDP to a socket nobody reads, as BenchmarkDrivers
// does. limit_fps is what 100 Mbit carries, IP fragments counted (MaxFPS).
func BenchmarkFlaschenTaschen(b *testing.B) {
	for _, p := range benchPanels {
		w, h := p[0], p[1]
		b.Run(fmt.Sprintf("%dx%d", w, h), func(b *testing.B) {
			_, port := udpSinkB(b)
			s := Settings{"width": w, "height": h, "host": "127.0.0.1", "port": port, "gamma": 2.2, "brightness": 80}
			d, err := Open("flaschentaschen", s)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			limit, _, err := MaxFPS("flaschentaschen", s)
			if err != nil {
				b.Fatal(err)
			}
			benchFrames(b, d, w, h, limit)
		})
	}
}

// benchFrames draws frames for b and reports the figures scripts/bench.sh
// prints.
func benchFrames(b *testing.B, d Driver, w, h int, limit float64) {
	frame := testFrame(w, h)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := d.Draw(frame); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(1/sec, "fps")
	b.ReportMetric(sec*1e6, "us/frame")
	b.ReportMetric(limit, "limit_fps")
	b.ReportMetric(100*sec*limit, "cpu_at_limit_%")
}
