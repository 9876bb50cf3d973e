package main

import (
	"encoding/binary"
	"testing"
	"time"
)

// ddpPacket lays out a DDP packet by the spec's table.
func ddpPacket(flags byte, dest byte, offset uint32, data []byte) []byte {
	p := make([]byte, 10, 10+len(data))
	p[0], p[1], p[2], p[3] = flags, 0x01, 0x0B, dest
	binary.BigEndian.PutUint32(p[4:8], offset)
	binary.BigEndian.PutUint16(p[8:10], uint16(len(data)))
	return append(p, data...)
}

// e131Packet lays out an E1.31 data packet by ANSI E1.31-2018 §4–7.
func e131Packet(universe uint16, slots []byte) []byte {
	n := 126 + len(slots)
	p := make([]byte, n)
	binary.BigEndian.PutUint16(p[0:2], 0x0010)
	copy(p[4:16], "ASC-E1.17\x00\x00\x00")
	binary.BigEndian.PutUint16(p[16:18], 0x7000|uint16(n-16))
	binary.BigEndian.PutUint32(p[18:22], 4)
	binary.BigEndian.PutUint16(p[38:40], 0x7000|uint16(n-38))
	binary.BigEndian.PutUint32(p[40:44], 2)
	copy(p[44:], "test")
	p[108] = 100
	binary.BigEndian.PutUint16(p[113:115], universe)
	binary.BigEndian.PutUint16(p[115:117], 0x7000|uint16(n-115))
	p[117], p[118] = 0x02, 0xA1
	binary.BigEndian.PutUint16(p[121:123], 1)
	binary.BigEndian.PutUint16(p[123:125], uint16(len(slots)+1))
	copy(p[126:], slots)
	return p
}

func TestFirstPixel(t *testing.T) {
	red := []byte{250, 1, 2, 250, 1, 2}
	sync := make([]byte, 49) // an E1.31 synchronization packet
	binary.BigEndian.PutUint16(sync[0:2], 0x0010)
	copy(sync[4:16], "ASC-E1.17\x00\x00\x00")
	binary.BigEndian.PutUint32(sync[18:22], 8)
	badLen := e131Packet(1, red)
	binary.BigEndian.PutUint16(badLen[115:117], 0x7000|5)
	for _, c := range []struct {
		name, proto string
		pkt         []byte
		ok          bool
	}{
		{"ddp first packet", "ddp", ddpPacket(0x40, 1, 0, red), true},
		{"ddp push", "ddp", ddpPacket(0x41, 1, 0, red), true},
		{"ddp later packet", "ddp", ddpPacket(0x40, 1, 1440, red), false},
		{"ddp query", "ddp", ddpPacket(0x42, 1, 0, red), false},
		{"ddp control destination", "ddp", ddpPacket(0x40, 246, 0, red), false},
		{"ddp version 0", "ddp", ddpPacket(0x00, 1, 0, red), false},
		{"ddp truncated", "ddp", ddpPacket(0x40, 1, 0, red)[:12], false},
		{"e131 universe 1", "e131", e131Packet(1, red), true},
		{"e131 universe 2", "e131", e131Packet(2, red), false},
		{"e131 sync", "e131", sync, false},
		{"e131 wrong length field", "e131", badLen, false},
		{"e131 as ddp", "ddp", e131Packet(1, red), false},
		{"ddp as e131", "e131", ddpPacket(0x41, 1, 0, red), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rgb, ok := firstPixel(c.proto, c.pkt)
			if ok != c.ok || (ok && rgb != [3]byte{250, 1, 2}) {
				t.Fatalf("firstPixel = %v, %v; want %v", rgb, ok, c.ok)
			}
		})
	}
	// A timecode header is 14 bytes: the pixels start after it.
	tc := ddpPacket(0x50, 1, 0, nil)
	binary.BigEndian.PutUint16(tc[8:10], uint16(len(red)))
	tc = append(append(tc, 0, 0, 0, 0), red...)
	if rgb, ok := firstPixel("ddp", tc); !ok || rgb != [3]byte{250, 1, 2} {
		t.Fatalf("timecode packet: %v %v", rgb, ok)
	}
}

// A port records a slide when its colour first arrives, not every packet
// of it, and ignores colours that are no slide.
func TestPortRecordsChanges(t *testing.T) {
	p := &port{palette: [][3]byte{{255, 0, 0}, {0, 255, 0}}, last: -1, started: make(chan struct{})}
	t0 := time.Unix(1000, 0)
	seq := []struct {
		rgb [3]byte
	}{{[3]byte{0, 0, 0}}, {[3]byte{254, 1, 0}}, {[3]byte{255, 0, 0}}, {[3]byte{0, 250, 3}}, {[3]byte{0, 0, 0}}, {[3]byte{0, 255, 0}}}
	for i, s := range seq {
		p.see(t0.Add(time.Duration(i)*time.Millisecond), slideOf(p.palette, s.rgb))
	}
	got := p.snapshot()
	want := []event{{t0.Add(1 * time.Millisecond), 0}, {t0.Add(3 * time.Millisecond), 1}, {t0.Add(5 * time.Millisecond), 1}}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].at.Equal(want[i].at) || got[i].slide != want[i].slide {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	select {
	case <-p.started:
	default:
		t.Fatal("started not closed after the first slide")
	}
}
