package driver

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeVideo is videoSys answered by a test double at the syscall
// boundary (as periph's conntest records and plays back a bus): each
// device is a temporary file, opened and mmapped for real, whose fb or
// DRM ioctls the double answers from a model of the kernel's side and
// records, in order, in calls.
type fakeVideo struct {
	t     testing.TB
	devs  map[string]*fakeDev
	fds   map[int]*fakeDev
	calls []string
	quiet bool // record nothing (benchmarks: the recording allocates)
}

type fakeDev struct {
	kind string // "fbdev" or "drm"
	file *os.File

	// fbdev
	vinfo  fbVarScreenInfo
	finfo  fbFixScreenInfo
	vsync  bool
	vsyncs int
	noPan  bool // FBIOPAN_DISPLAY refused though ypanstep says it pans

	// drm
	noMaster   bool
	conns      []fakeConn
	encoders   map[uint32]drmModeGetEncoder
	crtcs      []uint32
	pitchPad   uint32
	dumbs      []fakeDumb // handle i+1
	fbs        map[uint32]uint32
	nextFB     uint32
	scanout    uint32 // the framebuffer on screen
	events     int    // flip-complete events queued
	holdEvents bool   // flips stay pending: no vblank, no event
	pendingFB  uint32 // the flip held
	flipsQueue int
	fileSize   int64
}

type fakeConn struct {
	c     drmModeGetConnector
	modes []drmModeModeInfo
	encs  []uint32
}

type fakeDumb struct {
	w, h, pitch uint32
	offset      int64
	size        uint64
}

func newFakeVideo(t testing.TB) *fakeVideo {
	return &fakeVideo{t: t, devs: map[string]*fakeDev{}, fds: map[int]*fakeDev{}}
}

// addFB makes a framebuffer device of w×h (virtual height vh), stride
// bytes a line, in format, its memory filled with 0xAA (what a console
// left there).
func (f *fakeVideo) addFB(path string, w, h, vh, stride int, format pixelFormat, vsync bool) *fakeDev {
	f.t.Helper()
	file := f.tempFile(int64(stride * vh))
	buf := make([]byte, stride*vh)
	for i := range buf {
		buf[i] = 0xAA
	}
	if _, err := file.WriteAt(buf, 0); err != nil {
		f.t.Fatal(err)
	}
	d := &fakeDev{kind: "fbdev", file: file, vsync: vsync}
	d.vinfo = fbVarScreenInfo{XRes: uint32(w), YRes: uint32(h), XResVirtual: uint32(w), YResVirtual: uint32(vh),
		BitsPerPixel: uint32(8 * format.bytes), Red: format.red, Green: format.green, Blue: format.blue}
	if format.opaque != 0 {
		d.vinfo.Transp = fbBitfield{Offset: 24, Length: 8}
	}
	copy(d.finfo.ID[:], "fakefb")
	d.finfo.SMemLen = uint32(stride * vh)
	d.finfo.Type, d.finfo.Visual = fbTypePackedPixels, fbVisualTrueColor
	d.finfo.LineLength = uint32(stride)
	if vh >= 2*h {
		d.finfo.YPanStep = 1
	}
	f.devs[path] = d
	return d
}

// addDRM makes a card with a disconnected DVI-D-1, then HDMI-A-1
// connected with 640x480 and a preferred 800x600, whose encoder drives no
// CRTC yet but can drive the second of two; dumb buffers get pitchPad
// bytes past each line.
func (f *fakeVideo) addDRM(path string) *fakeDev {
	d := &fakeDev{kind: "drm", file: f.tempFile(0), pitchPad: 64, fbs: map[uint32]uint32{}, nextFB: 100}
	mode := func(w, h uint16, pref bool) drmModeModeInfo {
		m := drmModeModeInfo{HDisplay: w, VDisplay: h, VRefresh: 60}
		if pref {
			m.Type = drmModeTypePreferred
		}
		copy(m.Name[:], fmt.Sprintf("%dx%d", w, h))
		return m
	}
	d.conns = []fakeConn{
		{c: drmModeGetConnector{ConnectorID: 30, ConnectorType: 3, ConnectorTypeID: 1, Connection: 2}, encs: []uint32{40}},
		{c: drmModeGetConnector{ConnectorID: 31, ConnectorType: 11, ConnectorTypeID: 1, Connection: drmModeConnected},
			modes: []drmModeModeInfo{mode(640, 480, false), mode(800, 600, true)}, encs: []uint32{41}},
	}
	d.encoders = map[uint32]drmModeGetEncoder{40: {EncoderID: 40, PossibleCrtcs: 1}, 41: {EncoderID: 41, PossibleCrtcs: 2}}
	d.crtcs = []uint32{50, 51}
	f.devs[path] = d
	return d
}

func (f *fakeVideo) tempFile(size int64) *os.File {
	f.t.Helper()
	file, err := os.CreateTemp(f.t.TempDir(), "video")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := file.Truncate(size); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { file.Close() })
	return file
}

