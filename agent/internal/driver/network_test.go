package driver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

var dst = netip.MustParseAddrPort("127.0.0.1:9")

func TestDDPGolden(t *testing.T) {
	rec := &recorder{}
	d, err := NewDDP(rec, dst, plain(24, 21), DDPOptions{}) // 504 px: 480 + 24
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(testFrame(24, 21)); err != nil {
		t.Fatal(err)
	}
	if len(rec.packets) != 2 {
		t.Fatalf("%d packets, want 2", len(rec.packets))
	}
	p0, p1 := rec.packets[0], rec.packets[1]
	if !bytes.Equal(p0[:10], []byte{0x40, 1, 0x0B, 1, 0, 0, 0, 0, 0x05, 0xA0}) ||
		!bytes.Equal(p1[:10], []byte{0x41, 2, 0x0B, 1, 0, 0, 0x05, 0xA0, 0, 72}) {
		t.Fatalf("headers % x / % x", p0[:10], p1[:10])
	}
	// Pixel 481 (x=1, y=20 in row-major order) is the second of packet 2.
	if !bytes.Equal(p1[13:16], []byte{1, 20, 481 % 256}) {
		t.Fatalf("pixel 481 = % x", p1[13:16])
	}
	d.Draw(testFrame(24, 21))
	if rec.packets[2][1] != 3 {
		t.Fatalf("second frame's first packet has sequence %d, want 3", rec.packets[2][1])
	}
	checkGolden(t, "ddp.golden", []byte(rec.dump()))
}

func TestDDPSequenceWraps(t *testing.T) {
	rec := &recorder{}
	d, _ := NewDDP(rec, dst, plain(1, 1), DDPOptions{})
	var seqs []byte
	for i := 0; i < 16; i++ {
		d.Draw(testFrame(1, 1))
		seqs = append(seqs, rec.packets[i][1])
	}
	if want := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1}; !bytes.Equal(seqs, want) {
		t.Fatalf("sequence %v, want %v", seqs, want)
	}
}

