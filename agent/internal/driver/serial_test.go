package driver

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// needTool skips locally, and fails under CI=true, when a tool is missing:
// CI must not pass by running nothing.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (scripts/install-deps.sh installs it): %v", name, err)
		}
		t.Skipf("%s is not installed; run scripts/install-deps.sh", name)
	}
}

// socat is a pseudo-terminal pair: dir/A for the driver, dir/B for the test.
type socat struct {
	t    *testing.T
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startSocat starts socat and returns once it says both ptys are linked
// and it is moving data (its "starting data transfer loop" line).
func startSocat(t *testing.T, dir string) *socat {
	t.Helper()
	needTool(t, "socat")
	cmd := exec.Command("socat", "-d", "-d",
		"pty,raw,echo=0,link="+filepath.Join(dir, "A"),
		"pty,raw,echo=0,link="+filepath.Join(dir, "B"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &socat{t: t, dir: dir, cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	var log strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "starting data transfer loop") {
				once.Do(func() { close(ready) })
			}
		}
		cmd.Wait()
		close(s.done)
	}()
	select {
	case <-ready:
	case <-s.done:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("socat exited:\n%s", log.String())
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("socat did not start within 10 s")
	}
	t.Cleanup(s.stop)
	return s
}

// stop ends socat ("unplugs" the device) and waits until it has exited.
func (s *socat) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// openB opens the test's end of the pair.
func (s *socat) openB() *os.File {
	s.t.Helper()
	f, err := os.OpenFile(filepath.Join(s.dir, "B"), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { f.Close() })
	return f
}

// readN reads exactly n bytes from f within 10 s.
func readN(t *testing.T, f *os.File, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	got := make(chan error, 1)
	go func() { _, err := io.ReadFull(f, buf); got <- err }()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("read %d bytes: %v", n, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("did not receive %d bytes within 10 s", n)
	}
	return buf
}

func serialSettings(driver, port string) Settings {
	return Settings{"width": 4, "height": 2, "port": port, "baud": 115200, "data_bits": 8, "parity": "none", "stop_bits": 1, "gamma": 1.0, "colour_order": "GRB", "serpentine": "rows"}
}

func TestSerialGoldenOverPty(t *testing.T) {
	for _, name := range []string{"tpm2", "adalight"} {
		t.Run(name, func(t *testing.T) {
			s := startSocat(t, t.TempDir())
			b := s.openB()
			d, err := Open(name, serialSettings(name, filepath.Join(s.dir, "A")))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.Draw(testFrame(4, 2)); err != nil {
				t.Fatal(err)
			}
			hdr := map[string]int{"tpm2": 4, "adalight": 6}[name]
			trailer := map[string]int{"tpm2": 1, "adalight": 0}[name]
			got := readN(t, b, hdr+24+trailer)
			checkGolden(t, name+".golden", []byte(dumpBytes(got)))
			// By hand: GRB order, second row reversed (serpentine), so LED 4
			// is pixel (3,1) = R 3, G 1, B 7 sent as 1, 3, 7.
			led4 := got[hdr+12 : hdr+15]
			if !bytes.Equal(led4, []byte{1, 3, 7}) {
				t.Fatalf("LED 4 = % x, want 01 03 07", led4)
			}
			switch name {
			case "tpm2":
				if !bytes.Equal(got[:4], []byte{0xC9, 0xDA, 0, 24}) || got[len(got)-1] != 0x36 {
					t.Fatalf("tpm2 framing % x", got)
				}
			case "adalight":
				if !bytes.Equal(got[:6], []byte{'A', 'd', 'a', 0, 7, 7 ^ 0x55}) {
					t.Fatalf("adalight header % x", got[:6])
				}
			}
		})
	}
}

func dumpBytes(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%16 == 0 {
			sb.WriteByte('\n')
		} else if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strings.ToUpper(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])))
	}
	return sb.String() + "\n"
}

