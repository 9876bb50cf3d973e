package driver

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// DDP defaults and limits (PROTOCOLS.md, 3waylabs.com/ddp).
const (
	DDPPort        = 4048
	ddpHeader      = 10
	ddpMaxPayload  = 1440 // 480 RGB pixels: the spec's sample, WLED, xLights
	ddpFlagsV1     = 0x40
	ddpFlagPush    = 0x01
	ddpTypeRGB8    = 0x0B
	ddpDestDefault = 1
)

// DDPOptions are the protocol settings of a DDP output.
type DDPOptions struct {
	Destination byte // 1 = default output
}

type ddpFramer struct {
	pacer
	w    PacketWriter
	seq  byte
	px   []byte
	pkts [][]byte // one frame's packets, headers written at open
	to   []netip.AddrPort
}

// NewDDP returns a DDP driver sending to to over w. Each frame is sent as
// packets of at most 1440 data bytes; the last one carries PUSH. The
// sequence number counts packets 1–15 and wraps: the spec says it "should be
// incremented with each new packet sent".
func NewDDP(w PacketWriter, to netip.AddrPort, panel mapping.Config, o DDPOptions) (*Pixels, error) {
	if o.Destination == 0 {
		o.Destination = ddpDestDefault
	}
	n := panel.Width * panel.Height
	f := &ddpFramer{w: w, px: make([]byte, 3*n)}
	for off := 0; off < 3*n; off += ddpMaxPayload {
		size := min(ddpMaxPayload, 3*n-off)
		p := make([]byte, ddpHeader+size)
		p[0] = ddpFlagsV1
		if off+size == 3*n {
			p[0] |= ddpFlagPush
		}
		p[2] = ddpTypeRGB8
		p[3] = o.Destination
		binary.BigEndian.PutUint32(p[4:], uint32(off))
		binary.BigEndian.PutUint16(p[8:], uint16(size))
		f.pkts = append(f.pkts, p)
		f.to = append(f.to, to)
	}
	return newPixelDriver("ddp", panel, f)
}

func (f *ddpFramer) payload() []byte { return f.px }

func (f *ddpFramer) send() error {
	for i, p := range f.pkts {
		f.seq = f.seq%15 + 1
		p[1] = f.seq
		copy(p[ddpHeader:], f.px[i*ddpMaxPayload:])
	}
	return f.out(f.w, f.pkts, f.to)
}

// DDP has no "off": no flag or destination in the 3waylabs spec says it,
// and WLED's receiver (wled00/e131.cpp, handleDDPPacket) only takes pixel
// data, re-arming its realtime lock (2.5 s by default) with every packet.
// So the DDP framer has no off(): the player keeps sending black frames
// while the screen is off. Sending black once and stopping would not keep
// a WLED dark: 2.5 s later it leaves realtime mode and shows its own
// effect again.

func (f *ddpFramer) close() error { return f.w.Close() }

func ddpSettings(s Settings) (panel mapping.Config, o DDPOptions, host string, port int, err error) {
	r := newReader(s)
	panel = r.panel()
	host, port = r.net(DDPPort)
	o.Destination = byte(r.int("destination", ddpDestDefault, 1, 255))
	return panel, o, host, port, r.done("ddp")
}

func init() {
	Register("ddp", Kind{
		Check: func(s Settings) error { _, _, _, _, err := ddpSettings(s); return err },
		Open: func(s Settings) (Driver, error) {
			_, _, host, port, err := ddpSettings(s)
			if err != nil {
				return nil, err
			}
			c, to, err := openUDP("ddp", host, port)
			if err != nil {
				return nil, err
			}
			d, err := builders["ddp"](s, c, to)
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("ddp: %w", err)
			}
			return d, nil
		},
	})
	builders["ddp"] = func(s Settings, w PacketWriter, to netip.AddrPort) (*Pixels, error) {
		panel, o, _, _, err := ddpSettings(s)
		if err != nil {
			return nil, err
		}
		d, err := NewDDP(w, to, panel, o)
		if err == nil {
			d.setLink(linkOf(s))
		}
		return d, err
	}
}
