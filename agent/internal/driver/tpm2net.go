package driver

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// TPM2.net constants (PROTOCOLS.md; hyperion.ng LedDeviceTpm2net, WLED udp.cpp).
const (
	TPM2NetPort         = 65506
	tpm2netPerPacketDef = 480 // 1440 bytes: fits a 1500-byte MTU
	tpm2netMaxPackets   = 255 // the packet count is one byte
	tpm2netOverhead     = 7   // header 6 + trailer 1
	// tpm2netMaxPerPacket is the most pixels one packet carries without
	// exceeding one Ethernet frame: (1472 − 7) / 3 = 488.
	tpm2netMaxPerPacket = (MaxUDPPayload - tpm2netOverhead) / 3
)

type tpm2netFramer struct {
	pacer
	w    PacketWriter
	per  int // bytes per packet
	px   []byte
	pkts [][]byte // headers and trailers written at open
	to   []netip.AddrPort
}

// NewTPM2Net returns a TPM2.net driver. A frame is split into packets of
// pixelsPerPacket pixels (the last may be shorter), numbered from 1, each
// carrying the packet count. WLED takes the first packet's size as every
// packet's size, so all but the last are full.
func NewTPM2Net(w PacketWriter, to netip.AddrPort, panel mapping.Config, pixelsPerPacket int) (*Pixels, error) {
	if pixelsPerPacket == 0 {
		pixelsPerPacket = tpm2netPerPacketDef
	}
	n := panel.Width * panel.Height
	if e := tpm2netRange(n, pixelsPerPacket); e != nil {
		return nil, fmt.Errorf("tpm2net: %s", e.Msg)
	}
	per := 3 * pixelsPerPacket
	f := &tpm2netFramer{w: w, per: per, px: make([]byte, 3*n)}
	count := (3*n + per - 1) / per
	for i := 0; i < count; i++ {
		size := min(per, 3*n-i*per)
		p := make([]byte, 7+size)
		p[0], p[1] = 0x9C, 0xDA
		binary.BigEndian.PutUint16(p[2:], uint16(size))
		p[4], p[5] = byte(i+1), byte(count)
		p[6+size] = 0x36
		f.pkts = append(f.pkts, p)
		f.to = append(f.to, to)
	}
	return newPixelDriver("tpm2net", panel, f)
}

func tpm2netRange(n, per int) *SettingError {
	if per > tpm2netMaxPerPacket {
		return &SettingError{Key: "pixels_per_packet", Msg: fmt.Sprintf("%d makes %d-byte UDP packets, larger than one Ethernet frame (%d bytes of UDP data at a 1500-byte MTU), which the network fragments and small receivers drop: use at most %d", per, 3*per+tpm2netOverhead, MaxUDPPayload, tpm2netMaxPerPacket)}
	}
	if packets := (n + per - 1) / per; packets > tpm2netMaxPackets {
		need := (n + tpm2netMaxPackets - 1) / tpm2netMaxPackets
		if need > tpm2netMaxPerPacket {
			return &SettingError{Key: "pixels_per_packet", Msg: fmt.Sprintf("%d pixels need %d packets of %d: TPM2.net numbers at most %d packets per frame, and packets of one Ethernet frame carry at most %d pixels, so one TPM2.net output carries at most %d pixels: split the panel over several outputs, or use DDP or E1.31", n, packets, per, tpm2netMaxPackets, tpm2netMaxPerPacket, tpm2netMaxPackets*tpm2netMaxPerPacket)}
		}
		return &SettingError{Key: "pixels_per_packet", Msg: fmt.Sprintf("%d pixels need %d packets of %d: TPM2.net numbers at most %d packets per frame (raise pixels_per_packet to %d–%d)", n, packets, per, tpm2netMaxPackets, need, tpm2netMaxPerPacket)}
	}
	return nil
}

func (f *tpm2netFramer) payload() []byte { return f.px }

func (f *tpm2netFramer) send() error {
	for i, p := range f.pkts {
		copy(p[6:len(p)-1], f.px[i*f.per:])
	}
	return f.out(f.w, f.pkts, f.to)
}

func (f *tpm2netFramer) close() error { return f.w.Close() }

func tpm2netSettings(s Settings) (panel mapping.Config, per int, host string, port int, err error) {
	r := newReader(s)
	panel = r.panel()
	host, port = r.net(TPM2NetPort)
	per = r.int("pixels_per_packet", tpm2netPerPacketDef, 1, 0xFFFF/3) // tpm2netRange bounds it to one Ethernet frame
	if r.err == nil {
		if e := tpm2netRange(panel.Width*panel.Height, per); e != nil {
			r.fail(e.Key, "%s", e.Msg)
		}
	}
	return panel, per, host, port, r.done("tpm2net")
}

func init() {
	Register("tpm2net", Kind{
		Check: func(s Settings) error { _, _, _, _, err := tpm2netSettings(s); return err },
		Open: func(s Settings) (Driver, error) {
			_, _, host, port, err := tpm2netSettings(s)
			if err != nil {
				return nil, err
			}
			c, to, err := openUDP("tpm2net", host, port)
			if err != nil {
				return nil, err
			}
			d, err := builders["tpm2net"](s, c, to)
			if err != nil {
				c.Close()
				return nil, err
			}
			return d, nil
		},
	})
	builders["tpm2net"] = func(s Settings, w PacketWriter, to netip.AddrPort) (*Pixels, error) {
		panel, per, _, _, err := tpm2netSettings(s)
		if err != nil {
			return nil, err
		}
		d, err := NewTPM2Net(w, to, panel, per)
		if err == nil {
			d.setLink(linkOf(s))
		}
		return d, err
	}
}