// fakeClock says "now" without sleeping, so backoff is tested without
// waiting for it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestSerialUnplugReplug stops socat under a running TPM2 driver (the USB
// adapter is pulled), checks that the driver says so and backs off, starts
// socat again (plugged back) and checks that the next frame arrives whole.
func TestSerialUnplugReplug(t *testing.T) {
	dir := t.TempDir()
	s := startSocat(t, dir)
	b := s.openB()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	port := OpenSerial(SerialConfig{Port: filepath.Join(dir, "A"), Baud: 115200, DataBits: 8, Parity: "none", StopBits: "1"})
	port.now = clock.now
	d, err := NewTPM2(port, plain(4, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	frame := testFrame(4, 2)
	if err := d.Draw(frame); err != nil {
		t.Fatal(err)
	}
	first := readN(t, b, 29)

	s.stop() // unplug
	b.Close()
	// The pty's buffer may take one more frame; a write after the other
	// side is gone fails within a few frames.
	var drawErr error
	for i := 0; i < 100 && drawErr == nil; i++ {
		drawErr = d.Draw(frame)
	}
	if drawErr == nil || !strings.Contains(drawErr.Error(), "serial port "+filepath.Join(dir, "A")) {
		t.Fatalf("after unplug: err %v", drawErr)
	}
	if st := d.State(); st.Up || st.Err == nil {
		t.Fatalf("state %+v, want down with a reason", st)
	}
	// Still unplugged: the reopen fails and the next one waits for the
	// backoff, failing at once in between.
	d.Draw(frame)
	if st := d.State(); st.Retries != 1 {
		t.Fatalf("retries %d after one reopen attempt", st.Retries)
	}
	d.Draw(frame)
	if st := d.State(); st.Retries != 1 {
		t.Fatalf("retries %d: reopened before the backoff elapsed", st.Retries)
	}
	clock.add(serialMinBackoff)
	d.Draw(frame)
	if st := d.State(); st.Retries != 2 {
		t.Fatalf("retries %d: did not retry after the backoff", st.Retries)
	}

	s = startSocat(t, dir) // replug: a new pty behind the same name
	b = s.openB()
	clock.add(serialMaxBackoff)
	if err := d.Draw(frame); err != nil {
		t.Fatalf("after replug: %v", err)
	}
	if st := d.State(); !st.Up || st.Err != nil {
		t.Fatalf("state %+v after replug", st)
	}
	if again := readN(t, b, 29); !bytes.Equal(again, first) {
		t.Fatalf("after replug got % x, want % x", again, first)
	}
}

func TestSerialPortMissing(t *testing.T) {
	d, err := Open("adalight", serialSettings("adalight", "/dev/pano-no-such-tty"))
	if err != nil {
		t.Fatalf("open must not fail for an absent device (it may be plugged in later): %v", err)
	}
	defer d.Close()
	err = d.Draw(testFrame(4, 2))
	if err == nil || !strings.Contains(err.Error(), "/dev/pano-no-such-tty") || !strings.Contains(err.Error(), "--set port=") {
		t.Fatalf("err %v", err)
	}
	if !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("err %v does not wrap ENOENT", err)
	}
}

func TestSerialTooSlowRefused(t *testing.T) {
	s := serialSettings("adalight", "/dev/ttyUSB0")
	s["width"], s["height"] = 256, 128
	err := Check("adalight", s)
	var se *SettingError
	if !errors.As(err, &se) || se.Key != "baud" || !strings.Contains(err.Error(), "8.53 s per frame at 115200 baud") || !strings.Contains(err.Error(), "at least 983100") {
		t.Fatalf("err %v", err)
	}
	s["width"], s["height"] = 64, 32 // 1.87 fps: allowed
	if err := Check("adalight", s); err != nil {
		t.Fatal(err)
	}
	s["width"], s["height"] = 256, 256
	s["baud"] = 12_000_000
	if err := Check("tpm2", s); err == nil || !strings.Contains(err.Error(), "at most 21845") {
		t.Fatalf("tpm2 65536 px: %v", err)
	}
	s["width"], s["height"] = 4, 2
	s["stop_bits"] = 3
	if err := Check("tpm2", s); err == nil || !strings.Contains(err.Error(), `"stop_bits"`) {
		t.Fatalf("stop bits 3: %v", err)
	}
}

func TestSerialDrawAllocatesNothing(t *testing.T) {
	d, _ := NewAdalight(io.Discard, plain(64, 32))
	f := testFrame(64, 32)
	if a := testing.AllocsPerRun(10, func() { d.Draw(f) }); a != 0 {
		t.Fatalf("%v allocations per frame", a)
	}
}

// TestSerialWritesNoFasterThanTheLine: Adalight 64×32 (6150-byte frames)
// at 115200 baud 8N1 carries 11,520 bytes/s, 1.87 frames/s. Drawn at 25
// fps into a real pty for 2 s, the driver must write no more than the
// line carries (plus the half-frame backlog it allows), drop the rest and
// say so in State.Dropped. A pty does not pace bytes itself, so the bytes
// read at the other end per second are what the driver wrote.
func TestSerialWritesNoFasterThanTheLine(t *testing.T) {
	dir := t.TempDir()
	s := startSocat(t, dir)
	b := s.openB()
	st := serialSettings("adalight", filepath.Join(dir, "A"))
	st["width"], st["height"] = 64, 32
	d, err := Open("adalight", st)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got atomic.Int64
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := b.Read(buf)
			got.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	const frameBytes, lineBytesPerSec, fps = 6 + 3*64*32, 115200 / 10, 25
	frame := testFrame(64, 32)
	tick := time.NewTicker(time.Second / fps)
	defer tick.Stop()
	start := time.Now()
	drawn := 0
	for time.Since(start) < 2*time.Second {
		if err := d.Draw(frame); err != nil {
			t.Fatal(err)
		}
		drawn++
		<-tick.C
	}
	el := time.Since(start).Seconds()
	ds := d.(StateReporter).State()
	// Count once every frame written has come through the pty.
	want := int64(drawn-int(ds.Dropped)) * frameBytes
	for deadline := time.Now().Add(5 * time.Second); got.Load() < want && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	wrote := got.Load()
	limit := el*lineBytesPerSec + 1.5*frameBytes
	t.Logf("drew %d frames in %.2f s; %d bytes reached the pty: %.0f bytes/s (%.2f frames/s), line carries %d bytes/s (%.2f frames/s)",
		drawn, el, wrote, float64(wrote)/el, float64(wrote)/el/frameBytes, lineBytesPerSec, float64(lineBytesPerSec)/frameBytes)
	if float64(wrote) > limit {
		t.Fatalf("%d bytes written in %.2f s: more than the line carries (%.0f with one frame of slack)", wrote, el, limit)
	}
	if wrote < 3*frameBytes {
		t.Fatalf("%d bytes written in %.2f s: fewer frames than the line carries", wrote, el)
	}
	if ds.Dropped == 0 || wrote != want {
		t.Fatalf("state %+v: %d frames drawn, %d written, want the rest counted as dropped", ds, drawn, wrote/frameBytes)
	}
}
