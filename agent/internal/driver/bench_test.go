package driver

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkDrivers measures one frame of each protocol, end to end:
// mapping (serpentine, GRB, gamma 2.2, 80 % brightness), packetizing and
// sending. Network drivers send over real loopback UDP to a socket nobody
// reads (the kernel drops what overflows; the send cost is paid in full);
// serial drivers write to io.Discard, since a pty paces nothing.
//
// Reported per frame: fps (1/time), us/frame, allocs (b.ReportAllocs),
// limit_fps (what the wire carries at most: 100 Mbit Ethernet with 66
// bytes of Ethernet/IP/UDP overhead per packet, as in PROTOCOLS.md, or
// the serial line at the profile's baud), and cpu_at_limit_% (the share of
// one core the driver needs to keep up with that limit). scripts/bench.sh
// turns these into the lines `make bench` prints.
func BenchmarkDrivers(b *testing.B) {
	panels := [][2]int{{64, 32}, {128, 64}, {256, 128}, {384, 192}}
	for _, name := range []string{"ddp", "e131", "artnet", "tpm2net", "tpm2", "adalight"} {
		for _, p := range panels {
			w, h := p[0], p[1]
			b.Run(fmt.Sprintf("%s/%dx%d", name, w, h), func(b *testing.B) {
				d, limit, err := benchDriver(b, name, w, h)
				if err != nil {
					b.Skip(err) // e.g. TPM2 cannot carry 256×128 in one packet
				}
				defer d.Close()
				benchFrames(b, d, w, h, limit)
			})
		}
	}
}

const (
	ethBytesPerSec = 100e6 / 8
	udpOverhead    = 66 // Ethernet + IPv4 + UDP, with preamble and gap
)

// wireLimit is the highest frame rate the transport carries for n LEDs.
func wireLimit(name string, n int) float64 {
	packets := func(per int) (int, int) { return (n + per - 1) / per, n % per }
	var bytes int
	switch name {
	case "ddp":
		k, _ := packets(480)
		bytes = k*(udpOverhead+10) + 3*n
	case "e131":
		k, _ := packets(170)
		bytes = k*(udpOverhead+126) + 3*n
	case "artnet":
		k, _ := packets(170)
		bytes = k*(udpOverhead+18) + 3*n
	case "tpm2net":
		k, _ := packets(480)
		bytes = k*(udpOverhead+7) + 3*n
	case "tpm2": // 921600 baud 8N1, the profile's default
		return 921600 / 10 / float64(5+3*n)
	case "adalight": // 115200 baud 8N1
		return 115200 / 10 / float64(6+3*n)
	}
	return ethBytesPerSec / float64(bytes)
}

func benchDriver(b *testing.B, name string, w, h int) (Driver, float64, error) {
	c := plain(w, h)
	c.Gamma, c.Brightness, c.Serpentine, c.ColourOrder = 2.2, 80, "rows", "GRB"
	limit := wireLimit(name, w*h)
	switch name {
	case "tpm2":
		d, err := NewTPM2(io.Discard, c)
		return d, limit, err
	case "adalight":
		d, err := NewAdalight(io.Discard, c)
		return d, limit, err
	}
	_, port := udpSinkB(b)
	s := Settings{"width": w, "height": h, "host": "127.0.0.1", "port": port, "serpentine": "rows", "colour_order": "GRB", "brightness": 80}
	d, err := Open(name, s)
	return d, limit, err
}
