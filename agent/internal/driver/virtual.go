package driver

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"sync"
)

func init() {
	Register("virtual", Kind{
		Open: func(s Settings) (Driver, error) {
			w, h, err := virtualSettings(s)
			if err != nil {
				return nil, err
			}
			return NewVirtual(w, h)
		},
		Check: func(s Settings) error { _, _, err := virtualSettings(s); return err },
	})
}

func virtualSettings(s Settings) (w, h int, err error) {
	r := newReader(s)
	r.required("width")
	r.required("height")
	w = r.int("width", 1, math.MinInt32, math.MaxInt32)
	h = r.int("height", 1, math.MinInt32, math.MaxInt32)
	if r.err == nil && (w < 1 || h < 1 || w > 8192 || h > 8192) {
		key := "width"
		if w >= 1 && w <= 8192 {
			key = "height"
		}
		r.fail(key, "panel %dx%d: width and height must be 1–8192", w, h)
	}
	return w, h, r.done("virtual")
}

// Virtual is a panel with no hardware: it keeps the last frame in memory so
// it can be reported as a picture.
type Virtual struct {
	mu         sync.Mutex
	last       *image.RGBA
	frames     int64
	closed     bool
	brightness int
}

var _ Driver = (*Virtual)(nil)

// NewVirtual returns a w×h virtual panel, initially black.
func NewVirtual(w, h int) (*Virtual, error) {
	if w < 1 || h < 1 || w > 8192 || h > 8192 {
		return nil, fmt.Errorf("virtual: panel %dx%d: width and height must be 1–8192", w, h)
	}
	return &Virtual{last: image.NewRGBA(image.Rect(0, 0, w, h)), brightness: 100}, nil
}

func (v *Virtual) Bounds() image.Rectangle { return v.last.Bounds() }

func (v *Virtual) Draw(frame *image.RGBA) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return errors.New("virtual: closed")
	}
	if frame.Bounds().Size() != v.last.Bounds().Size() {
		return fmt.Errorf("virtual: frame is %v, panel is %v", frame.Bounds().Size(), v.last.Bounds().Size())
	}
	if frame.Stride == v.last.Stride {
		copy(v.last.Pix, frame.Pix)
	} else {
		draw.Draw(v.last, v.last.Bounds(), frame, frame.Rect.Min, draw.Src)
	}
	if v.brightness < 100 {
		// What the street would see: the colour channels scaled, alpha kept.
		for i, p := range v.last.Pix {
			if i%4 != 3 {
				v.last.Pix[i] = uint8(int(p) * v.brightness / 100)
			}
		}
	}
	v.frames++
	return nil
}

// SetBrightness scales the colours of the frames drawn after it.
func (v *Virtual) SetBrightness(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("virtual: brightness %d: use 0–100 (%%)", percent)
	}
	v.mu.Lock()
	v.brightness = percent
	v.mu.Unlock()
	return nil
}

func (v *Virtual) Halt() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	draw.Draw(v.last, v.last.Bounds(), image.Black, image.Point{}, draw.Src)
	return nil
}

func (v *Virtual) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.closed = true
	return nil
}

// Snapshot returns a copy of the last frame shown and how many were drawn.
func (v *Virtual) Snapshot() (*image.RGBA, int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	cp := image.NewRGBA(v.last.Bounds())
	copy(cp.Pix, v.last.Pix)
	return cp, v.frames
}
