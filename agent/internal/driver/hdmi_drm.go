package driver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// drmOut drives a DRM/KMS card (/dev/dri/cardN) the way a minimal KMS
// client does (the kernel's Documentation/gpu/drm-kms.rst, libdrm's
// modetest): become DRM master, take the first connected connector and
// its preferred mode, a CRTC its encoder can drive, two dumb buffers
// (CREATE_DUMB, ADDFB, MAP_DUMB, mmap) in XRGB8888, SETCRTC to the first;
// then each frame is drawn into the hidden buffer and shown by PAGE_FLIP
// with an event. The next frame first reads that flip's event from the fd
// (waiting up to two refresh periods for it): this paces drawing to the
// vertical blank and keeps the buffer on screen untouched. A frame that
// finds the flip still pending after that wait, or that the kernel
// refuses to flip (EBUSY), is dropped and counted as a missed flip.
type drmOut struct {
	sys     videoSys
	fd      int
	path    string
	master  bool
	conn    string
	connIDs [1]uint32 // SETCRTC's connector list (its address goes to the kernel)
	crtcID  uint32
	mode    drmModeModeInfo
	geo     outputGeometry
	bufs    [2]dumbBuffer
	nbufs   int
	front   int // the buffer on screen
	set     bool
	pending bool // a flip was queued and its event not read yet
	wait    time.Duration
	flip    drmModeCrtcPageFlip
	ev      [256]byte
	missedN int64
	flipped int64
}

type dumbBuffer struct {
	handle, fbID uint32
	pitch        uint32
	size         uint64
	mem          []byte
}

func openDRM(sys videoSys, path string) (_ scanout, _ outputGeometry, err error) {
	fd, err := sys.open(path)
	if err != nil {
		return nil, outputGeometry{}, fmt.Errorf("drm %s: %w", path, err)
	}
	o := &drmOut{sys: sys, fd: fd, path: path}
	defer func() {
		if err != nil {
			o.close()
			err = fmt.Errorf("drm %s: %w", path, err)
		}
	}()
	if err := sys.ioctl(fd, drmIoctlSetMaster, nil); err != nil {
		return nil, outputGeometry{}, fmt.Errorf("not DRM master (another program, such as X or a Wayland compositor, drives the display): %w", err)
	}
	o.master = true
	capa := drmGetCap{Capability: drmCapDumbBuffer}
	if err := sys.ioctl(fd, drmIoctlGetCap, unsafe.Pointer(&capa)); err != nil || capa.Value == 0 {
		return nil, outputGeometry{}, fmt.Errorf("the card has no dumb buffers (%v)", err)
	}
	if err := o.pickOutput(); err != nil {
		return nil, outputGeometry{}, err
	}
	w, h := uint32(o.mode.HDisplay), uint32(o.mode.VDisplay)
	for i := range o.bufs {
		if err := o.addBuffer(&o.bufs[i], w, h); err != nil {
			return nil, outputGeometry{}, err
		}
		o.nbufs++
	}
	o.geo = outputGeometry{width: int(w), height: int(h), stride: int(o.bufs[0].pitch), format: formatXRGB8888}
	if o.bufs[1].pitch != o.bufs[0].pitch {
		return nil, outputGeometry{}, fmt.Errorf("dumb buffers with pitches %d and %d", o.bufs[0].pitch, o.bufs[1].pitch)
	}
	for i := range o.bufs {
		clearVisible(o.bufs[i].mem, o.geo)
	}
	crtc := drmModeCrtc{
		SetConnectorsPtr: uint64(uintptr(unsafe.Pointer(&o.connIDs[0]))),
		CountConnectors:  1,
		CrtcID:           o.crtcID,
		FBID:             o.bufs[0].fbID,
		ModeValid:        1,
		Mode:             o.mode,
	}
	err = sys.ioctl(fd, drmIoctlModeSetCrtc, unsafe.Pointer(&crtc))
	runtime.KeepAlive(o)
	if err != nil {
		return nil, outputGeometry{}, fmt.Errorf("SETCRTC %dx%d on CRTC %d: %w", w, h, o.crtcID, err)
	}
	o.set = true
	refresh := o.mode.VRefresh
	if refresh == 0 {
		refresh = 60
	}
	o.wait = 2 * time.Second / time.Duration(refresh)
	return o, o.geo, nil
}

