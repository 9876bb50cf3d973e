package driver

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"go.bug.st/serial"
)

// SerialConfig is how to open a serial port.
type SerialConfig struct {
	Port     string // e.g. /dev/ttyUSB0
	Baud     int
	DataBits int    // 5–8
	Parity   string // none, odd, even, mark, space
	StopBits string // 1, 1.5, 2
}

// bitsPerByte is how many bit times one byte takes on the line.
func (c SerialConfig) bitsPerByte() float64 {
	b := 1 + float64(c.DataBits) // start bit + data
	if c.Parity != "none" {
		b++
	}
	switch c.StopBits {
	case "1.5":
		b += 1.5
	case "2":
		b += 2
	default:
		b++
	}
	return b
}

func (c SerialConfig) mode() *serial.Mode {
	m := &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	m.Parity = map[string]serial.Parity{"none": serial.NoParity, "odd": serial.OddParity, "even": serial.EvenParity, "mark": serial.MarkParity, "space": serial.SpaceParity}[c.Parity]
	m.StopBits = map[string]serial.StopBits{"1": serial.OneStopBit, "1.5": serial.OnePointFiveStopBits, "2": serial.TwoStopBits}[c.StopBits]
	return m
}

// Backoff bounds for reopening a serial device that went away.
const (
	serialMinBackoff = 100 * time.Millisecond
	serialMaxBackoff = 5 * time.Second
)

// SerialPort is a serial device that reopens itself: when a write fails
// (the USB adapter was unplugged) it closes the port, and later writes try
// to open it again, no more often than an exponential backoff allows
// (0.1 s doubling to 5 s). Writes in between fail at once, so a caller
// drawing at 30 fps neither blocks nor hammers the device.
type SerialPort struct {
	cfg  SerialConfig
	open func(SerialConfig) (io.WriteCloser, error)
	now  func() time.Time

	mu      sync.Mutex
	port    io.WriteCloser
	next    time.Time // no reopen before this
	backoff time.Duration
	tries   int
	err     error // why the port is not open
	closed  bool
}

// OpenSerial returns a self-reopening port. It tries to open the device
// once now; a device that is absent is not an error here (it may be
// plugged in later): the first Write reports it.
func OpenSerial(cfg SerialConfig) *SerialPort {
	p := &SerialPort{cfg: cfg, open: openSerialDevice, now: time.Now}
	p.mu.Lock()
	p.tryOpenLocked()
	p.mu.Unlock()
	return p
}

func openSerialDevice(c SerialConfig) (io.WriteCloser, error) {
	port, err := serial.Open(c.Port, c.mode())
	if err != nil {
		return nil, err
	}
	return port, nil
}

func (p *SerialPort) tryOpenLocked() {
	port, err := p.open(p.cfg)
	if err != nil {
		p.tries++
		p.backoff = min(max(2*p.backoff, serialMinBackoff), serialMaxBackoff)
		p.next = p.now().Add(p.backoff)
		p.err = fmt.Errorf("serial port %s: %w (is the device plugged in? is the port right? change it with --set port=…)", p.cfg.Port, err)
		return
	}
	p.port, p.err, p.tries, p.backoff = port, nil, 0, 0
}

// Write writes b to the device, reopening it first if it went away and the
// backoff allows.
func (p *SerialPort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, errClosed
	}
	if p.port == nil {
		if p.now().Before(p.next) {
			return 0, p.err
		}
		p.tryOpenLocked()
		if p.port == nil {
			return 0, p.err
		}
	}
	n, err := p.port.Write(b)
	if err != nil {
		p.port.Close()
		p.port = nil
		p.backoff = 0
		p.next = p.now() // the first reopen may be at once
		p.err = fmt.Errorf("serial port %s: write: %w (device unplugged?)", p.cfg.Port, err)
		return n, p.err
	}
	return n, nil
}

// retries is the number of failed reopen attempts since the port went away.
func (p *SerialPort) retries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tries
}

// Close closes the device; the port is unusable afterwards.
func (p *SerialPort) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.port != nil {
		err := p.port.Close()
		p.port = nil
		return err
	}
	return nil
}

