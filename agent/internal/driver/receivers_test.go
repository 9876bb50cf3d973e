package driver

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The receivers live in testdata/receivers: the npm packages sacn (E1.31)
// and dmxnet (Art-Net), pinned by package-lock.json and installed with
// npm ci. Under CI=true a missing node, npm or package fails the test:
// CI must not pass by skipping them.

var (
	npmOnce sync.Once
	npmErr  error
)

func receiversDir(t *testing.T) string {
	t.Helper()
	needTool(t, "node")
	needTool(t, "npm")
	dir, _ := filepath.Abs(filepath.Join("testdata", "receivers"))
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "sacn", "package.json")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "node_modules", "dmxnet", "package.json")); err == nil {
				return
			}
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
		}
	})
	if npmErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(npmErr)
		}
		t.Skip(npmErr)
	}
	return dir
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// receiver runs receive.js and returns the slots it got per universe.
type receiver struct {
	cmd   *exec.Cmd
	lines chan string
	log   *bytes.Buffer
}

func startReceiver(t *testing.T, kind string, port, first, count int, more ...string) *receiver {
	t.Helper()
	dir := receiversDir(t)
	cmd := exec.Command("node", append([]string{"receive.js", kind, strconv.Itoa(port), strconv.Itoa(first), strconv.Itoa(count)}, more...)...)
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	r := &receiver{cmd: cmd, lines: make(chan string, count+16), log: &bytes.Buffer{}}
	cmd.Stderr = r.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "PANO "); ok {
				r.lines <- line
			}
		}
		close(r.lines)
	}()
	if line := r.next(t); line != "ready" {
		t.Fatalf("receiver said %q before ready; stderr:\n%s", line, r.log)
	}
	return r
}

func (r *receiver) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-r.lines:
		if !ok {
			r.cmd.Wait()
			t.Fatalf("receiver exited; stderr:\n%s", r.log)
		}
		return line
	case <-time.After(15 * time.Second):
		t.Fatalf("receiver said nothing within 15 s; stderr:\n%s", r.log)
	}
	return ""
}

// universes reads count "universe hex" lines.
func (r *receiver) universes(t *testing.T, count int) map[int][]byte {
	t.Helper()
	got := map[int][]byte{}
	for len(got) < count {
		line := r.next(t)
		if strings.HasPrefix(line, "error") {
			t.Fatalf("receiver: %s", line)
		}
		u, hx, _ := strings.Cut(line, " ")
		n, err := strconv.Atoi(u)
		b, err2 := hex.DecodeString(hx)
		if err != nil || err2 != nil {
			t.Fatalf("bad receiver line %q", line)
		}
		got[n] = b
	}
	return got
}

// checkEveryPixel checks that LED n of a w×h serpentine-by-rows, GRB panel
// arrived at universe first+n/170, slots 3(n%170)+1..+3, with the colour of
// its logical pixel. The expected wiring is computed here, not by package
// mapping.
func checkEveryPixel(t *testing.T, got map[int][]byte, first, w, h int) {
	t.Helper()
	f := testFrame(w, h)
	for n := 0; n < w*h; n++ {
		y, x := n/w, n%w
		if y%2 == 1 {
			x = w - 1 - x
		}
		c := f.RGBAAt(x, y)
		want := []byte{c.G, c.R, c.B}
		slots := got[first+n/170]
		at := 3 * (n % 170)
		if len(slots) < at+3 || !bytes.Equal(slots[at:at+3], want) {
			t.Fatalf("LED %d (pixel %d,%d): universe %d slots %d–%d = % x, want % x", n, x, y, first+n/170, at+1, at+3, slots[min(at, len(slots)):min(at+3, len(slots))], want)
		}
	}
}

