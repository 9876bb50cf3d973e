package driver

import (
	"errors"
	"fmt"
	"image"
	"sort"
	"sync"
	"time"
)

// Driver drives one LED panel.
//
// Contract: Draw receives frames whose bounds have the size of Bounds(); it
// must not keep the frame after it returns (the caller reuses it), and it
// returns an error, without blocking for long, when the output is down.
// SetBrightness sets the output level, 0–100 %, for the frames drawn after
// it. Halt blanks the panel (all LEDs off) and leaves the driver usable.
// Close releases the transport; the driver is unusable afterwards. Drivers
// do not log: they return errors, and the caller decides what to report.
type Driver interface {
	Bounds() image.Rectangle
	Draw(frame *image.RGBA) error
	SetBrightness(percent int) error
	Halt() error
	Close() error
}

// FrameRater is implemented by drivers that want to know the frame rate
// they are drawn at (network drivers, to pace their packets).
type FrameRater interface {
	SetFrameRate(fps float64)
}

// Switch is implemented by drivers that can tell the receiver the output
// is off, where the protocol has a way to say it (E1.31's
// Stream_Terminated). Contract: the caller has drawn a black frame before
// Off; Off sends the signal and the caller then sends nothing until it
// draws again, which turns the output back on. Off returns ErrNoOff when
// the protocol cannot say it: the caller then keeps drawing black frames,
// as it does for drivers without Off (a serial card or a WLED that must be
// refreshed to stay dark).
type Switch interface {
	Off() error
}

// ErrNoOff is Off's answer for a protocol with no way to say "off".
var ErrNoOff = errors.New("driver: the protocol has no off signal; draw black frames")

// State is an output's health, for drivers whose transport can go away and
// come back (a USB serial adapter, a network path).
type State struct {
	Up      bool      // the last frame reached the transport
	Since   time.Time // when Up last changed
	Err     error     // why it is down; nil when up
	Retries int       // reopen attempts since it went down
	// Dropped counts frames not sent since the driver opened because the
	// link was still busy with earlier ones (a serial line slower than
	// the frame rate): the panel shows fewer frames than were drawn. For a
	// video output (hdmi) these are the page flips missed.
	Dropped int64
	// Mode says what a video output (hdmi) drives: backend, device,
	// connector, mode and pixel format; empty for other drivers.
	Mode string
}

// sent records how a frame (or an off) went: Up and Since follow it,
// Err says why it is down, Retries count from the change. What else the
// state holds (frames dropped since the driver opened, a video mode) stays.
func (s *State) sent(err error, now time.Time) {
	switch {
	case err != nil && s.Up:
		s.Up, s.Since, s.Err, s.Retries = false, now, err, 0
	case err != nil:
		s.Err = err
	case !s.Up:
		s.Up, s.Since, s.Err, s.Retries = true, now, nil, 0
	}
}

// StateReporter is implemented by drivers that can report State. Callers
// poll it and report changes, rather than logging every failed frame.
type StateReporter interface {
	State() State
}

// Kind is one registered driver.
type Kind struct {
	// Open opens the driver. It may fail for bad settings (a
	// *SettingError) or an unusable transport; a serial device that is
	// absent is not an error here: the driver retries it.
	Open func(s Settings) (Driver, error)
	// Check validates settings without touching any hardware or network:
	// unknown keys, wrong types, impossible combinations. Errors are
	// *SettingError, naming the key.
	Check func(s Settings) error
}

var (
	mu       sync.Mutex
	registry = map[string]Kind{}
)

// Register makes a driver available by name. It panics on a duplicate name
// or a missing function: both are programming errors.
func Register(name string, k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("driver: %q registered twice", name))
	}
	if k.Open == nil || k.Check == nil {
		panic(fmt.Sprintf("driver: %q registered without Open and Check", name))
	}
	registry[name] = k
}

func lookup(name string) (Kind, error) {
	mu.Lock()
	k, ok := registry[name]
	mu.Unlock()
	if !ok {
		return Kind{}, fmt.Errorf("driver: unknown driver %q (known: %v)", name, Names())
	}
	return k, nil
}

// Open opens the driver called name.
func Open(name string, s Settings) (Driver, error) {
	k, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return k.Open(s)
}

// Check validates settings for the driver called name, touching nothing.
func Check(name string, s Settings) error {
	k, err := lookup(name)
	if err != nil {
		return err
	}
	return k.Check(s)
}

// Names lists the registered drivers, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