func TestE131Golden(t *testing.T) {
	rec := &recorder{}
	cid := [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	d, err := NewE131(rec, dst, plain(4, 2), E131Options{Universe: 7, PixelsPerUniverse: 3, Priority: 150, SourceName: "pano test", CID: cid, SyncUniverse: 9})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(testFrame(4, 2)); err != nil {
		t.Fatal(err)
	}
	if len(rec.packets) != 4 {
		t.Fatalf("%d packets, want 3 universes and a sync", len(rec.packets))
	}
	for i, p := range rec.packets[:3] {
		slots := []int{9, 9, 6}[i]
		if len(p) != 126+slots {
			t.Fatalf("universe %d: %d bytes", i, len(p))
		}
		if u := binary.BigEndian.Uint16(p[113:]); int(u) != 7+i {
			t.Fatalf("packet %d universe %d", i, u)
		}
		if fl := binary.BigEndian.Uint16(p[16:]); fl != 0x7000|uint16(len(p)-16) {
			t.Fatalf("root flags&length %x", fl)
		}
		if pc := binary.BigEndian.Uint16(p[123:]); int(pc) != slots+1 {
			t.Fatalf("property count %d", pc)
		}
		if p[108] != 150 || binary.BigEndian.Uint16(p[109:]) != 9 || !bytes.Equal(p[22:38], cid[:]) {
			t.Fatalf("priority/sync/cid wrong: % x", p[:126])
		}
	}
	if s := rec.packets[3]; len(s) != 49 || binary.BigEndian.Uint32(s[18:]) != 8 || binary.BigEndian.Uint16(s[45:]) != 9 {
		t.Fatalf("sync packet % x", s)
	}
	checkGolden(t, "e131.golden", []byte(rec.dump()))
}

func TestE131MulticastGroups(t *testing.T) {
	rec := &recorder{}
	d, _ := NewE131(rec, netip.AddrPortFrom(netip.IPv4Unspecified(), E131Port), plain(341, 1), E131Options{Universe: 256, Multicast: true})
	d.Draw(testFrame(341, 1))
	var got []string
	for _, a := range rec.to {
		got = append(got, a.String())
	}
	if want := "239.255.1.0:5568 239.255.1.1:5568 239.255.1.2:5568"; strings.Join(got, " ") != want {
		t.Fatalf("groups %v, want %s", got, want)
	}
}

func TestStableCID(t *testing.T) {
	a, b := StableCID("pano"), StableCID("pano")
	if a != b || a == StableCID("other") || a[6]>>4 != 5 {
		t.Fatalf("CID not stable or not a v5 UUID: %x", a)
	}
	if _, err := Open("e131", Settings{"width": 2, "height": 1, "host": "127.0.0.1", "cid": "not-a-uuid"}); err == nil || !strings.Contains(err.Error(), `setting "cid"`) {
		t.Fatalf("bad cid: %v", err)
	}
}

func TestArtNetGolden(t *testing.T) {
	rec := &recorder{}
	d, err := NewArtNet(rec, dst, plain(4, 2), ArtNetOptions{PortAddress: 1<<8 | 2<<4 | 15, PixelsPerUniverse: 3, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(testFrame(4, 2)); err != nil {
		t.Fatal(err)
	}
	if len(rec.packets) != 4 {
		t.Fatalf("%d packets, want 3 ArtDmx and an ArtSync", len(rec.packets))
	}
	// Universe 15 of subnet 2 is followed by universe 0 of subnet 3.
	for i, want := range [][2]byte{{0x2F, 1}, {0x30, 1}, {0x31, 1}} {
		p := rec.packets[i]
		if p[14] != want[0] || p[15] != want[1] || p[12] != 1 {
			t.Fatalf("packet %d SubUni %#x Net %d seq %d", i, p[14], p[15], p[12])
		}
	}
	// 9 bytes padded to 10; the last universe's 6 bytes stay 6.
	if l := binary.BigEndian.Uint16(rec.packets[0][16:]); l != 10 || rec.packets[0][27] != 0 {
		t.Fatalf("length %d", l)
	}
	if !bytes.Equal(rec.packets[3], []byte("Art-Net\x00\x00\x52\x00\x0e\x00\x00")) {
		t.Fatalf("ArtSync % x", rec.packets[3])
	}
	checkGolden(t, "artnet.golden", []byte(rec.dump()))
}

func TestTPM2NetGolden(t *testing.T) {
	rec := &recorder{}
	d, err := NewTPM2Net(rec, dst, plain(4, 2), 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(testFrame(4, 2)); err != nil {
		t.Fatal(err)
	}
	if len(rec.packets) != 3 {
		t.Fatalf("%d packets", len(rec.packets))
	}
	last := rec.packets[2]
	if !bytes.Equal(last, []byte{0x9C, 0xDA, 0, 6, 3, 3, 2, 1, 6, 3, 1, 7, 0x36}) {
		t.Fatalf("last packet % x", last)
	}
	checkGolden(t, "tpm2net.golden", []byte(rec.dump()))
}

func TestHaltSendsBlack(t *testing.T) {
	rec := &recorder{}
	d, _ := NewDDP(rec, dst, plain(2, 1), DDPOptions{})
	d.Draw(testFrame(2, 1))
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if p := rec.packets[1]; !bytes.Equal(p[10:], make([]byte, 6)) {
		t.Fatalf("halt sent % x", p)
	}
	if err := d.Draw(testFrame(2, 1)); err != nil || rec.packets[2][11] != 0 || rec.packets[2][13] != 1 {
		t.Fatalf("driver unusable after Halt: %v", err)
	}
}

func TestStateFollowsTransport(t *testing.T) {
	rec := &recorder{fail: errors.New("network is unreachable")}
	d, _ := NewDDP(rec, dst, plain(2, 1), DDPOptions{})
	if err := d.Draw(testFrame(2, 1)); err == nil || !strings.Contains(err.Error(), "ddp: network is unreachable") {
		t.Fatalf("err %v", err)
	}
	if s := d.State(); s.Up || s.Err == nil {
		t.Fatalf("state %+v, want down", s)
	}
	rec.fail = nil
	if err := d.Draw(testFrame(2, 1)); err != nil {
		t.Fatal(err)
	}
	if s := d.State(); !s.Up || s.Err != nil {
		t.Fatalf("state %+v, want up", s)
	}
}

func TestPixelCountBeyondProtocol(t *testing.T) {
	for _, tc := range []struct {
		driver string
		s      Settings
		key    string
		want   string
	}{
		{"e131", Settings{"width": 384, "height": 192, "host": "h", "universe": 63900}, "universe", "needs 434 universes from 63900"},
		{"artnet", Settings{"width": 8192, "height": 1024, "host": "h"}, "net", "beyond Art-Net's last"},
		{"tpm2net", Settings{"width": 384, "height": 192, "host": "h", "pixels_per_packet": 170}, "pixels_per_packet", "at most 255 packets"},
		{"ddp", Settings{"width": 4, "height": 2, "host": "h", "destination": 0}, "destination", "out of range"},
		{"ddp", Settings{"width": 4, "height": 2}, "host", "is missing"},
		{"ddp", Settings{"width": 4, "height": 2, "host": "h", "serpentine": "zigzag"}, "serpentine", `"zigzag": use one of none, rows`},
		{"ddp", Settings{"width": 5, "height": 2, "host": "h", "tiles_x": 2}, "tiles_x", "does not divide"},
		{"ddp", Settings{"width": 4, "height": 2, "host": "h", "white_balance": []any{100, 90}}, "white_balance", "three percentages"},
	} {
		err := Check(tc.driver, tc.s)
		var se *SettingError
		if !errors.As(err, &se) || se.Key != tc.key || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err %v, want key %s and %q", tc.driver, tc.s, err, tc.key, tc.want)
		}
	}
}

// TestHostThatDoesNotResolve: a name that does not resolve at open is not
// fatal (the agent keeps running); frames fail with an error naming the
// setting, and once the name resolves the output comes up, after backoff.
func TestHostThatDoesNotResolve(t *testing.T) {
	sink, port := udpSink(t)
	resolvable := false
	lookupNetIP = func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		if host == "led.example" && resolvable {
			return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	defer func() { lookupNetIP = net.DefaultResolver.LookupNetIP }()

	d, err := Open("ddp", Settings{"width": 2, "height": 1, "host": "led.example", "port": port})
	if err != nil {
		t.Fatalf("open must not fail on a name that does not resolve yet: %v", err)
	}
	defer d.Close()
	p := d.(*Pixels)
	lazy := p.f.(*ddpFramer).w.(*lazyUDP)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	lazy.now = clock.now
	lazy.next = clock.now()

	err = d.Draw(testFrame(2, 1))
	var se *SettingError
	if !errors.As(err, &se) || se.Key != "host" || !strings.Contains(err.Error(), `"led.example" does not resolve`) {
		t.Fatalf("err %v", err)
	}
	if st := p.State(); st.Up || st.Retries != 1 {
		t.Fatalf("state %+v, want down after 1 retry", st)
	}
	resolvable = true
	if err := d.Draw(testFrame(2, 1)); err == nil {
		t.Fatal("resolved again before the backoff elapsed")
	}
	clock.add(serialMaxBackoff)
	if err := d.Draw(testFrame(2, 1)); err != nil {
		t.Fatalf("after the name resolves: %v", err)
	}
	if st := p.State(); !st.Up {
		t.Fatalf("state %+v, want up", st)
	}
	buf := make([]byte, 100)
	sink.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := sink.Read(buf); err != nil || n != 16 {
		t.Fatalf("datagram: %d bytes, %v", n, err)
	}
	if to, err := resolve("ddp", "led.example", 4048); err != nil || to.String() != "127.0.0.1:4048" {
		t.Fatalf("resolve = %v, %v; want the IPv4 address", to, err)
	}
}

// udpSink listens on a loopback port and hands back datagrams.
func udpSink(t *testing.T) (*net.UDPConn, int) { return udpSinkB(t) }

func udpSinkB(t testing.TB) (*net.UDPConn, int) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().(*net.UDPAddr).Port
}

// TestOverLoopbackUDP opens each network driver from settings, as the agent
// does, sends a frame over real loopback UDP, and compares the datagrams
// with what the same driver hands a recorder.
func TestOverLoopbackUDP(t *testing.T) {
	for _, name := range []string{"ddp", "e131", "artnet", "tpm2net"} {
		t.Run(name, func(t *testing.T) {
			sink, port := udpSink(t)
			s := Settings{"width": 40, "height": 20, "host": "127.0.0.1", "port": port, "serpentine": "rows", "colour_order": "GRB"}
			d, err := Open(name, s)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			frame := testFrame(40, 20)
			if err := d.Draw(frame); err != nil {
				t.Fatal(err)
			}
			// The same frame through a recorder.
			rec := &recorder{}
			p := d.(*Pixels)
			p.mu.Lock()
			real := p.f
			p.f = swapWriter(real, rec)
			p.mu.Unlock()
			d.Draw(frame)
			buf := make([]byte, 70000)
			sink.SetReadDeadline(time.Now().Add(5 * time.Second))
			for i, want := range rec.packets {
				n, err := sink.Read(buf)
				if err != nil {
					t.Fatalf("datagram %d of %d: %v", i+1, len(rec.packets), err)
				}
				if !bytes.Equal(buf[:n], want) {
					t.Fatalf("datagram %d differs:\n got % x\nwant % x", i+1, buf[:n], want)
				}
			}
		})
	}
}

// swapWriter points a framer at another transport (test only).
func swapWriter(f framer, w PacketWriter) framer {
	switch f := f.(type) {
	case *ddpFramer:
		c := *f
		c.w = w
		c.seq = byte((int(c.seq)-1-(len(c.px)+ddpMaxPayload-1)/ddpMaxPayload)%15+15)%15 + 1
		return &c
	case *e131Framer:
		c := *f
		c.w = w
		c.seq--
		return &c
	case *artnetFramer:
		c := *f
		c.w = w
		c.seq--
		return &c
	case *tpm2netFramer:
		c := *f
		c.w = w
		return &c
	}
	panic(fmt.Sprintf("no swap for %T", f))
}

func TestDrawAllocatesNothing(t *testing.T) {
	for _, name := range []string{"ddp", "e131", "artnet", "tpm2net"} {
		_, port := udpSink(t)
		d, err := Open(name, Settings{"width": 128, "height": 64, "host": "127.0.0.1", "port": port, "sync": true, "sync_universe": 9, "serpentine": "rows"}.without(name))
		if err != nil {
			t.Fatal(err)
		}
		frame := testFrame(128, 64)
		if a := testing.AllocsPerRun(10, func() {
			if err := d.Draw(frame); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: Draw allocates %v times per frame", name, a)
		}
		d.Close()
	}
}

// without drops the settings a driver does not have.
func (s Settings) without(driver string) Settings {
	out := Settings{}
	for k, v := range s {
		if k == "sync" && driver != "artnet" || k == "sync_universe" && driver != "e131" {
			continue
		}
		out[k] = v
	}
	return out
}

// TestBatchOverIPv6Loopback sends a multi-packet frame to [::1], through
// the IPv6 side of the batched sender.
func TestBatchOverIPv6Loopback(t *testing.T) {
	sink, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no IPv6 loopback: CI must run this test, not skip it: %v", err)
		}
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer sink.Close()
	port := sink.LocalAddr().(*net.UDPAddr).Port
	d, err := Open("ddp", Settings{"width": 40, "height": 20, "host": "::1", "port": port, "gamma": 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Draw(testFrame(40, 20)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2000)
	sink.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i, want := range []int{1450, 970} { // 800 px = 2400 bytes: 1440 + 960
		n, err := sink.Read(buf)
		if err != nil || n != want {
			t.Fatalf("datagram %d: %d bytes, %v; want %d", i+1, n, err, want)
		}
	}
	if buf[0] != 0x41 || !bytes.Equal(buf[10:13], []byte{0, 12, 480 % 256}) {
		t.Fatalf("last datagram % x", buf[:13])
	}
}

// TestEveryNetworkPacketFitsOneEthernetFrame: whatever settings Check
// accepts, no network driver sends a UDP datagram larger than one
// Ethernet frame carries (a larger one fragments, and small receivers
// drop fragments). TPM2.net's pixels_per_packet is the setting that could
// make them larger: 489 or more is refused, naming the maximum, 488.
func TestEveryNetworkPacketFitsOneEthernetFrame(t *testing.T) {
	for _, tc := range []struct {
		driver string
		extra  Settings
	}{
		{"ddp", nil}, {"e131", nil}, {"artnet", nil},
		{"tpm2net", Settings{"pixels_per_packet": 480}},
		{"tpm2net", Settings{"pixels_per_packet": 488}},
		{"tpm2net", Settings{"pixels_per_packet": 489}},
		{"tpm2net", Settings{"pixels_per_packet": 515}},
		{"tpm2net", Settings{"pixels_per_packet": 21800}},
	} {
		_, port := udpSink(t)
		s := Settings{"width": 256, "height": 128, "host": "127.0.0.1", "port": port}
		for k, v := range tc.extra {
			s[k] = v
		}
		if err := Check(tc.driver, s); err != nil {
			var se *SettingError
			if !errors.As(err, &se) || se.Key != "pixels_per_packet" || !strings.Contains(err.Error(), "use at most 488") {
				t.Errorf("%s %v refused without naming the maximum: %v", tc.driver, tc.extra, err)
			}
			continue
		}
		d, err := Open(tc.driver, s)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.driver, tc.extra, err)
		}
		p := d.(*Pixels)
		rec := &recorder{}
		p.f = swapWriter(p.f, rec)
		if err := d.Draw(testFrame(256, 128)); err != nil {
			t.Fatal(err)
		}
		d.Close()
		for i, pkt := range rec.packets {
			if len(pkt) > MaxUDPPayload {
				t.Errorf("%s %v: packet %d is %d bytes of UDP data, more than one Ethernet frame's %d", tc.driver, tc.extra, i+1, len(pkt), MaxUDPPayload)
				break
			}
		}
	}
}

// TestTPM2NetAdviceFitsOneEthernetFrame: a panel too large for 255
// packets is told a pixels_per_packet that fits one Ethernet frame, or,
// when none does, to split the panel — never a value that fragments.
func TestTPM2NetAdviceFitsOneEthernetFrame(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		want string
	}{
		{384, 192, "raise pixels_per_packet to 290–488"},
		{512, 256, "one TPM2.net output carries at most 124440 pixels: split the panel"},
	} {
		err := Check("tpm2net", Settings{"width": tc.w, "height": tc.h, "host": "h", "pixels_per_packet": 170})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%dx%d: %v, want %q", tc.w, tc.h, err, tc.want)
		}
	}
}

// TestFrameRateBoundByTheLink: the frame rate is bounded by the link the
// profile declares (link_mbit, default 100): 128×64 is 49 E1.31 packets,
// 33,984 bytes on the wire per frame, so 367 fps at 100 Mbit; 18 DDP
// packets, 25,944 bytes, so 481 fps (PROTOCOLS.md's "Physical limits").
func TestFrameRateBoundByTheLink(t *testing.T) {
	for _, tc := range []struct {
		driver string
		extra  Settings
		max    int
	}{
		{"e131", nil, 367},
		{"ddp", nil, 481},
		{"artnet", nil, 435},
		{"tpm2net", nil, 482},
		{"e131", Settings{"link_mbit": 1000}, 3678},
		{"e131", Settings{"multicast": true}, 367},
	} {
		s := Settings{"width": 128, "height": 64, "host": "10.0.0.7"}
		for k, v := range tc.extra {
			s[k] = v
		}
		if err := CheckFPS(tc.driver, s, float64(tc.max)); err != nil {
			t.Errorf("%s %v at %d fps: %v", tc.driver, tc.extra, tc.max, err)
		}
		err := CheckFPS(tc.driver, s, float64(tc.max+1))
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("at most %d fps", tc.max)) || !strings.Contains(err.Error(), "128x64") || !strings.Contains(err.Error(), "link_mbit") {
			t.Errorf("%s %v at %d fps: %v; want a refusal naming the maximum %d", tc.driver, tc.extra, tc.max+1, err, tc.max)
		}
	}
	if err := CheckFPS("virtual", Settings{"width": 4, "height": 2}, 10000); err != nil {
		t.Errorf("virtual has no link: %v", err)
	}
	if err := Check("ddp", Settings{"width": 4, "height": 2, "host": "h", "link_mbit": 0}); err == nil || !strings.Contains(err.Error(), "link_mbit") {
		t.Errorf("link_mbit 0: %v", err)
	}
}

// TestCloseLeavesThePanelBlack: a driver whose protocol cannot say "off"
// (DDP) sends one black frame when it is closed after drawing, so a panel
// whose agent stopped is dark, not frozen on its last picture.
func TestCloseLeavesThePanelBlack(t *testing.T) {
	rec := &recorder{}
	d, _ := NewDDP(rec, dst, plain(2, 1), DDPOptions{})
	if err := d.Draw(testFrame(2, 1)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rec.packets) != 2 || !bytes.Equal(rec.packets[1][10:], make([]byte, 6)) || rec.packets[1][0]&ddpFlagPush == 0 || !rec.closed {
		t.Fatalf("after Close: %d packets, last % x; want one black frame with PUSH, then the socket closed", len(rec.packets), rec.packets[len(rec.packets)-1])
	}
	rec2 := &recorder{}
	d2, _ := NewDDP(rec2, dst, plain(2, 1), DDPOptions{})
	d2.Close()
	if len(rec2.packets) != 0 {
		t.Fatalf("a driver that never drew sent %d packets on Close", len(rec2.packets))
	}
}
