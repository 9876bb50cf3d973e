package driver

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The wire goldens (testdata/*.golden) are what the drivers must send;
// `make golden` rewrites them from the drivers. A golden is only as good as
// the bytes in it, so each is also checked by a receiver that does not
// share the driver's code: the npm packages sacn (E1.31) and dmxnet
// (Art-Net), and, for DDP and TPM2.net, which have none in npm, decoders
// written here from the protocols' specs (not from ddp.go or tpm2net.go).
// checkGolden runs the check before it rewrites a golden under -update, so
// an update the receiver rejects fails and leaves the old file;
// TestReceiversAcceptTheWireFiles checks the files as committed.

// wireReceivers are the independent checks of each wire golden: they get
// the golden's packets and fail t unless the receiver takes them as the
// frame the golden's test draws.
var wireReceivers = map[string]func(t *testing.T, packets [][]byte){
	"e131.golden":    e131GoldenBySacn,
	"artnet.golden":  artnetGoldenByDmxnet,
	"ddp.golden":     ddpGoldenBySpec,
	"tpm2net.golden": tpm2netGoldenBySpec,
}

func TestReceiversAcceptTheWireFiles(t *testing.T) {
	for name, check := range wireReceivers {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			check(t, parseDump(t, b))
		})
	}
}

var packetHead = regexp.MustCompile(`^packet (\d+) to \S+, (\d+) bytes$`)

// parseDump reads recorder.dump's text back into packets.
func parseDump(t *testing.T, dump []byte) [][]byte {
	t.Helper()
	var packets [][]byte
	want := -1
	for _, line := range strings.Split(strings.TrimRight(string(dump), "\n"), "\n") {
		if m := packetHead.FindStringSubmatch(line); m != nil {
			if len(packets) > 0 && len(packets[len(packets)-1]) != want {
				t.Fatalf("packet %d: %d bytes in the dump, its head says %d", len(packets), len(packets[len(packets)-1]), want)
			}
			want, _ = strconv.Atoi(m[2])
			packets = append(packets, nil)
			continue
		}
		// hex.Dump: 8 digits of offset, two spaces, 16 bytes in 49
		// columns, then the text between bars.
		if len(packets) == 0 || len(line) < 10 {
			t.Fatalf("not a packet dump line: %q", line)
		}
		cols := line[10:min(len(line), 59)]
		for _, f := range strings.Fields(cols) {
			b, err := hex.DecodeString(f)
			if err != nil || len(b) != 1 {
				t.Fatalf("bad byte %q in %q", f, line)
			}
			packets[len(packets)-1] = append(packets[len(packets)-1], b[0])
		}
	}
	if len(packets) == 0 || len(packets[len(packets)-1]) != want {
		t.Fatalf("dump holds %d packets, the last incomplete", len(packets))
	}
	return packets
}

// rgbRows is testFrame(w, h) in row-major order, three bytes a pixel: what
// plain(w, h) puts on the wire.
func rgbRows(w, h int) []byte {
	f := testFrame(w, h)
	var out []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := f.RGBAAt(x, y)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return out
}

// sendUDP sends the packets to a receiver on loopback.
func sendUDP(t *testing.T, port int, packets [][]byte) {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range packets {
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
	}
}

// checkUniverses compares what a receiver got, per universe from first,
// with the frame split three pixels (nine slots) a universe.
func checkUniverses(t *testing.T, got map[int][]byte, first int, frame []byte) {
	t.Helper()
	for i := 0; i*9 < len(frame); i++ {
		want := frame[i*9 : min(len(frame), i*9+9)]
		slots := got[first+i]
		if len(slots) < len(want) || !bytes.Equal(slots[:len(want)], want) {
			t.Fatalf("universe %d: receiver got % x, the frame says % x", first+i, slots, want)
		}
	}
}

// e131GoldenBySacn: TestE131Golden draws testFrame(4, 2) into universes 7,
// 8, 9 (three pixels each), then a sync packet.
func e131GoldenBySacn(t *testing.T, packets [][]byte) {
	port := freeUDPPort(t)
	r := startReceiver(t, "sacn", port, 7, 3)
	sendUDP(t, port, packets)
	checkUniverses(t, r.universes(t, 3), 7, rgbRows(4, 2))
}

// artnetGoldenByDmxnet: TestArtNetGolden draws testFrame(4, 2) from
// Port-Address 1.2.15 (three pixels a universe), then an ArtSync.
func artnetGoldenByDmxnet(t *testing.T, packets [][]byte) {
	const first = 1<<8 | 2<<4 | 15
	port := freeUDPPort(t)
	r := startReceiver(t, "artnet", port, first, 3)
	sendUDP(t, port, packets)
	checkUniverses(t, r.universes(t, 3), first, rgbRows(4, 2))
}

// ddpGoldenBySpec decodes DDP as its spec (3waylabs.com/ddp) puts it: a
// 10-byte header — flags (version 1 in the top two bits, PUSH 0x01 on a
// frame's last packet), sequence (low nibble, 1–15, 0 unused), data type
// (0x0B: RGB, 8 bits a channel), destination (1: the default output), data
// offset (32 bits, big-endian) and length (16 bits) — then the data.
// TestDDPGolden draws testFrame(24, 21) twice.
func ddpGoldenBySpec(t *testing.T, packets [][]byte) {
	want := rgbRows(24, 21)
	frame := make([]byte, len(want))
	frames, seq := 0, -1
	for i, p := range packets {
		if len(p) < 10 {
			t.Fatalf("packet %d: %d bytes, shorter than the header", i+1, len(p))
		}
		flags, s, typ, dest := p[0], int(p[1]&0x0f), p[2], p[3]
		off, n := binary.BigEndian.Uint32(p[4:8]), int(binary.BigEndian.Uint16(p[8:10]))
		switch {
		case flags>>6 != 1:
			t.Fatalf("packet %d: version %d, want 1", i+1, flags>>6)
		case flags&0x10 != 0:
			t.Fatalf("packet %d: timecode flag set without a timecode", i+1)
		case typ != 0x0B || dest != 1:
			t.Fatalf("packet %d: data type %#x, destination %d; want RGB 8-bit (0x0B) to 1", i+1, typ, dest)
		case s == 0 || (seq > 0 && s != seq%15+1 && s != seq):
			t.Fatalf("packet %d: sequence %d after %d", i+1, s, seq)
		case len(p) != 10+n || int(off)+n > len(frame):
			t.Fatalf("packet %d: %d data bytes at %d in a %d-byte packet, frame %d bytes", i+1, n, off, len(p), len(frame))
		}
		seq = s
		copy(frame[off:], p[10:])
		if flags&0x01 != 0 { // PUSH: the frame is complete
			frames++
			if !bytes.Equal(frame, want) {
				t.Fatalf("frame %d decoded from the spec differs from the drawn frame", frames)
			}
			clear(frame)
		}
	}
	if frames != 2 {
		t.Fatalf("%d frames pushed, want 2", frames)
	}
}

// tpm2netGoldenBySpec decodes TPM2.net (tpm2 protocol spec, UDP port
// 65506): start byte 0x9C, type 0xDA (data), payload size (16 bits,
// big-endian), packet number (from 1), packet count, payload, end byte
// 0x36. TestTPM2NetGolden draws testFrame(4, 2), three pixels a packet.
func tpm2netGoldenBySpec(t *testing.T, packets [][]byte) {
	var frame []byte
	for i, p := range packets {
		if len(p) < 7 {
			t.Fatalf("packet %d: %d bytes", i+1, len(p))
		}
		n := int(binary.BigEndian.Uint16(p[2:4]))
		switch {
		case p[0] != 0x9C || p[1] != 0xDA:
			t.Fatalf("packet %d: starts % x, want 9c da", i+1, p[:2])
		case len(p) != 6+n+1 || p[len(p)-1] != 0x36:
			t.Fatalf("packet %d: %d bytes for a %d-byte payload, ends %#x", i+1, len(p), n, p[len(p)-1])
		case int(p[4]) != i+1 || int(p[5]) != len(packets):
			t.Fatalf("packet %d says it is %d of %d", i+1, p[4], p[5])
		}
		frame = append(frame, p[6:6+n]...)
	}
	if want := rgbRows(4, 2); !bytes.Equal(frame, want) {
		t.Fatalf("frame decoded from the spec % x, drawn % x", frame, want)
	}
}

// checkWithReceiver runs name's independent receiver on a dump about to
// be written as its golden.
func checkWithReceiver(t *testing.T, name string, dump []byte) {
	t.Helper()
	check, ok := wireReceivers[name]
	if !ok {
		return
	}
	t.Run("receiver accepts "+name, func(t *testing.T) { check(t, parseDump(t, dump)) })
	if t.Failed() {
		t.Fatalf("the independent receiver rejects the new %s: not written", name)
	}
}
