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
)

type tpm2netFramer struct {
	w   PacketWriter
	to  netip.AddrPort
	per int // bytes per packet
	px  []byte
	pkt []byte
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
	f := &tpm2netFramer{w: w, to: to, per: per, px: make([]byte, 3*n), pkt: make([]byte, 7+per)}
	return newPixelDriver("tpm2net", panel, f)
}

func tpm2netRange(n, per int) *SettingError {
	if packets := (n + per - 1) / per; packets > tpm2netMaxPackets {
		return &SettingError{Key: "pixels_per_packet", Msg: fmt.Sprintf("%d pixels need %d packets of %d: TPM2.net numbers at most %d packets per frame (raise pixels_per_packet to %d or more)", n, packets, per, tpm2netMaxPackets, (n+tpm2netMaxPackets-1)/tpm2netMaxPackets)}
	}
	return nil
}

func (f *tpm2netFramer) payload() []byte { return f.px }

func (f *tpm2netFramer) send() error {
	count := (len(f.px) + f.per - 1) / f.per
	for i := 0; i < count; i++ {
		off := i * f.per
		n := min(f.per, len(f.px)-off)
		p := f.pkt[:7+n]
		p[0], p[1] = 0x9C, 0xDA
		binary.BigEndian.PutUint16(p[2:], uint16(n))
		p[4], p[5] = byte(i+1), byte(count)
		copy(p[6:], f.px[off:off+n])
		p[6+n] = 0x36
		if _, err := f.w.WriteToUDPAddrPort(p, f.to); err != nil {
			return err
		}
	}
	return nil
}

func (f *tpm2netFramer) close() error { return f.w.Close() }

func tpm2netSettings(s Settings) (panel mapping.Config, per int, host string, port int, err error) {
	r := newReader(s)
	panel = r.panel()
	host, port = r.net(TPM2NetPort)
	per = r.int("pixels_per_packet", tpm2netPerPacketDef, 1, 21800) // one UDP datagram
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
			panel, per, host, port, err := tpm2netSettings(s)
			if err != nil {
				return nil, err
			}
			c, to, err := openUDP("tpm2net", host, port)
			if err != nil {
				return nil, err
			}
			d, err := NewTPM2Net(c, to, panel, per)
			if err != nil {
				c.Close()
				return nil, err
			}
			return d, nil
		},
	})
}
