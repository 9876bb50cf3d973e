package driver

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"sync"
)

func init() {
	Register("virtual", func(s Settings) (Driver, error) {
		w, err := s.Int("width")
		if err != nil {
			return nil, fmt.Errorf("virtual: %w", err)
		}
		h, err := s.Int("height")
		if err != nil {
			return nil, fmt.Errorf("virtual: %w", err)
		}
		return NewVirtual(w, h)
	})
}

// Virtual is a panel with no hardware: it keeps the last frame in memory so
// it can be reported as a picture.
type Virtual struct {
	mu     sync.Mutex
	last   *image.RGBA
	frames int64
	closed bool
}

var _ Driver = (*Virtual)(nil)

// NewVirtual returns a w×h virtual panel, initially black.
func NewVirtual(w, h int) (*Virtual, error) {
	if w < 1 || h < 1 || w > 8192 || h > 8192 {
		return nil, fmt.Errorf("virtual: panel %dx%d: width and height must be 1–8192", w, h)
	}
	return &Virtual{last: image.NewRGBA(image.Rect(0, 0, w, h))}, nil
}

func (v *Virtual) Bounds() image.Rectangle { return v.last.Bounds() }

func (v *Virtual) Draw(frame *image.RGBA) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return errors.New("virtual: closed")
	}
	if frame.Bounds() != v.last.Bounds() {
		return fmt.Errorf("virtual: frame is %v, panel is %v", frame.Bounds().Size(), v.last.Bounds().Size())
	}
	copy(v.last.Pix, frame.Pix)
	v.frames++
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