func TestE131AgainstNpmSacn(t *testing.T) {
	const w, h, first = 48, 10, 5 // 480 LEDs: universes 5, 6, 7 (170, 170, 140)
	port := freeUDPPort(t)
	r := startReceiver(t, "sacn", port, first, 3)
	d, err := Open("e131", Settings{"width": w, "height": h, "host": "127.0.0.1", "port": port, "universe": first,
		"serpentine": "rows", "colour_order": "GRB", "gamma": 1, "source_name": "pano test"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Draw(testFrame(w, h)); err != nil {
		t.Fatal(err)
	}
	got := r.universes(t, 3)
	if len(got[first+2]) != 140*3 {
		t.Fatalf("last universe has %d slots, want 420", len(got[first+2]))
	}
	checkEveryPixel(t, got, first, w, h)
}

func TestArtNetAgainstNpmDmxnet(t *testing.T) {
	const w, h = 48, 10
	first := 1<<8 | 15<<4 | 14 // net 1, subnet 15, universe 14: the third is net 2, 0, 0
	port := freeUDPPort(t)
	r := startReceiver(t, "artnet", port, first, 3)
	d, err := Open("artnet", Settings{"width": w, "height": h, "host": "127.0.0.1", "port": port, "net": 1, "subnet": 15, "universe": 14,
		"serpentine": "rows", "colour_order": "GRB", "gamma": 1, "sync": true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Draw(testFrame(w, h)); err != nil {
		t.Fatal(err)
	}
	checkEveryPixel(t, r.universes(t, 3), first, w, h)
}

// TestE131OffAgainstNpmSacn: Off ends the stream the way E1.31-2018 §6.2.6
// says, as the independent receiver parses it: after the last frame, three
// packets per universe with Stream_Terminated (options 0x40), black, with
// sequence numbers going on; the next frame is an ordinary one again.
func TestE131OffAgainstNpmSacn(t *testing.T) {
	const w, h, first = 20, 10, 3 // 200 LEDs: universes 3 (170) and 4 (30)
	const frames = 1 + 3 + 1      // a frame, three terminations, a frame
	port := freeUDPPort(t)
	r := startReceiver(t, "sacn-stream", port, first, 2, strconv.Itoa(2*frames))
	d, err := Open("e131", Settings{"width": w, "height": h, "host": "127.0.0.1", "port": port, "universe": first, "gamma": 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sw, ok := d.(Switch)
	if !ok {
		t.Fatal("the e131 driver has no Off")
	}
	if err := d.Draw(testFrame(w, h)); err != nil {
		t.Fatal(err)
	}
	if err := sw.Off(); err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(testFrame(w, h)); err != nil {
		t.Fatal(err)
	}
	type pkt struct {
		seq, options int
		black        bool
	}
	got := map[int][]pkt{}
	for i := 0; i < 2*frames; i++ {
		line := r.next(t)
		f := strings.Fields(line)
		if len(f) != 4 || f[0] == "error" {
			t.Fatalf("receiver: %q", line)
		}
		u, _ := strconv.Atoi(f[0])
		seq, _ := strconv.Atoi(f[1])
		opt, _ := strconv.Atoi(f[2])
		b, _ := hex.DecodeString(f[3])
		got[u] = append(got[u], pkt{seq, opt, bytes.Count(b, []byte{0}) == len(b)})
	}
	for _, u := range []int{first, first + 1} {
		ps := got[u]
		if len(ps) != frames {
			t.Fatalf("universe %d: %d packets, want %d", u, len(ps), frames)
		}
		for i, p := range ps {
			term := i >= 1 && i <= 3
			if (p.options&0x40 != 0) != term || p.black != term || p.seq != ps[0].seq+i {
				t.Fatalf("universe %d packet %d: %+v (want terminated and black: %v, sequence %d)", u, i, p, term, ps[0].seq+i)
			}
		}
	}
}

// TestDDPHasNoOff: DDP cannot say "off" (see ddp.go): the player must keep
// drawing black.
func TestDDPHasNoOff(t *testing.T) {
	rec := &recorder{}
	d, _ := NewDDP(rec, dst, plain(2, 1), DDPOptions{})
	if err := d.Off(); !errors.Is(err, ErrNoOff) || len(rec.packets) != 0 {
		t.Fatalf("DDP Off: %v, %d packets", err, len(rec.packets))
	}
}

// TestE131StopEndsTheStreamAgainstNpmSacn: closing the driver (the agent
// stops) ends every universe's stream with three Stream_Terminated packets,
// black, as the independent receiver parses them, so receivers go dark at
// once instead of holding the last frame for the 2.5 s data-loss timeout.
func TestE131StopEndsTheStreamAgainstNpmSacn(t *testing.T) {
	const w, h, first = 20, 10, 3
	const frames = 1 + 3 // a frame, three terminations
	port := freeUDPPort(t)
	r := startReceiver(t, "sacn-stream", port, first, 2, strconv.Itoa(2*frames))
	d, err := Open("e131", Settings{"width": w, "height": h, "host": "127.0.0.1", "port": port, "universe": first, "gamma": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Draw(testFrame(w, h)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[int][]int{}
	for i := 0; i < 2*frames; i++ {
		f := strings.Fields(r.next(t))
		if len(f) != 4 || f[0] == "error" {
			t.Fatalf("receiver: %q", f)
		}
		u, _ := strconv.Atoi(f[0])
		opt, _ := strconv.Atoi(f[2])
		b, _ := hex.DecodeString(f[3])
		if opt&0x40 != 0 && bytes.Count(b, []byte{0}) != len(b) {
			t.Fatalf("universe %d: a terminating packet carries light", u)
		}
		got[u] = append(got[u], opt&0x40)
	}
	for _, u := range []int{first, first + 1} {
		if want := []int{0, 0x40, 0x40, 0x40}; fmt.Sprint(got[u]) != fmt.Sprint(want) {
			t.Fatalf("universe %d: options %v, want a frame then three Stream_Terminated %v", u, got[u], want)
		}
	}
}