func (f *fakeVideo) open(path string) (int, error) {
	d, ok := f.devs[path]
	if !ok {
		return -1, fmt.Errorf("open %s: %w", path, syscall.ENOENT)
	}
	fd, err := unix.Dup(int(d.file.Fd()))
	if err != nil {
		return -1, err
	}
	f.fds[fd] = d
	f.calls = append(f.calls, "open "+filepath.Base(path))
	return fd, nil
}

func (f *fakeVideo) close(fd int) error {
	delete(f.fds, fd)
	f.calls = append(f.calls, "close")
	return unix.Close(fd)
}

func (f *fakeVideo) mmap(fd int, offset int64, length int) ([]byte, error) {
	return unix.Mmap(fd, offset, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func (f *fakeVideo) munmap(b []byte) error { return unix.Munmap(b) }

func (f *fakeVideo) readEvent(fd int, p []byte, timeout time.Duration) (int, error) {
	d := f.fds[fd]
	n := 0 // the fake does not wait: a held flip times out at once
	for size := int(unsafe.Sizeof(drmEventVBlank{})); d.events > 0 && n+size <= len(p); n += size {
		binary.NativeEndian.PutUint32(p[n:], drmEventFlipComplete)
		binary.NativeEndian.PutUint32(p[n+4:], uint32(size))
		d.events--
		d.flipsQueue--
	}
	return n, nil
}

func (f *fakeVideo) ioctl(fd int, req uint, arg unsafe.Pointer) error {
	d, ok := f.fds[fd]
	if !ok {
		return syscall.EBADF
	}
	if d.kind == "fbdev" {
		return f.fbIoctl(d, req, arg)
	}
	return f.drmIoctl(d, req, arg)
}

func (f *fakeVideo) fbIoctl(d *fakeDev, req uint, arg unsafe.Pointer) error {
	switch req {
	case fbioGetVScreenInfo:
		f.calls = append(f.calls, "FBIOGET_VSCREENINFO")
		*(*fbVarScreenInfo)(arg) = d.vinfo
	case fbioGetFScreenInfo:
		f.calls = append(f.calls, "FBIOGET_FSCREENINFO")
		*(*fbFixScreenInfo)(arg) = d.finfo
	case fbioPanDisplay:
		v := (*fbVarScreenInfo)(arg)
		f.calls = append(f.calls, fmt.Sprintf("FBIOPAN_DISPLAY y=%d", v.YOffset))
		if d.noPan || d.finfo.YPanStep == 0 || v.YOffset+d.vinfo.YRes > d.vinfo.YResVirtual {
			return syscall.EINVAL
		}
		d.vinfo.YOffset = v.YOffset
	case fbioWaitForVSync:
		if !d.vsync {
			return syscall.ENOTTY
		}
		d.vsyncs++
	default:
		return syscall.ENOTTY
	}
	return nil
}

// ptr reads a user pointer the driver put in a uint64 field.
func ptr(field *uint64) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(field)) }