// pickOutput finds the first connected connector with modes, its
// preferred mode (the first mode when none is marked) and a CRTC: the one
// its encoder drives now, else the first its encoders can drive.
func (o *drmOut) pickOutput() error {
	var res drmModeCardRes
	if err := o.sys.ioctl(o.fd, drmIoctlModeGetRes, unsafe.Pointer(&res)); err != nil {
		return fmt.Errorf("GETRESOURCES: %w", err)
	}
	if res.CountConnectors == 0 || res.CountCrtcs == 0 {
		return errors.New("no connector or no CRTC: not a display card")
	}
	conns := make([]uint32, res.CountConnectors)
	crtcs := make([]uint32, res.CountCrtcs)
	encs := make([]uint32, max(res.CountEncoders, 1))
	res = drmModeCardRes{
		ConnectorIDPtr: uint64(uintptr(unsafe.Pointer(&conns[0]))), CountConnectors: uint32(len(conns)),
		CrtcIDPtr: uint64(uintptr(unsafe.Pointer(&crtcs[0]))), CountCrtcs: uint32(len(crtcs)),
		EncoderIDPtr: uint64(uintptr(unsafe.Pointer(&encs[0]))), CountEncoders: uint32(len(encs)),
	}
	err := o.sys.ioctl(o.fd, drmIoctlModeGetRes, unsafe.Pointer(&res))
	runtime.KeepAlive(conns)
	runtime.KeepAlive(crtcs)
	runtime.KeepAlive(encs)
	if err != nil {
		return fmt.Errorf("GETRESOURCES: %w", err)
	}
	conns = conns[:min(int(res.CountConnectors), len(conns))]
	crtcs = crtcs[:min(int(res.CountCrtcs), len(crtcs))]
	var seen []string
	for _, id := range conns {
		c, modes, encoders, err := o.connector(id)
		if err != nil {
			return err
		}
		name := connectorName(c)
		if c.Connection != drmModeConnected || len(modes) == 0 {
			seen = append(seen, name+" not connected")
			continue
		}
		crtc, err := o.crtcFor(c, encoders, crtcs)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		o.conn, o.connIDs[0], o.crtcID = name, id, crtc
		o.mode = modes[0]
		for _, m := range modes {
			if m.Type&drmModeTypePreferred != 0 {
				o.mode = m
				break
			}
		}
		return nil
	}
	return fmt.Errorf("no connected connector (%v): is the HDMI/DVI cable in and the sending card powered?", seen)
}

// connector reads one connector with its modes and encoders. The first
// call, with no room for modes, also makes the kernel probe the output.
func (o *drmOut) connector(id uint32) (drmModeGetConnector, []drmModeModeInfo, []uint32, error) {
	c := drmModeGetConnector{ConnectorID: id}
	if err := o.sys.ioctl(o.fd, drmIoctlModeGetConn, unsafe.Pointer(&c)); err != nil {
		return c, nil, nil, fmt.Errorf("GETCONNECTOR %d: %w", id, err)
	}
	modes := make([]drmModeModeInfo, max(c.CountModes, 1))
	encs := make([]uint32, max(c.CountEncoders, 1))
	c = drmModeGetConnector{
		ConnectorID: id,
		ModesPtr:    uint64(uintptr(unsafe.Pointer(&modes[0]))), CountModes: uint32(len(modes)),
		EncodersPtr: uint64(uintptr(unsafe.Pointer(&encs[0]))), CountEncoders: uint32(len(encs)),
	}
	err := o.sys.ioctl(o.fd, drmIoctlModeGetConn, unsafe.Pointer(&c))
	runtime.KeepAlive(modes)
	runtime.KeepAlive(encs)
	if err != nil {
		return c, nil, nil, fmt.Errorf("GETCONNECTOR %d: %w", id, err)
	}
	return c, modes[:min(int(c.CountModes), len(modes))], encs[:min(int(c.CountEncoders), len(encs))], nil
}

func (o *drmOut) crtcFor(c drmModeGetConnector, encoders, crtcs []uint32) (uint32, error) {
	if c.EncoderID != 0 {
		e := drmModeGetEncoder{EncoderID: c.EncoderID}
		if o.sys.ioctl(o.fd, drmIoctlModeGetEncoder, unsafe.Pointer(&e)) == nil && e.CrtcID != 0 {
			return e.CrtcID, nil
		}
	}
	for _, id := range encoders {
		e := drmModeGetEncoder{EncoderID: id}
		if err := o.sys.ioctl(o.fd, drmIoctlModeGetEncoder, unsafe.Pointer(&e)); err != nil {
			continue
		}
		for i, crtc := range crtcs {
			if e.PossibleCrtcs&(1<<i) != 0 {
				return crtc, nil
			}
		}
	}
	return 0, errors.New("no CRTC can drive it")
}

