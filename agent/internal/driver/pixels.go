package driver

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// framer is one protocol's packetizer over one transport. The pixel driver
// encodes each frame's LED bytes (3 per LED, in wire order) into payload(),
// then calls send. send must allocate nothing on success.
type framer interface {
	payload() []byte // 3×LEDs bytes, reused for every frame
	send() error
	close() error
}

// offFramer is a framer whose protocol can say that the output is off.
// off sends the payload (already black) with that signal; the next send
// is an ordinary frame again.
type offFramer interface {
	off() error
}

// Pixels is an addressable-LED panel driver: DDP, E1.31, Art-Net, TPM2,
// TPM2.net and Adalight are all a Pixels with a different framer. It owns
// the mapping from the logical frame to LED bytes, brightness, blanking and
// state; the protocol lives in its framer.
type Pixels struct {
	name string

	mu     sync.Mutex
	m      *mapping.Map
	f      framer
	closed bool
	drawn  bool // a frame got out since open or the last off
	link   linkOptions
	state  State
	now    func() time.Time
}

func newPixelDriver(name string, c mapping.Config, f framer) (*Pixels, error) {
	m, err := mapping.New(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(f.payload()) != 3*m.Len() {
		return nil, fmt.Errorf("%s: payload of %d bytes for %d LEDs", name, len(f.payload()), m.Len())
	}
	return &Pixels{name: name, m: m, f: f, now: time.Now, state: State{Up: true, Since: time.Now()}}, nil
}

func (d *Pixels) Bounds() image.Rectangle { return d.m.Bounds() }

// Draw maps, packetizes and sends one frame.
func (d *Pixels) Draw(frame *image.RGBA) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%s: closed", d.name)
	}
	if _, err := d.m.Encode(d.f.payload(), frame); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return d.sendLocked()
}

func (d *Pixels) sendLocked() error {
	err := d.f.send()
	if err == errDropped {
		return nil
	}
	d.drawn = d.drawn || err == nil
	d.state.sent(err, d.now())
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// SetFrameRate tells the driver the frame rate it is drawn at, for
// pacing: a network driver with pacing p spreads each frame's packets over
// p / fps seconds. Until told, it assumes 25 fps.
func (d *Pixels) SetFrameRate(fps float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.setSpreadLocked(fps)
}

func (d *Pixels) setSpreadLocked(fps float64) {
	if s, ok := d.f.(interface{ setSpread(time.Duration) }); ok && fps > 0 {
		s.setSpread(time.Duration(d.link.pacing / fps * float64(time.Second)))
	}
}

// SetBrightness applies to the frames drawn after it.
func (d *Pixels) SetBrightness(percent int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.m.SetBrightness(percent); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// Halt sends an all-black frame.
func (d *Pixels) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%s: closed", d.name)
	}
	clear(d.f.payload())
	if w, ok := d.f.(interface{ waitLine() }); ok {
		w.waitLine()
	}
	return d.sendLocked()
}

// Off tells the receiver the output is off, where the framer's protocol
// can (E1.31); it returns ErrNoOff otherwise. The payload is cleared first,
// so whatever a receiver keeps showing is black.
func (d *Pixels) Off() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%s: closed", d.name)
	}
	o, ok := d.f.(offFramer)
	if !ok {
		return ErrNoOff
	}
	clear(d.f.payload())
	err := o.off()
	d.drawn = false
	d.state.sent(err, d.now())
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// Close ends the stream (see Off) and releases the transport.
func (d *Pixels) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	// A stream that stops says so, where the protocol can (E1.31
	// Stream_Terminated): receivers go dark at once instead of holding
	// the last frame until their data-loss timeout.
	// A protocol that cannot say it gets one black frame: a panel whose
	// agent stopped is dark, not frozen on the last picture.
	var offErr error
	if d.drawn {
		clear(d.f.payload())
		if o, ok := d.f.(offFramer); ok {
			offErr = o.off()
		} else {
			if w, ok := d.f.(interface{ waitLine() }); ok {
				w.waitLine()
			}
			offErr = d.f.send()
		}
	}
	if err := d.f.close(); err != nil {
		return err
	}
	if offErr != nil {
		return fmt.Errorf("%s: stream end not sent: %w", d.name, offErr)
	}
	return nil
}

// State reports whether the last frame got out. Transports that reopen
// themselves (serial) add their retry count.
func (d *Pixels) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.state
	if r, ok := d.f.(interface{ retries() int }); ok && !s.Up {
		s.Retries = r.retries()
	}
	if r, ok := d.f.(interface{ dropped() int64 }); ok {
		s.Dropped = r.dropped()
	}
	return s
}

var (
	_ Driver        = (*Pixels)(nil)
	_ StateReporter = (*Pixels)(nil)
	_ Switch        = (*Pixels)(nil)
)

// errClosed is returned by transports used after Close.
var errClosed = errors.New("transport closed")