func (f *fakeVideo) drmIoctl(d *fakeDev, req uint, arg unsafe.Pointer) error {
	rec := func(format string, a ...any) {
		if !f.quiet {
			f.calls = append(f.calls, fmt.Sprintf(format, a...))
		}
	}
	switch req {
	case drmIoctlSetMaster:
		rec("SET_MASTER")
		if d.noMaster {
			return syscall.EBUSY
		}
	case drmIoctlDropMaster:
		rec("DROP_MASTER")
	case drmIoctlGetCap:
		c := (*drmGetCap)(arg)
		rec("GET_CAP %d", c.Capability)
		c.Value = 1
	case drmIoctlModeGetRes:
		r := (*drmModeCardRes)(arg)
		rec("GETRESOURCES conns=%d crtcs=%d", r.CountConnectors, r.CountCrtcs)
		if r.CountConnectors >= uint32(len(d.conns)) && r.ConnectorIDPtr != 0 {
			ids := unsafe.Slice((*uint32)(ptr(&r.ConnectorIDPtr)), len(d.conns))
			for i, c := range d.conns {
				ids[i] = c.c.ConnectorID
			}
		}
		if r.CountCrtcs >= uint32(len(d.crtcs)) && r.CrtcIDPtr != 0 {
			copy(unsafe.Slice((*uint32)(ptr(&r.CrtcIDPtr)), len(d.crtcs)), d.crtcs)
		}
		if r.CountEncoders >= uint32(len(d.encoders)) && r.EncoderIDPtr != 0 {
			ids := unsafe.Slice((*uint32)(ptr(&r.EncoderIDPtr)), len(d.encoders))
			ids[0], ids[1] = 40, 41
		}
		r.CountConnectors, r.CountCrtcs, r.CountEncoders = uint32(len(d.conns)), uint32(len(d.crtcs)), uint32(len(d.encoders))
	case drmIoctlModeGetConn:
		g := (*drmModeGetConnector)(arg)
		rec("GETCONNECTOR %d modes=%d", g.ConnectorID, g.CountModes)
		for _, c := range d.conns {
			if c.c.ConnectorID != g.ConnectorID {
				continue
			}
			if g.CountModes >= uint32(len(c.modes)) && g.ModesPtr != 0 {
				copy(unsafe.Slice((*drmModeModeInfo)(ptr(&g.ModesPtr)), len(c.modes)), c.modes)
			}
			if g.CountEncoders >= uint32(len(c.encs)) && g.EncodersPtr != 0 {
				copy(unsafe.Slice((*uint32)(ptr(&g.EncodersPtr)), len(c.encs)), c.encs)
			}
			modesPtr, encPtr := g.ModesPtr, g.EncodersPtr
			*g = c.c
			g.ModesPtr, g.EncodersPtr = modesPtr, encPtr
			g.CountModes, g.CountEncoders = uint32(len(c.modes)), uint32(len(c.encs))
			return nil
		}
		return syscall.ENOENT
	case drmIoctlModeGetEncoder:
		e := (*drmModeGetEncoder)(arg)
		rec("GETENCODER %d", e.EncoderID)
		got, ok := d.encoders[e.EncoderID]
		if !ok {
			return syscall.ENOENT
		}
		*e = got
	case drmIoctlModeCreateDumb:
		c := (*drmModeCreateDumb)(arg)
		rec("CREATE_DUMB %dx%d bpp=%d", c.Width, c.Height, c.BPP)
		pitch := c.Width*c.BPP/8 + d.pitchPad
		size := (uint64(pitch)*uint64(c.Height) + 4095) &^ 4095
		d.dumbs = append(d.dumbs, fakeDumb{w: c.Width, h: c.Height, pitch: pitch, offset: d.fileSize, size: size})
		d.fileSize += int64(size)
		if err := d.file.Truncate(d.fileSize); err != nil {
			return syscall.ENOMEM
		}
		c.Handle, c.Pitch, c.Size = uint32(len(d.dumbs)), pitch, size
	case drmIoctlModeAddFB:
		c := (*drmModeFBCmd)(arg)
		rec("ADDFB %dx%d pitch=%d bpp=%d depth=%d handle=%d", c.Width, c.Height, c.Pitch, c.BPP, c.Depth, c.Handle)
		d.nextFB++
		c.FBID = d.nextFB
		d.fbs[c.FBID] = c.Handle
	case drmIoctlModeMapDumb:
		m := (*drmModeMapDumb)(arg)
		rec("MAP_DUMB handle=%d", m.Handle)
		m.Offset = uint64(d.dumbs[m.Handle-1].offset)
	case drmIoctlModeSetCrtc:
		c := (*drmModeCrtc)(arg)
		conns := unsafe.Slice((*uint32)(ptr(&c.SetConnectorsPtr)), c.CountConnectors)
		rec("SETCRTC crtc=%d fb=%d conns=%v mode=%s", c.CrtcID, c.FBID, conns, cstr(c.Mode.Name[:]))
		d.scanout = c.FBID
	case drmIoctlModePageFlip:
		p := (*drmModeCrtcPageFlip)(arg)
		rec("PAGE_FLIP crtc=%d fb=%d flags=%d", p.CrtcID, p.FBID, p.Flags)
		if d.flipsQueue > 0 {
			return syscall.EBUSY
		}
		d.flipsQueue++
		if d.holdEvents {
			d.pendingFB = p.FBID // scanned out at a vblank that has not come
		} else {
			d.scanout = p.FBID // the fake's vblank comes at once
			d.queueFlipEvent()
		}
	case drmIoctlModeRmFB:
		rec("RMFB %d", *(*uint32)(arg))
	case drmIoctlModeDestroyDumb:
		rec("DESTROY_DUMB %d", (*drmModeDestroyDumb)(arg).Handle)
	default:
		return syscall.ENOTTY
	}
	return nil
}

// vblank completes a held flip.
func (d *fakeDev) vblank() {
	d.holdEvents = false
	d.scanout = d.pendingFB
	d.queueFlipEvent()
}

func (d *fakeDev) queueFlipEvent() { d.events++ }

// screen returns the bytes on screen: the framebuffer's visible part
// (from its pan offset), or the DRM buffer being scanned out, and the
// stride.
func (d *fakeDev) screen(t testing.TB) ([]byte, int) {
	t.Helper()
	data, err := os.ReadFile(d.file.Name())
	if err != nil {
		t.Fatal(err)
	}
	if d.kind == "fbdev" {
		return data[int(d.vinfo.YOffset)*int(d.finfo.LineLength):], int(d.finfo.LineLength)
	}
	b := d.dumbs[d.fbs[d.scanout]-1]
	return data[b.offset : b.offset+int64(b.size)], int(b.pitch)
}
