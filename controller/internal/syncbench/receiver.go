package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// The receiver is written from the wire formats in /work/shared/PROTOCOLS.md
// (the DDP spec at 3waylabs.com/ddp and ANSI E1.31-2018), not from the
// agent's drivers, so a driver bug cannot hide itself here.

var errNotPixels = errors.New("not a pixel data packet")

// ddpPixels returns the byte offset and the pixel bytes of a DDP data
// packet.
func ddpPixels(p []byte) (offset uint32, data []byte, err error) {
	if len(p) < 10 || p[0]&0xC0 != 0x40 { // version 1
		return 0, nil, errNotPixels
	}
	flags := p[0]
	if flags&(0x02|0x04) != 0 { // query or reply: no pixels
		return 0, nil, errNotPixels
	}
	hdr := 10
	if flags&0x10 != 0 { // timecode
		hdr = 14
	}
	if p[3] != 1 && p[3] != 255 { // default output or all: anything else is control
		return 0, nil, errNotPixels
	}
	n := int(binary.BigEndian.Uint16(p[8:10]))
	if len(p) < hdr+n {
		return 0, nil, errNotPixels
	}
	return binary.BigEndian.Uint32(p[4:8]), p[hdr : hdr+n], nil
}

var acnID = []byte("ASC-E1.17\x00\x00\x00")

// e131Pixels returns the universe and the DMX slots (after the start code)
// of an E1.31 data packet.
func e131Pixels(p []byte) (universe uint16, slots []byte, err error) {
	if len(p) < 126 ||
		binary.BigEndian.Uint16(p[0:2]) != 0x0010 || binary.BigEndian.Uint16(p[2:4]) != 0 ||
		!bytes.Equal(p[4:16], acnID) ||
		binary.BigEndian.Uint32(p[18:22]) != 0x00000004 || // root vector: data (not sync)
		binary.BigEndian.Uint32(p[40:44]) != 0x00000002 || // framing vector: DMP
		p[117] != 0x02 || p[118] != 0xA1 || // DMP set property, address & data type
		p[125] != 0x00 { // DMX start code: dimmer data
		return 0, nil, errNotPixels
	}
	// Each flags & length field counts to the end of the packet.
	for _, at := range []int{16, 38, 115} {
		if int(binary.BigEndian.Uint16(p[at:at+2])&0x0FFF) != len(p)-at {
			return 0, nil, errNotPixels
		}
	}
	count := int(binary.BigEndian.Uint16(p[123:125])) // slots + start code
	if count < 1 || 125+count != len(p) {
		return 0, nil, errNotPixels
	}
	return binary.BigEndian.Uint16(p[113:115]), p[126:], nil
}

// firstPixel is the first RGB pixel of a packet that carries the panel's
// first pixel, for one protocol; ok is false for any other packet. With
// solid-colour slides any pixel names the slide, but the first one of a
// frame is the one both protocols send first.
func firstPixel(proto string, p []byte) (rgb [3]byte, ok bool) {
	switch proto {
	case "ddp":
		off, data, err := ddpPixels(p)
		if err != nil || off != 0 || len(data) < 3 {
			return rgb, false
		}
		copy(rgb[:], data)
	case "e131":
		u, slots, err := e131Pixels(p)
		if err != nil || u != 1 || len(slots) < 3 {
			return rgb, false
		}
		copy(rgb[:], slots)
	default:
		return rgb, false
	}
	return rgb, true
}

// event is one agent starting to show a slide: the arrival of the first
// packet with the slide's colour.
type event struct {
	at    time.Time
	slide int
}

// port receives one agent's packets.
type port struct {
	proto   string
	conn    *net.UDPConn
	palette [][3]byte

	mu      sync.Mutex
	last    int // slide on the wire, -1: none of the palette
	events  []event
	packets int
	started chan struct{} // closed on the first palette colour
}

func listenPort(proto string, palette [][3]byte) (*port, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	if err := enableStamps(c); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.SetReadBuffer(4 << 20); err != nil {
		c.Close()
		return nil, err
	}
	return &port{proto: proto, conn: c, palette: palette, last: -1, started: make(chan struct{})}, nil
}

func (p *port) addr() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// run reads until the socket is closed.
func (p *port) run() {
	buf := make([]byte, 2048)
	oob := make([]byte, 128)
	for {
		n, oobn, _, _, err := p.conn.ReadMsgUDP(buf, oob)
		if err != nil {
			return
		}
		at := stamp(oob[:oobn])
		rgb, ok := firstPixel(p.proto, buf[:n])
		if !ok {
			continue
		}
		p.see(at, slideOf(p.palette, rgb))
	}
}

func (p *port) see(at time.Time, slide int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.packets++
	if slide == p.last {
		return
	}
	p.last = slide
	if slide < 0 {
		return
	}
	if len(p.events) == 0 {
		close(p.started)
	}
	p.events = append(p.events, event{at: at, slide: slide})
}

func (p *port) snapshot() []event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event(nil), p.events...)
}

// slideOf is the palette colour within a small distance of rgb, or -1 (black,
// or anything the agent draws that is not a slide).
func slideOf(palette [][3]byte, rgb [3]byte) int {
	for i, c := range palette {
		d := 0
		for k := 0; k < 3; k++ {
			x := int(c[k]) - int(rgb[k])
			d += x * x
		}
		if d <= 3*8*8 {
			return i
		}
	}
	return -1
}
