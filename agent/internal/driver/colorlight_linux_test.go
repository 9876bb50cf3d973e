//go:build linux

package driver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// needRoot skips locally, and fails under CI=true (CI runs as root), when
// the test cannot make network namespaces and raw sockets.
func needRoot(t *testing.T) {
	t.Helper()
	needTool(t, "ip")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("this test needs root (network namespaces, raw sockets); CI runs as root")
		}
		t.Skip("needs root: network namespaces and raw sockets")
	}
}

var netnsSeq atomic.Int32

// vethNetns makes a network namespace holding a veth pair, cla and clb,
// both up, and removes it when the test ends.
func vethNetns(t *testing.T) string {
	t.Helper()
	needRoot(t)
	ns := fmt.Sprintf("pano-cl-%d-%d", os.Getpid(), netnsSeq.Add(1))
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			if os.Getenv("CI") != "true" && args[0] == "netns" && args[1] == "add" {
				t.Skipf("cannot make a network namespace here: %v: %s", err, out)
			}
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("-n", ns, "link", "add", "cla", "type", "veth", "peer", "name", "clb")
	ip("-n", ns, "link", "set", "cla", "up")
	ip("-n", ns, "link", "set", "clb", "up")
	return ns
}

// inNetns runs fn on an OS thread that has joined network namespace ns.
// Sockets made there stay in ns. The thread is never unlocked, so it ends
// with its goroutine and no other goroutine runs in ns.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// clReceiver is a Colorlight card written from the layout in PROTOCOLS.md
// (FPP's description): its own AF_PACKET socket on the far end of the veth
// pair, taking every frame from the driver's source MAC.
type clReceiver struct {
	fd       int
	dst, src net.HardwareAddr
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func openCLReceiver(iface string) (*clReceiver, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Room for several frames of a large picture, and no test hangs.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
	dst, _ := net.ParseMAC(clDefaultDestMAC)
	src, _ := net.ParseMAC(clDefaultSrcMAC)
	return &clReceiver{fd: fd, dst: dst, src: src}, nil
}

// next returns the next Ethernet frame from the driver.
func (r *clReceiver) next() ([]byte, error) {
	buf := make([]byte, 2048)
	for {
		n, _, err := unix.Recvfrom(r.fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("no frame from the driver: %w", err)
		}
		if n >= 14 && bytes.Equal(buf[6:12], r.src) {
			return buf[:n], nil
		}
	}
}

// clPicture is one displayed frame as the card received it.
type clPicture struct {
	pix                  []byte // 3 bytes a pixel, row-major, as on the wire
	level                byte   // from the brightness packet
	brightness, displays int    // packets of each kind
	rows                 int    // row packets
}

// frame reads one frame (brightness, rows, display frame) for a w × h
// picture on cards of cw × ch, checking every packet against the layout:
// MACs, sizes, fixed bytes, the row in the EtherType, the pixel count in
// the data, at most 497 pixels, no packet across two cards, every pixel
// exactly once.
func (r *clReceiver) frame(w, h, cw, ch, times int) (*clPicture, error) {
	p := &clPicture{pix: make([]byte, 3*w*h)}
	seen := make([]bool, w*h)
	state := "brightness"
	for {
		f, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("after %d brightness, %d row, %d display packets: %w", p.brightness, p.rows, p.displays, err)
		}
		if !bytes.Equal(f[0:6], r.dst) {
			return nil, fmt.Errorf("destination MAC %x, want %x", f[0:6], r.dst)
		}
		data := f[13:]
		switch f[12] {
		case 0x0A:
			if state != "brightness" {
				return nil, fmt.Errorf("brightness packet after the rows began")
			}
			if len(f) != 77 || data[0] != data[1] || data[1] != data[2] || data[3] != 0xFF || !allZero(data[4:]) {
				return nil, fmt.Errorf("brightness packet of %d bytes: % x", len(f), data[:8])
			}
			if p.brightness > 0 && data[0] != p.level {
				return nil, fmt.Errorf("two brightness packets disagree: %d, %d", p.level, data[0])
			}
			p.level = data[0]
			p.brightness++
		case 0x55:
			if state == "display" {
				return nil, fmt.Errorf("row packet after the display frame")
			}
			state = "rows"
			row := int(f[13])<<8 | int(f[14])
			off := int(data[2])<<8 | int(data[3])
			n := int(data[4])<<8 | int(data[5])
			switch {
			case data[6] != 0x08 || data[7] != 0x88:
				return nil, fmt.Errorf("row %d: bytes 6–7 % x, want 08 88", row, data[6:8])
			case n < 1 || n > 497:
				return nil, fmt.Errorf("row %d: %d pixels in one packet (1–497)", row, n)
			case len(f) != 21+3*n:
				return nil, fmt.Errorf("row %d: %d bytes for %d pixels, want %d", row, len(f), n, 21+3*n)
			case row >= h || off+n > w:
				return nil, fmt.Errorf("row %d pixels %d–%d: outside the %dx%d picture", row, off, off+n-1, w, h)
			case off/cw != (off+n-1)/cw:
				return nil, fmt.Errorf("row %d pixels %d–%d span two cards %d wide", row, off, off+n-1, cw)
			}
			for i := 0; i < n; i++ {
				if seen[row*w+off+i] {
					return nil, fmt.Errorf("pixel %d,%d sent twice", off+i, row)
				}
				seen[row*w+off+i] = true
			}
			copy(p.pix[3*(row*w+off):], data[8:8+3*n])
			p.rows++
		case 0x01:
			if len(f) != 112 || data[0] != 0x07 || data[23] != 0x05 {
				return nil, fmt.Errorf("display frame of %d bytes: % x", len(f), data[:28])
			}
			for _, i := range []int{22, 25, 26, 27} {
				if data[i] != p.level {
					return nil, fmt.Errorf("display frame byte %d: level %d, the brightness packet said %d", i, data[i], p.level)
				}
			}
			state = "display"
			p.displays++
			if p.displays < times {
				continue
			}
			for i, ok := range seen {
				if !ok {
					return nil, fmt.Errorf("pixel %d,%d never sent before the display frame", i%w, i/w)
				}
			}
			if p.brightness != times {
				return nil, fmt.Errorf("%d brightness packets, want %d", p.brightness, times)
			}
			return p, nil
		default:
			return nil, fmt.Errorf("unexpected packet type %#x", f[12])
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestColorlightOverVeth opens the driver from settings, as the agent
// does, on one end of a veth pair in a network namespace, and reads its
// frames with its own raw socket on the other end: every pixel (in BGR,
// the card's order), every row packet and every brightness and display
// packet checked, for one card, long rows split at 497 pixels, and chains
// of two cards (side by side, firmware 13 with doubled packets; stacked).
func TestColorlightOverVeth(t *testing.T) {
	for _, tc := range []struct {
		name             string
		w, h, cw, ch, fw int
		rows             int // row packets a frame
	}{
		{"one card 128x64", 128, 64, 0, 0, 0, 64},
		{"one card, rows of 640 split", 640, 4, 0, 0, 0, 8},
		{"two cards side by side, firmware 13", 1200, 4, 600, 4, 13, 16},
		{"two cards stacked", 64, 64, 64, 32, 0, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := vethNetns(t)
			s := Settings{"interface": "cla", "width": tc.w, "height": tc.h, "gamma": 1, "firmware_version": tc.fw, "brightness": 60}
			cw, ch := tc.w, tc.h
			if tc.cw != 0 {
				s["card_width"], s["card_height"] = tc.cw, tc.ch
				cw, ch = tc.cw, tc.ch
			}
			times := 1
			if tc.fw >= 13 {
				times = 2
			}
			var d Driver
			var rx *clReceiver
			if err := inNetns(ns, func() (err error) {
				if rx, err = openCLReceiver("clb"); err != nil {
					return err
				}
				d, err = Open("colorlight", s)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(rx.fd)
			frame := testFrame(tc.w, tc.h)
			want := make([]byte, 0, 3*tc.w*tc.h)
			for i := 0; i < len(frame.Pix); i += 4 {
				want = append(want, frame.Pix[i+2], frame.Pix[i+1], frame.Pix[i]) // BGR
			}
			// 60 % from the profile, then 40 % as the agent sets it.
			for _, pct := range []int{60, 40} {
				if pct != 60 {
					if err := d.SetBrightness(pct); err != nil {
						t.Fatal(err)
					}
				}
				if err := d.Draw(frame); err != nil {
					t.Fatal(err)
				}
				got, err := rx.frame(tc.w, tc.h, cw, ch, times)
				if err != nil {
					t.Fatalf("brightness %d %%: %v", pct, err)
				}
				if wantLevel := byte((pct*255 + 50) / 100); got.level != wantLevel {
					t.Errorf("brightness %d %%: level %d on the wire, want %d", pct, got.level, wantLevel)
				}
				if got.rows != tc.rows {
					t.Errorf("%d row packets, want %d", got.rows, tc.rows)
				}
				if i := firstDiff(got.pix, want); i >= 0 {
					p := i / 3
					t.Fatalf("brightness %d %%: pixel %d,%d is % x, want % x (BGR; the card dims, not the pixels)", pct, p%tc.w, p/tc.w, got.pix[3*p:3*p+3], want[3*p:3*p+3])
				}
			}
			// Close leaves the cards dark, not frozen on the last picture.
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := rx.frame(tc.w, tc.h, cw, ch, times)
			if err != nil {
				t.Fatalf("on Close: %v", err)
			}
			if !allZero(got.pix) {
				t.Fatalf("the frame sent on Close is not black")
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return len(a)
	}
	return -1
}

// TestColorlightOpenErrors: a missing interface names the setting and the
// interfaces there are; a missing CAP_NET_RAW says to grant it. The
// capability is dropped on one OS thread only (Linux credentials are per
// thread), which then ends with its goroutine.
func TestColorlightOpenErrors(t *testing.T) {
	_, err := Open("colorlight", Settings{"interface": "pano-none0", "width": 4, "height": 2})
	var se *SettingError
	if !errors.As(err, &se) || se.Key != "interface" || !strings.Contains(err.Error(), "no such network interface") || !strings.Contains(err.Error(), "it has: ") {
		t.Errorf("missing interface: %v", err)
	}

	needRoot(t)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread without the capability ends here
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			errc <- err
			return
		}
		data[unix.CAP_NET_RAW/32].Effective &^= 1 << (unix.CAP_NET_RAW % 32)
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			errc <- err
			return
		}
		_, err := openRawEthernet("colorlight", "lo")
		errc <- err
	}()
	err = <-errc
	if err == nil || !strings.Contains(err.Error(), "needs CAP_NET_RAW") || !strings.Contains(err.Error(), "systemd unit grants it") {
		t.Errorf("without CAP_NET_RAW: %v", err)
	}
}

// TestColorlightSettings: the profile check refuses what cannot work,
// naming the key.
func TestColorlightSettings(t *testing.T) {
	base := func() Settings { return Settings{"interface": "eth1", "width": 128, "height": 64} }
	if err := Check("colorlight", base()); err != nil {
		t.Fatalf("plain settings: %v", err)
	}
	for _, tc := range []struct {
		key  string
		val  any
		want string
	}{
		{"interface", "", "is empty"},
		{"card_width", 96, "does not divide the picture's width 128"},
		{"card_height", 48, "does not divide the picture's height 64"},
		{"card_width", 256, "does not divide"},
		{"source_mac", "22:22:33", "is not a MAC address"},
		{"destination_mac", "nope", "is not a MAC address"},
		{"colour_order", "XYZ", "use one of"},
		{"brightness", 101, "out of range"},
		{"serpentine", "rows", "is not a setting of this driver"},
	} {
		s := base()
		s[tc.key] = tc.val
		err := Check("colorlight", s)
		var se *SettingError
		if !errors.As(err, &se) || se.Key != tc.key || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%v: %v; want a refusal naming %q and %q", tc.key, tc.val, err, tc.key, tc.want)
		}
	}
	s := base()
	delete(s, "interface")
	if err := Check("colorlight", s); err == nil || !strings.Contains(err.Error(), `"interface" is missing`) {
		t.Errorf("no interface: %v", err)
	}
}

// TestColorlightInterfaceComesBack: when the interface disappears (a USB
// adapter unplugged), frames fail and State says so with retries; when an
// interface of that name is back (with another index), the driver binds
// to it again within its backoff (a fake clock here) and every pixel
// arrives again.
func TestColorlightInterfaceComesBack(t *testing.T) {
	ns := vethNetns(t)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	s := Settings{"interface": "cla", "width": 64, "height": 32, "gamma": 1}
	var d Driver
	if err := inNetns(ns, func() (err error) { d, err = Open("colorlight", s); return err }); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	raw := d.(*Colorlight).w.(*rawEthernet)
	now := time.Now()
	raw.now = func() time.Time { return now }
	frame := testFrame(64, 32)
	if err := d.Draw(frame); err != nil {
		t.Fatal(err)
	}

	ip("link", "del", "cla") // takes clb with it
	for i := 0; i < 3; i++ {
		if err := d.Draw(frame); err == nil || !strings.Contains(err.Error(), "interface cla is gone") {
			t.Fatalf("draw %d with the interface gone: %v", i+1, err)
		}
		now = now.Add(5 * time.Second)
	}
	if st := d.(StateReporter).State(); st.Up || st.Retries != 3 {
		t.Fatalf("state with the interface gone: %+v; want down after 3 retries", st)
	}

	ip("link", "add", "cla", "type", "veth", "peer", "name", "clb")
	ip("link", "set", "cla", "up")
	ip("link", "set", "clb", "up")
	var rx *clReceiver
	if err := inNetns(ns, func() (err error) { rx, err = openCLReceiver("clb"); return err }); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(rx.fd)
	now = now.Add(5 * time.Second)
	if err := d.Draw(frame); err != nil {
		t.Fatalf("interface back: %v", err)
	}
	got, err := rx.frame(64, 32, 64, 32, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 64*32; i++ {
		if p := frame.Pix[4*i:]; got.pix[3*i] != p[2] || got.pix[3*i+1] != p[1] || got.pix[3*i+2] != p[0] {
			t.Fatalf("pixel %d after the interface came back: % x", i, got.pix[3*i:3*i+3])
		}
	}
	if st := d.(StateReporter).State(); !st.Up {
		t.Fatalf("state after the interface came back: %+v", st)
	}
}