func (o *drmOut) addBuffer(b *dumbBuffer, w, h uint32) error {
	cd := drmModeCreateDumb{Width: w, Height: h, BPP: 32}
	if err := o.sys.ioctl(o.fd, drmIoctlModeCreateDumb, unsafe.Pointer(&cd)); err != nil {
		return fmt.Errorf("CREATE_DUMB %dx%d: %w", w, h, err)
	}
	b.handle, b.pitch, b.size = cd.Handle, cd.Pitch, cd.Size
	fb := drmModeFBCmd{Width: w, Height: h, Pitch: cd.Pitch, BPP: 32, Depth: 24, Handle: cd.Handle}
	if err := o.sys.ioctl(o.fd, drmIoctlModeAddFB, unsafe.Pointer(&fb)); err != nil {
		return fmt.Errorf("ADDFB %dx%d: %w", w, h, err)
	}
	b.fbID = fb.FBID
	md := drmModeMapDumb{Handle: cd.Handle}
	if err := o.sys.ioctl(o.fd, drmIoctlModeMapDumb, unsafe.Pointer(&md)); err != nil {
		return fmt.Errorf("MAP_DUMB: %w", err)
	}
	if uint64(int(cd.Size)) != cd.Size || int(cd.Size) < int(cd.Pitch)*int(h) {
		return fmt.Errorf("dumb buffer of %d bytes for %d lines of %d", cd.Size, h, cd.Pitch)
	}
	mem, err := o.sys.mmap(o.fd, int64(md.Offset), int(cd.Size))
	if err != nil {
		return fmt.Errorf("mmap dumb buffer: %w", err)
	}
	b.mem = mem
	return nil
}

// buffer waits for the pending flip's event, then returns the hidden
// buffer; nil (the frame is dropped) when the flip is still pending.
func (o *drmOut) buffer() ([]byte, error) {
	if o.pending {
		if err := o.readEvents(o.wait); err != nil {
			return nil, fmt.Errorf("drm %s: reading flip events: %w", o.path, err)
		}
		if o.pending {
			o.missedN++
			return nil, nil
		}
	}
	return o.bufs[1-o.front].mem, nil
}

// readEvents reads what events there are, waiting up to timeout for the
// first; a flip-complete event ends the pending flip.
func (o *drmOut) readEvents(timeout time.Duration) error {
	n, err := o.sys.readEvent(o.fd, o.ev[:], timeout)
	if err != nil {
		return err
	}
	for b := o.ev[:n]; len(b) >= 8; {
		typ, length := binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint32(b[4:])
		if length < 8 || int(length) > len(b) {
			break
		}
		if typ == drmEventFlipComplete {
			o.pending = false
		}
		b = b[length:]
	}
	return nil
}

func (o *drmOut) present() error {
	back := 1 - o.front
	o.flip = drmModeCrtcPageFlip{CrtcID: o.crtcID, FBID: o.bufs[back].fbID, Flags: drmModePageFlipEvent, UserData: uint64(o.flipped + 1)}
	err := o.sys.ioctl(o.fd, drmIoctlModePageFlip, unsafe.Pointer(&o.flip))
	if errors.Is(err, syscall.EBUSY) {
		o.missedN++ // a flip still queued in the kernel: this frame is not shown
		return nil
	}
	if err != nil {
		return fmt.Errorf("drm %s: PAGE_FLIP: %w", o.path, err)
	}
	o.flipped++
	o.pending, o.front = true, back
	return nil
}

func (o *drmOut) missed() int64 { return o.missedN }

func (o *drmOut) describe() string {
	return fmt.Sprintf("drm %s %s %dx%d@%dHz %s, %d bytes a line, page flips", o.path, o.conn,
		o.mode.HDisplay, o.mode.VDisplay, o.mode.VRefresh, o.geo.format.name, o.geo.stride)
}

// close waits for a pending flip (so that the buffer is not removed while
// the CRTC reads it), then releases buffers, master and device.
func (o *drmOut) close() error {
	if o.fd < 0 {
		return nil
	}
	if o.pending {
		_ = o.readEvents(o.wait)
	}
	var errs []error
	for i := o.nbufs - 1; i >= 0; i-- {
		b := &o.bufs[i]
		if b.mem != nil {
			errs = append(errs, o.sys.munmap(b.mem))
			b.mem = nil
		}
		if b.fbID != 0 {
			id := b.fbID
			errs = append(errs, o.sys.ioctl(o.fd, drmIoctlModeRmFB, unsafe.Pointer(&id)))
		}
		d := drmModeDestroyDumb{Handle: b.handle}
		errs = append(errs, o.sys.ioctl(o.fd, drmIoctlModeDestroyDumb, unsafe.Pointer(&d)))
	}
	if o.master {
		errs = append(errs, o.sys.ioctl(o.fd, drmIoctlDropMaster, nil))
	}
	errs = append(errs, o.sys.close(o.fd))
	o.fd = -1
	return errors.Join(errs...)
}

// connectorName is the kernel's name for a connector: HDMI-A-1, DVI-D-1.
func connectorName(c drmModeGetConnector) string {
	names := map[uint32]string{1: "VGA", 2: "DVI-I", 3: "DVI-D", 4: "DVI-A", 7: "LVDS", 10: "DP", 11: "HDMI-A", 12: "HDMI-B", 14: "eDP", 15: "Virtual", 16: "DSI", 17: "DPI"}
	n, ok := names[c.ConnectorType]
	if !ok {
		n = fmt.Sprintf("type%d", c.ConnectorType)
	}
	return fmt.Sprintf("%s-%d", n, c.ConnectorTypeID)
}
