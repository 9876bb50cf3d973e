package driver

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// E1.31 (sACN) constants (ANSI E1.31-2018; PROTOCOLS.md).
const (
	E131Port         = 5568
	e131MaxUniverse  = 63999
	e131PixelsPerUni = 170 // 510 slots
	e131Header       = 126 // up to and including the DMX start code
	e131SyncLen      = 49
	e131OptTerminate = 0x40 // options bit 6, Stream_Terminated (§6.2.6)
	e131Terminations = 3    // packets a source sends with it when it stops (§6.2.6)
)

// E131Options are the protocol settings of an E1.31 output.
type E131Options struct {
	Universe          int      // first universe, 1–63999
	PixelsPerUniverse int      // 1–170; default 170
	Priority          int      // 0–200; default 100
	SourceName        string   // at most 63 bytes
	CID               [16]byte // the source's identity; keep it across restarts
	Multicast         bool     // send universe u to 239.255.u>>8.u&255
	SyncUniverse      int      // 0: none; else send a sync packet on it after each frame
}

type e131Framer struct {
	pacer
	w       PacketWriter
	o       E131Options
	seq     byte
	syncSeq byte
	px      []byte
	pkts    [][]byte // one per universe, then the sync packet if any
	to      []netip.AddrPort
	sync    []byte // the sync packet, or nil
}

// NewE131 returns an E1.31 driver. Universe u+i carries pixels
// [i·ppu, (i+1)·ppu) of the wire order, 3 slots each from slot 1; the last
// universe carries only the slots it needs. With Multicast, to's address is
// ignored and each universe goes to its group on to's port.
func NewE131(w PacketWriter, to netip.AddrPort, panel mapping.Config, o E131Options) (*Pixels, error) {
	if o.PixelsPerUniverse == 0 {
		o.PixelsPerUniverse = e131PixelsPerUni
	}
	if o.Priority == 0 {
		o.Priority = 100
	}
	n := panel.Width * panel.Height
	count := (n + o.PixelsPerUniverse - 1) / o.PixelsPerUniverse
	if err := e131Range(o.Universe, count); err != nil {
		return nil, fmt.Errorf("e131: %s", err.Msg)
	}
	f := &e131Framer{w: w, o: o, px: make([]byte, 3*n)}
	per := 3 * o.PixelsPerUniverse
	for i := 0; i < count; i++ {
		dst := to
		if o.Multicast {
			dst = E131Group(o.Universe+i, to.Port())
		}
		f.pkts = append(f.pkts, f.dataPacket(o.Universe+i, min(per, 3*n-i*per)))
		f.to = append(f.to, dst)
	}
	if o.SyncUniverse != 0 {
		syncTo := to
		if o.Multicast {
			syncTo = E131Group(o.SyncUniverse, to.Port())
		}
		f.sync = f.syncPacket()
		f.pkts = append(f.pkts, f.sync)
		f.to = append(f.to, syncTo)
	}
	return newPixelDriver("e131", panel, f)
}

// E131Group is universe u's multicast group.
func E131Group(u int, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, byte(u >> 8), byte(u)}), port)
}

func e131Range(first, count int) *SettingError {
	if last := first + count - 1; last > e131MaxUniverse {
		return &SettingError{Key: "universe", Msg: fmt.Sprintf("the panel needs %d universes from %d, up to %d: beyond E1.31's last universe %d (lower universe, or split the panel)", count, first, last, e131MaxUniverse)}
	}
	return nil
}

// dataPacket builds a data packet for universe with slots slots; only the
// sequence number and the slots change per frame.
func (f *e131Framer) dataPacket(universe, slots int) []byte {
	total := e131Header + slots
	p := make([]byte, total)
	binary.BigEndian.PutUint16(p[0:], 0x0010)
	copy(p[4:16], "ASC-E1.17\x00\x00\x00")
	binary.BigEndian.PutUint16(p[16:], 0x7000|uint16(total-16))
	binary.BigEndian.PutUint32(p[18:], 0x00000004)
	copy(p[22:38], f.o.CID[:])
	binary.BigEndian.PutUint16(p[38:], 0x7000|uint16(total-38))
	binary.BigEndian.PutUint32(p[40:], 0x00000002)
	copy(p[44:107], f.o.SourceName) // byte 107 stays NUL
	p[108] = byte(f.o.Priority)
	binary.BigEndian.PutUint16(p[109:], uint16(f.o.SyncUniverse))
	binary.BigEndian.PutUint16(p[113:], uint16(universe))
	binary.BigEndian.PutUint16(p[115:], 0x7000|uint16(total-115))
	p[117] = 0x02
	p[118] = 0xA1
	binary.BigEndian.PutUint16(p[119:], 0x0000)
	binary.BigEndian.PutUint16(p[121:], 0x0001)
	binary.BigEndian.PutUint16(p[123:], uint16(slots+1))
	p[125] = 0x00 // DMX start code
	return p
}

func (f *e131Framer) syncPacket() []byte {
	s := make([]byte, e131SyncLen)
	binary.BigEndian.PutUint16(s[0:], 0x0010)
	copy(s[4:16], "ASC-E1.17\x00\x00\x00")
	binary.BigEndian.PutUint16(s[16:], 0x7000|uint16(e131SyncLen-16))
	binary.BigEndian.PutUint32(s[18:], 0x00000008)
	copy(s[22:38], f.o.CID[:])
	binary.BigEndian.PutUint16(s[38:], 0x7000|uint16(e131SyncLen-38))
	binary.BigEndian.PutUint32(s[40:], 0x00000001)
	binary.BigEndian.PutUint16(s[45:], uint16(f.o.SyncUniverse))
	return s
}

func (f *e131Framer) payload() []byte { return f.px }

