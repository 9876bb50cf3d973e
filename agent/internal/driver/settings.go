package driver

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// SettingError is a problem with one setting. Callers that know where the
// setting came from (a profile file's line, a --set flag) add that.
type SettingError struct {
	Driver string
	Key    string
	Msg    string
}

func (e *SettingError) Error() string {
	sep := ": "
	if strings.HasPrefix(e.Msg, "is ") || strings.HasPrefix(e.Msg, "must ") {
		sep = " " // reads as a sentence: setting "height" is missing
	}
	if e.Driver == "" {
		return fmt.Sprintf("setting %q%s%s", e.Key, sep, e.Msg)
	}
	return fmt.Sprintf("%s: setting %q%s%s", e.Driver, e.Key, sep, e.Msg)
}

// Settings are a profile's settings after per-site overrides.
type Settings map[string]any

// reader reads typed settings, keeping the first error, and remembers which
// keys it read so that unknown keys can be refused.
type reader struct {
	s    Settings
	err  error
	used map[string]bool
}

func newReader(s Settings) *reader { return &reader{s: s, used: map[string]bool{}} }

func (r *reader) fail(key, format string, a ...any) {
	if r.err == nil {
		r.err = &SettingError{Key: key, Msg: fmt.Sprintf(format, a...)}
	}
}

// get returns the raw value, or nil when absent.
func (r *reader) get(key string) any {
	r.used[key] = true
	return r.s[key]
}

// int reads a whole number in [lo, hi]; def when absent. required makes
// absence an error.
func (r *reader) int(key string, def, lo, hi int) int {
	v := r.get(key)
	if v == nil {
		return def
	}
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<31 {
			r.fail(key, "must be a whole number, got %v", v)
			return def
		}
		n = int(x)
	default:
		r.fail(key, "must be a whole number, got %v (%T)", v, v)
		return def
	}
	if n < lo || n > hi {
		r.fail(key, "%d is out of range: use %d–%d", n, lo, hi)
		return def
	}
	return n
}

func (r *reader) required(key string) bool {
	if r.get(key) == nil {
		r.fail(key, "is missing")
		return false
	}
	return true
}

func (r *reader) float(key string, def, lo, hi float64) float64 {
	v := r.get(key)
	var f float64
	switch x := v.(type) {
	case nil:
		return def
	case int:
		f = float64(x)
	case float64:
		f = x
	default:
		r.fail(key, "must be a number, got %v (%T)", v, v)
		return def
	}
	if math.IsNaN(f) || f < lo || f > hi {
		r.fail(key, "%v is out of range: use %v–%v", f, lo, hi)
		return def
	}
	return f
}

func (r *reader) str(key, def string, oneOf ...string) string {
	v := r.get(key)
	if v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		// YAML reads 90 or true unquoted as numbers and booleans; a string
		// setting takes their text.
		s = fmt.Sprint(v)
	}
	if len(oneOf) > 0 {
		for _, o := range oneOf {
			if strings.EqualFold(s, o) {
				return o
			}
		}
		r.fail(key, "%q: use one of %s", s, strings.Join(oneOf, ", "))
		return def
	}
	return s
}

func (r *reader) bool(key string, def bool) bool {
	v := r.get(key)
	if v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(key, "must be true or false, got %v", v)
		return def
	}
	return b
}

// unknown refuses keys that no read asked for: a typo must not be silently
// ignored on site.
func (r *reader) unknown() {
	if r.err != nil {
		return
	}
	var extra []string
	for k := range r.s {
		if !r.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return
	}
	sort.Strings(extra)
	known := make([]string, 0, len(r.used))
	for k := range r.used {
		known = append(known, k)
	}
	sort.Strings(known)
	r.fail(extra[0], "is not a setting of this driver (it has: %s)", strings.Join(known, ", "))
}

// panelConfig reads the settings every pixel driver shares: size, wiring and
// colour handling.
func (r *reader) panel() mapping.Config {
	r.required("width")
	r.required("height")
	c := mapping.Config{
		Width:          r.int("width", 1, 1, 8192),
		Height:         r.int("height", 1, 1, 8192),
		TilesX:         r.int("tiles_x", 1, 1, 256),
		TilesY:         r.int("tiles_y", 1, 1, 256),
		TileSerpentine: r.bool("tile_serpentine", false),
		Serpentine:     mapping.Serpentine(r.str("serpentine", "none", "none", "rows", "columns", "columns-progressive")),
		Start:          mapping.Corner(r.str("start", "top-left", "top-left", "top-right", "bottom-left", "bottom-right")),
		Rotation:       r.int("rotation", 0, 0, 270),
		Mirror:         mapping.Mirror(r.str("mirror", "none", "none", "horizontal", "vertical")),
		ColourOrder:    r.str("colour_order", "RGB", mapping.ColourOrders...),
		Gamma:          r.float("gamma", 2.2, 0.5, 4),
		Brightness:     r.int("brightness", 100, 0, 100),
	}
	if c.Rotation%90 != 0 {
		r.fail("rotation", "%d: use 0, 90, 180 or 270", c.Rotation)
	}
	c.WhiteBalance = [3]int{100, 100, 100}
	if v := r.get("white_balance"); v != nil {
		list, ok := v.([]any)
		if !ok || len(list) != 3 {
			r.fail("white_balance", "must be three percentages [R, G, B], e.g. [100, 90, 80]; got %v", v)
		} else {
			for i, e := range list {
				n, ok := e.(int)
				if !ok || n < 0 || n > 100 {
					r.fail("white_balance", "%v: each of R, G, B must be a whole number 0–100", e)
					break
				}
				c.WhiteBalance[i] = n
			}
		}
	}
	if r.err == nil {
		if _, err := mapping.New(c); err != nil {
			key := "tiles_x"
			if !strings.Contains(err.Error(), "modules") {
				key = "width"
			}
			r.fail(key, "%s", strings.TrimPrefix(err.Error(), "mapping: "))
		}
	}
	return c
}

// done refuses unknown keys and returns the first error, naming the driver.
func (r *reader) done(driver string) error {
	r.unknown()
	if r.err == nil {
		return nil
	}
	var se *SettingError
	if errors.As(r.err, &se) {
		return &SettingError{Driver: driver, Key: se.Key, Msg: se.Msg}
	}
	return fmt.Errorf("%s: %w", driver, r.err)
}
