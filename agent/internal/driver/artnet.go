package driver

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// Art-Net constants (Art-Net 4; PROTOCOLS.md).
const (
	ArtNetPort           = 6454
	artnetHeader         = 18
	artnetPixelsPerUni   = 170 // 510 channels
	artnetMaxPortAddress = 1<<15 - 1
	artnetOpDmx          = 0x5000
	artnetOpSync         = 0x5200
)

// ArtNetOptions are the protocol settings of an Art-Net output.
type ArtNetOptions struct {
	// PortAddress is the first universe's 15-bit Port-Address:
	// Net<<8 | SubNet<<4 | Universe. Following universes count up from it.
	PortAddress       int
	PixelsPerUniverse int  // 1–170; default 170
	Sync              bool // send ArtSync after each frame
}

type artnetFramer struct {
	pacer
	w    PacketWriter
	per  int // bytes per universe
	n    int // universes
	seq  byte
	px   []byte
	pkts [][]byte // one ArtDmx per universe, then ArtSync if asked
	to   []netip.AddrPort
}

// NewArtNet returns an Art-Net driver sending ArtDmx (and ArtSync) to to.
// A universe's data length is padded to an even count, as the spec asks.
func NewArtNet(w PacketWriter, to netip.AddrPort, panel mapping.Config, o ArtNetOptions) (*Pixels, error) {
	if o.PixelsPerUniverse == 0 {
		o.PixelsPerUniverse = artnetPixelsPerUni
	}
	n := panel.Width * panel.Height
	count := (n + o.PixelsPerUniverse - 1) / o.PixelsPerUniverse
	if e := artnetRange(o.PortAddress, count); e != nil {
		return nil, fmt.Errorf("artnet: %s", e.Msg)
	}
	per := 3 * o.PixelsPerUniverse
	f := &artnetFramer{w: w, per: per, n: count, px: make([]byte, 3*n)}
	for i := 0; i < count; i++ {
		size := min(per, 3*n-i*per)
		length := size + size%2
		p := make([]byte, artnetHeader+length) // a pad byte stays 0
		copy(p, "Art-Net\x00")
		binary.LittleEndian.PutUint16(p[8:], artnetOpDmx)
		binary.BigEndian.PutUint16(p[10:], 14)
		pa := o.PortAddress + i
		p[14] = byte(pa & 0xff) // SubNet<<4 | Universe
		p[15] = byte(pa >> 8)   // Net
		binary.BigEndian.PutUint16(p[16:], uint16(length))
		f.pkts = append(f.pkts, p)
		f.to = append(f.to, to)
	}
	if o.Sync {
		s := make([]byte, 14)
		copy(s, "Art-Net\x00")
		binary.LittleEndian.PutUint16(s[8:], artnetOpSync)
		binary.BigEndian.PutUint16(s[10:], 14)
		f.pkts = append(f.pkts, s)
		f.to = append(f.to, to)
	}
	return newPixelDriver("artnet", panel, f)
}

func artnetRange(first, count int) *SettingError {
	if last := first + count - 1; last > artnetMaxPortAddress {
		return &SettingError{Key: "net", Msg: fmt.Sprintf("the panel needs %d universes from Port-Address %d, up to %d: beyond Art-Net's last, %d", count, first, last, artnetMaxPortAddress)}
	}
	return nil
}

func (f *artnetFramer) payload() []byte { return f.px }

func (f *artnetFramer) send() error {
	f.seq = f.seq%255 + 1 // 0 would disable sequencing at the receiver
	for i, p := range f.pkts[:f.n] {
		p[12] = f.seq
		size := min(f.per, len(f.px)-i*f.per)
		copy(p[artnetHeader:artnetHeader+size], f.px[i*f.per:])
	}
	return f.out(f.w, f.pkts, f.to)
}

func (f *artnetFramer) close() error { return f.w.Close() }

func artnetSettings(s Settings) (panel mapping.Config, o ArtNetOptions, host string, port int, err error) {
	r := newReader(s)
	panel = r.panel()
	host, port = r.net(ArtNetPort)
	net := r.int("net", 0, 0, 127)
	sub := r.int("subnet", 0, 0, 15)
	uni := r.int("universe", 0, 0, 15)
	o.PortAddress = net<<8 | sub<<4 | uni
	o.PixelsPerUniverse = r.int("pixels_per_universe", artnetPixelsPerUni, 1, artnetPixelsPerUni)
	o.Sync = r.bool("sync", false)
	if r.err == nil {
		n := panel.Width * panel.Height
		if e := artnetRange(o.PortAddress, (n+o.PixelsPerUniverse-1)/o.PixelsPerUniverse); e != nil {
			r.fail(e.Key, "%s", e.Msg)
		}
	}
	return panel, o, host, port, r.done("artnet")
}

func init() {
	Register("artnet", Kind{
		Check: func(s Settings) error { _, _, _, _, err := artnetSettings(s); return err },
		Open: func(s Settings) (Driver, error) {
			_, _, host, port, err := artnetSettings(s)
			if err != nil {
				return nil, err
			}
			c, to, err := openUDP("artnet", host, port)
			if err != nil {
				return nil, err
			}
			d, err := builders["artnet"](s, c, to)
			if err != nil {
				c.Close()
				return nil, err
			}
			return d, nil
		},
	})
	builders["artnet"] = func(s Settings, w PacketWriter, to netip.AddrPort) (*Pixels, error) {
		panel, o, _, _, err := artnetSettings(s)
		if err != nil {
			return nil, err
		}
		d, err := NewArtNet(w, to, panel, o)
		if err == nil {
			d.setLink(linkOf(s))
		}
		return d, err
	}
}