func (f *e131Framer) send() error {
	// One sequence number per frame: each universe's stream still counts
	// up by one, which is what receivers check.
	f.seq++
	per := 3 * f.o.PixelsPerUniverse
	for i, p := range f.pkts {
		if f.sync != nil && i == len(f.pkts)-1 {
			f.syncSeq++
			p[44] = f.syncSeq
			break
		}
		p[111] = f.seq
		copy(p[e131Header:], f.px[i*per:])
	}
	return f.out(f.w, f.pkts, f.to)
}

// off ends the stream of every universe: E1.31-2018 §6.2.6 has a source
// that stops sending a universe send three packets with Stream_Terminated
// set, and a receiver act on the first ("shall ... terminate", without
// waiting for the 2.5 s data-loss timeout) and ignore the data in them.
// The data is black anyway, after the black frame the player drew, for a
// receiver that holds the last look. Each packet counts the sequence up as
// any other; no sync packet follows (the data carries no look to show).
// The bit is cleared again, so the next frame restarts the stream.
func (f *e131Framer) off() error {
	data := f.pkts
	if f.sync != nil {
		data = data[:len(data)-1]
	}
	per := 3 * f.o.PixelsPerUniverse
	defer func() {
		for _, p := range data {
			p[112] &^= e131OptTerminate
		}
	}()
	for k := 0; k < e131Terminations; k++ {
		f.seq++
		for i, p := range data {
			p[111] = f.seq
			p[112] |= e131OptTerminate
			copy(p[e131Header:], f.px[i*per:])
		}
		if err := sendPackets(f.w, data, f.to[:len(data)]); err != nil {
			return err
		}
	}
	return nil
}

func (f *e131Framer) close() error { return f.w.Close() }

// StableCID derives a source CID that stays the same across restarts of the
// same agent on the same machine: a name-based (version 5 style) UUID of the
// host name and the source name. It is the fallback for a run with no state
// (test-pattern): an enrolled agent sets "cid" from its state directory
// (daemon.SourceID), so two agents on one machine are two sources.
func StableCID(sourceName string) [16]byte {
	host, _ := os.Hostname()
	sum := sha1.Sum([]byte("pano e1.31 source\x00" + host + "\x00" + sourceName))
	var id [16]byte
	copy(id[:], sum[:16])
	id[6] = id[6]&0x0f | 0x50 // version 5
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id
}

func parseUUID(s string) ([16]byte, bool) {
	var id [16]byte
	hex := make([]byte, 0, 32)
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			hex = append(hex, s[i])
		}
	}
	if len(hex) != 32 {
		return id, false
	}
	for i := 0; i < 16; i++ {
		var b byte
		for _, c := range hex[2*i : 2*i+2] {
			switch {
			case c >= '0' && c <= '9':
				b = b<<4 | (c - '0')
			case c >= 'a' && c <= 'f':
				b = b<<4 | (c - 'a' + 10)
			case c >= 'A' && c <= 'F':
				b = b<<4 | (c - 'A' + 10)
			default:
				return id, false
			}
		}
		id[i] = b
	}
	return id, true
}

func e131Settings(s Settings) (panel mapping.Config, o E131Options, host string, port int, err error) {
	r := newReader(s)
	panel = r.panel()
	o.Multicast = r.bool("multicast", false)
	if o.Multicast {
		r.get("host") // the groups follow from the universes
		port = r.int("port", E131Port, 1, 65535)
		r.link()
	} else {
		host, port = r.net(E131Port)
	}
	o.Universe = r.int("universe", 1, 1, e131MaxUniverse)
	o.PixelsPerUniverse = r.int("pixels_per_universe", e131PixelsPerUni, 1, e131PixelsPerUni)
	o.Priority = r.int("priority", 100, 0, 200)
	o.SourceName = r.str("source_name", "pano")
	if len(o.SourceName) > 63 {
		r.fail("source_name", "is %d bytes long: use at most 63", len(o.SourceName))
	}
	o.SyncUniverse = r.int("sync_universe", 0, 0, e131MaxUniverse)
	if cid := r.str("cid", ""); cid == "" {
		o.CID = StableCID(o.SourceName)
	} else if id, ok := parseUUID(cid); ok {
		o.CID = id
	} else {
		r.fail("cid", "%q is not a UUID: write 32 hex digits, e.g. 6f1c2a9e-0d4b-4b7e-9a55-2c3d4e5f6a7b, or leave it empty", cid)
	}
	if r.err == nil {
		n := panel.Width * panel.Height
		if e := e131Range(o.Universe, (n+o.PixelsPerUniverse-1)/o.PixelsPerUniverse); e != nil {
			r.fail(e.Key, "%s", e.Msg)
		}
	}
	return panel, o, host, port, r.done("e131")
}

func init() {
	Register("e131", Kind{
		Check: func(s Settings) error { _, _, _, _, err := e131Settings(s); return err },
		Open: func(s Settings) (Driver, error) {
			_, o, host, port, err := e131Settings(s)
			if err != nil {
				return nil, err
			}
			var c PacketWriter
			to := netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port))
			if o.Multicast {
				uc, err := listenFor("e131", to)
				if err != nil {
					return nil, err
				}
				c = newBatchConn(uc, to)
			} else if c, to, err = openUDP("e131", host, port); err != nil {
				return nil, err
			}
			d, err := builders["e131"](s, c, to)
			if err != nil {
				c.Close()
				return nil, err
			}
			return d, nil
		},
	})
	builders["e131"] = func(s Settings, w PacketWriter, to netip.AddrPort) (*Pixels, error) {
		panel, o, _, _, err := e131Settings(s)
		if err != nil {
			return nil, err
		}
		d, err := NewE131(w, to, panel, o)
		if err == nil {
			d.setLink(linkOf(s))
		}
		return d, err
	}
}