// serialFramer sends one buffer per frame: header, LED bytes, trailer.
//
// Paced to the line: a frame takes len(frame) / bytesPerSec on the wire,
// and a frame drawn while the previous ones are still going out (beyond
// half a frame of backlog) is dropped rather than written, so the driver
// never writes faster than the line carries: a USB adapter's or the
// kernel's buffer would otherwise fill and the panel would show frames
// ever later. Dropped frames are counted in State.Dropped.
type serialFramer struct {
	w     io.Writer
	frame []byte
	px    []byte // frame[header : header+3n]

	bytesPerSec float64 // 0: not paced (a plain io.Writer)
	now         func() time.Time
	busyUntil   time.Time // when the line has sent what was written
	drops       int64
}

// paceTo paces the framer to a serial line of cfg's settings.
func (f *serialFramer) paceTo(cfg SerialConfig) {
	f.bytesPerSec = float64(cfg.Baud) / cfg.bitsPerByte()
	f.now = time.Now
}

func (f *serialFramer) frameTime() time.Duration {
	return time.Duration(float64(len(f.frame)) / f.bytesPerSec * float64(time.Second))
}

func (f *serialFramer) payload() []byte { return f.px }

func (f *serialFramer) send() error {
	if f.bytesPerSec > 0 {
		now, dur := f.now(), f.frameTime()
		if f.busyUntil.Sub(now) > dur/2 {
			f.drops++ // the line is still busy with earlier frames
			return errDropped
		}
		_, err := f.w.Write(f.frame)
		if err == nil {
			if f.busyUntil.Before(now) {
				f.busyUntil = now
			}
			f.busyUntil = f.busyUntil.Add(dur)
		}
		return err
	}
	_, err := f.w.Write(f.frame)
	return err
}

// errDropped is a framer's answer for a frame it did not send because the
// link was busy: not a failure of the output, whose state stays as it was.
var errDropped = errors.New("frame dropped: the line is busy")

// waitLine waits until a frame would be written (Halt's black frame must
// not be dropped); at most one frame time, which settings keep under 1 s.
func (f *serialFramer) waitLine() {
	if f.bytesPerSec == 0 {
		return
	}
	now := f.now()
	if !f.busyUntil.After(now) {
		return
	}
	if d := f.busyUntil.Sub(now) - f.frameTime()/2; d > 0 {
		time.Sleep(d)
	}
}

func (f *serialFramer) dropped() int64 { return f.drops }

func (f *serialFramer) close() error {
	if c, ok := f.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (f *serialFramer) retries() int { return retriesOf(f.w) }

// serialSettings reads the port settings and refuses a panel that the line
// cannot carry at one frame per second or more.
//
// The rule: a frame of B bytes takes B × (start + data + parity + stop) /
// baud seconds. Below 1 fps a panel cannot show even a slide show: a
// 256×128 Adalight frame at 115200 baud takes 8.5 s. The error says the
// lowest baud rate that would do.
func (r *reader) serial(frameBytes int) SerialConfig {
	c := SerialConfig{}
	if r.required("port") {
		c.Port = r.str("port", "")
	}
	c.Baud = r.int("baud", 115200, 50, 12_000_000)
	c.DataBits = r.int("data_bits", 8, 5, 8)
	c.Parity = r.str("parity", "none", "none", "odd", "even", "mark", "space")
	c.StopBits = r.str("stop_bits", "1", "1", "1.5", "2")
	if r.err == nil && c.DataBits != 8 {
		r.fail("data_bits", "%d: LED data is 8-bit bytes; use 8", c.DataBits)
	}
	if r.err == nil {
		secs := float64(frameBytes) * c.bitsPerByte() / float64(c.Baud)
		if secs > 1 {
			need := int(math.Ceil(float64(frameBytes) * c.bitsPerByte()))
			r.fail("baud", "a frame is %d bytes: %.2f s per frame at %d baud (%.2f fps); pano refuses serial outputs slower than 1 frame per second: raise baud to at least %d, or use a smaller panel or a network card", frameBytes, secs, c.Baud, 1/secs, need)
		}
	}
	return c
}
