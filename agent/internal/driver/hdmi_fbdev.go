package driver

import (
	"errors"
	"fmt"
	"unsafe"
)

// fbdevOut draws on a Linux framebuffer (/dev/fbN): the visible part of
// the mapped memory at the var screeninfo's offset, stride from the fix
// screeninfo's line length. Where the virtual height holds two screens
// and the driver pans, it double-buffers: draws the hidden half, then
// FBIOPAN_DISPLAY shows it. Where FBIO_WAITFORVSYNC works, it waits for
// the vertical blank before drawing (single buffer) or after panning
// (double buffer), so that no frame tears; where it does not (ENOTTY on
// many drivers), frames are drawn at once.
type fbdevOut struct {
	sys   videoSys
	fd    int
	path  string
	mem   []byte
	vinfo fbVarScreenInfo
	finfo fbFixScreenInfo
	geo   outputGeometry
	bufs  [2]int // byte offset of each buffer's top-left visible pixel
	n     int    // 1, or 2 when panning between two buffers
	back  int    // the buffer drawn next
	vsync bool
	crtc  uint32 // FBIO_WAITFORVSYNC's argument: the first CRTC
}

func openFBDev(sys videoSys, path string) (_ scanout, _ outputGeometry, err error) {
	fd, err := sys.open(path)
	if err != nil {
		return nil, outputGeometry{}, fmt.Errorf("fbdev %s: %w", path, err)
	}
	o := &fbdevOut{sys: sys, fd: fd, path: path, n: 1}
	defer func() {
		if err != nil {
			o.close()
			err = fmt.Errorf("fbdev %s: %w", path, err)
		}
	}()
	if err := sys.ioctl(fd, fbioGetVScreenInfo, unsafe.Pointer(&o.vinfo)); err != nil {
		return nil, outputGeometry{}, fmt.Errorf("FBIOGET_VSCREENINFO: %w", err)
	}
	if err := sys.ioctl(fd, fbioGetFScreenInfo, unsafe.Pointer(&o.finfo)); err != nil {
		return nil, outputGeometry{}, fmt.Errorf("FBIOGET_FSCREENINFO: %w", err)
	}
	v, f := &o.vinfo, &o.finfo
	if f.Type != fbTypePackedPixels || f.Visual != fbVisualTrueColor {
		return nil, outputGeometry{}, fmt.Errorf("type %d visual %d: only packed-pixel true colour is supported", f.Type, f.Visual)
	}
	format, err := formatOf(v)
	if err != nil {
		return nil, outputGeometry{}, err
	}
	o.geo = outputGeometry{width: int(v.XRes), height: int(v.YRes), stride: int(f.LineLength), format: format}
	if o.geo.width == 0 || o.geo.height == 0 || o.geo.stride < o.geo.width*format.bytes {
		return nil, outputGeometry{}, fmt.Errorf("%dx%d with %d bytes a line: not a usable mode", v.XRes, v.YRes, f.LineLength)
	}
	size := int(f.SMemLen)
	if size == 0 {
		size = o.geo.stride * int(v.YResVirtual)
	}
	if o.mem, err = sys.mmap(fd, 0, size); err != nil {
		return nil, outputGeometry{}, fmt.Errorf("mmap %d bytes: %w", size, err)
	}
	screen := o.geo.stride * o.geo.height
	x := int(v.XOffset) * format.bytes
	o.bufs[0] = int(v.YOffset)*o.geo.stride + x
	if v.YResVirtual >= 2*v.YRes && f.YPanStep > 0 && len(o.mem) >= 2*screen+x {
		// Two screens: show the first, draw the second.
		y := v.YOffset
		v.YOffset = 0
		if o.sys.ioctl(fd, fbioPanDisplay, unsafe.Pointer(v)) == nil {
			o.bufs = [2]int{x, screen + x}
			o.n, o.back = 2, 1
		} else {
			v.YOffset = y // the driver would not pan: draw where it shows
		}
	}
	for i := 0; i < o.n; i++ {
		if o.bufs[i]+screen-x > len(o.mem) {
			return nil, outputGeometry{}, fmt.Errorf("%d bytes of video memory for a %dx%d screen of %d bytes a line", len(o.mem), v.XRes, v.YRes, f.LineLength)
		}
		clearVisible(o.mem[o.bufs[i]:], o.geo)
	}
	o.vsync = sys.ioctl(fd, fbioWaitForVSync, unsafe.Pointer(&o.crtc)) == nil
	return o, o.geo, nil
}

func (o *fbdevOut) buffer() ([]byte, error) {
	if o.n == 1 && o.vsync {
		o.waitVSync()
	}
	return o.mem[o.bufs[o.back]:], nil
}

func (o *fbdevOut) present() error {
	if o.n == 1 {
		return nil
	}
	o.vinfo.YOffset = uint32(o.back * o.geo.height)
	if err := o.sys.ioctl(o.fd, fbioPanDisplay, unsafe.Pointer(&o.vinfo)); err != nil {
		return fmt.Errorf("fbdev %s: FBIOPAN_DISPLAY: %w", o.path, err)
	}
	if o.vsync {
		o.waitVSync() // the pan is done: the other buffer is free
	}
	o.back ^= 1
	return nil
}

// waitVSync waits for the vertical blank; a driver that refuses once is
// not asked again.
func (o *fbdevOut) waitVSync() {
	if o.sys.ioctl(o.fd, fbioWaitForVSync, unsafe.Pointer(&o.crtc)) != nil {
		o.vsync = false
	}
}

func (o *fbdevOut) missed() int64 { return 0 }

func (o *fbdevOut) describe() string {
	s := fmt.Sprintf("fbdev %s %q %dx%d %s, %d bytes a line", o.path, cstr(o.finfo.ID[:]), o.geo.width, o.geo.height, o.geo.format.name, o.geo.stride)
	if o.n == 2 {
		s += ", double-buffered by panning"
	}
	if o.vsync {
		s += ", vsync"
	} else {
		s += ", no vsync (the driver has no FBIO_WAITFORVSYNC)"
	}
	return s
}

func (o *fbdevOut) close() error {
	var errs []error
	if o.mem != nil {
		errs = append(errs, o.sys.munmap(o.mem))
		o.mem = nil
	}
	if o.fd >= 0 {
		errs = append(errs, o.sys.close(o.fd))
		o.fd = -1
	}
	return errors.Join(errs...)
}

// cstr is a NUL-terminated C string's text.
func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
