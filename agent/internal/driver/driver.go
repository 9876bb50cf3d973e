// Package driver turns frames into light: one driver per wire protocol, each
// registered by name and opened from a firmware profile's settings.
package driver

import (
	"fmt"
	"image"
	"sort"
	"sync"
)

// Driver drives one LED panel.
//
// Contract: Draw receives frames whose bounds equal Bounds(); it must not
// keep the frame after it returns (the caller reuses it). Halt blanks the
// panel (all LEDs off) and leaves the driver usable. Close releases the
// transport; the driver is unusable afterwards. Drivers do not log: they
// return errors, and the caller decides what to report.
type Driver interface {
	Bounds() image.Rectangle
	Draw(frame *image.RGBA) error
	Halt() error
	Close() error
}

// Settings are a profile's settings after per-site overrides.
type Settings map[string]any

// Opener opens a driver from settings.
type Opener func(s Settings) (Driver, error)

var (
	mu       sync.Mutex
	registry = map[string]Opener{}
)

// Register makes a driver available by name. It panics on a duplicate name:
// two drivers claiming one name is a programming error.
func Register(name string, open Opener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("driver: %q registered twice", name))
	}
	registry[name] = open
}

// Open opens the driver called name.
func Open(name string, s Settings) (Driver, error) {
	mu.Lock()
	open, ok := registry[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("driver: unknown driver %q (known: %v)", name, Names())
	}
	return open(s)
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

// Int reads an integer setting, accepting the int and float64 that YAML and
// JSON decoders produce.
func (s Settings) Int(key string) (int, error) {
	switch v := s[key].(type) {
	case int:
		return v, nil
	case int64:
		return int(v), nil
	case float64:
		if v == float64(int(v)) {
			return int(v), nil
		}
	case nil:
		return 0, fmt.Errorf("setting %q is missing", key)
	}
	return 0, fmt.Errorf("setting %q must be a whole number, got %v", key, s[key])
}
