package driver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"
)

// The hdmi driver draws the LED canvas on a display output, for the
// sending cards (NovaStar MCTRL, Colorlight S-series, Linsn) that take an
// HDMI/DVI picture and map a window of it onto the cabinets. The canvas
// goes to the window at (x, y), each LED pixel a scale × scale block; the
// rest of the output is black. Backends: DRM/KMS dumb buffers with page
// flipping (hdmi_drm.go), or the fbdev framebuffer (hdmi_fbdev.go).
func init() {
	Register("hdmi", Kind{
		Open: func(s Settings) (Driver, error) {
			c, err := hdmiSettings(s)
			if err != nil {
				return nil, err
			}
			sys, err := newKernelSys()
			if err != nil {
				return nil, fmt.Errorf("hdmi: %w", err)
			}
			return openHDMI(c, sys)
		},
		Check: func(s Settings) error { _, err := hdmiSettings(s); return err },
	})
}

const (
	defaultDRMDevice = "/dev/dri/card0"
	defaultFBDevice  = "/dev/fb0"
)

type hdmiConfig struct {
	Width, Height int    // the LED canvas the player draws
	Backend       string // auto, drm or fbdev
	Device        string // empty: the backend's default
	X, Y, Scale   int    // the window on the output
}

func hdmiSettings(s Settings) (hdmiConfig, error) {
	r := newReader(s)
	r.required("width")
	r.required("height")
	c := hdmiConfig{
		Width:   r.int("width", 1, 1, 8192),
		Height:  r.int("height", 1, 1, 8192),
		Backend: r.str("backend", "auto", "auto", "drm", "fbdev"),
		Device:  r.str("device", ""),
		X:       r.int("x", 0, 0, 16383),
		Y:       r.int("y", 0, 0, 16383),
		Scale:   r.int("scale", 1, 1, 64),
	}
	// The player sets the level; the profile's is its starting point.
	r.int("brightness", 100, 0, 100)
	if r.err == nil && (c.X+c.Width*c.Scale > 16384 || c.Y+c.Height*c.Scale > 16384) {
		r.fail("scale", "the window %dx%d×%d at (%d, %d) reaches past 16384 pixels: no output is that large", c.Width, c.Height, c.Scale, c.X, c.Y)
	}
	if r.err == nil && c.Backend == "auto" && c.Device != "" && deviceKind(c.Device) == "" {
		r.fail("device", "%q: with backend auto the device must be a DRM card (/dev/dri/cardN) or a framebuffer (/dev/fbN); otherwise set backend to drm or fbdev", c.Device)
	}
	return c, r.done("hdmi")
}

// deviceKind tells a DRM card from a framebuffer by its name.
func deviceKind(path string) string {
	base := path[strings.LastIndexByte(path, '/')+1:]
	switch {
	case strings.HasPrefix(base, "card"):
		return "drm"
	case strings.HasPrefix(base, "fb"):
		return "fbdev"
	}
	return ""
}

// outputs lists what to try, in order: with backend auto, DRM first and
// the framebuffer when DRM is not usable.
func (c hdmiConfig) outputs() [][2]string {
	switch {
	case c.Backend == "drm":
		return [][2]string{{"drm", or(c.Device, defaultDRMDevice)}}
	case c.Backend == "fbdev":
		return [][2]string{{"fbdev", or(c.Device, defaultFBDevice)}}
	case c.Device == "":
		return [][2]string{{"drm", defaultDRMDevice}, {"fbdev", defaultFBDevice}}
	case deviceKind(c.Device) == "fbdev":
		return [][2]string{{"fbdev", c.Device}}
	}
	return [][2]string{{"drm", c.Device}, {"fbdev", defaultFBDevice}}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// scanout is one backend's output. Its buffers are width × height pixels
// of format, stride bytes a line.
//
// Contract: buffer returns the memory the next frame is drawn into,
// starting at the output's top-left pixel; nil and no error when the
// output cannot take a frame now (a page flip still pending: the frame is
// dropped and counted by the backend). present shows what was drawn into
// the last buffer. Both are called under the driver's lock and allocate
// nothing. close releases the device.
type scanout interface {
	buffer() ([]byte, error)
	present() error
	missed() int64
	describe() string
	close() error
}

// outputGeometry is what a backend found at open.
type outputGeometry struct {
	width, height int
	stride        int
	format        pixelFormat
}

// HDMI is the video output driver.
type HDMI struct {
	mu     sync.Mutex
	cfg    hdmiConfig
	out    scanout
	geo    outputGeometry
	row    []byte // one scaled output row of the window, reused
	black  *image.RGBA
	tab    [3][256]uint32 // per channel: 8-bit value (after brightness) → its bits in the pixel
	level  int
	mode   string
	closed bool
	state  State
}

var (
	_ Driver        = (*HDMI)(nil)
	_ StateReporter = (*HDMI)(nil)
)

// openHDMI opens the first usable output of c's list. When DRM is not
// usable and the framebuffer is, the mode says why DRM was passed over.
func openHDMI(c hdmiConfig, sys videoSys) (*HDMI, error) {
	var why []string
	for _, o := range c.outputs() {
		var (
			out scanout
			geo outputGeometry
			err error
		)
		if o[0] == "drm" {
			out, geo, err = openDRM(sys, o[1])
		} else {
			out, geo, err = openFBDev(sys, o[1])
		}
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		d, err := newHDMI(c, out, geo)
		if err != nil {
			out.close()
			return nil, err
		}
		if len(why) > 0 {
			d.mode += " (fallback: " + strings.Join(why, "; ") + ")"
		}
		return d, nil
	}
	return nil, fmt.Errorf("hdmi: no usable output: %s", strings.Join(why, "; "))
}

func newHDMI(c hdmiConfig, out scanout, geo outputGeometry) (*HDMI, error) {
	ww, wh := c.Width*c.Scale, c.Height*c.Scale
	if c.X+ww > geo.width || c.Y+wh > geo.height {
		return nil, fmt.Errorf("hdmi: the LED window %dx%d (%dx%d × %d) at (%d, %d) does not fit the output's %dx%d: lower x, y or scale, or set the output to a larger mode",
			ww, wh, c.Width, c.Height, c.Scale, c.X, c.Y, geo.width, geo.height)
	}
	d := &HDMI{
		cfg:   c,
		out:   out,
		geo:   geo,
		row:   make([]byte, ww*geo.format.bytes),
		black: image.NewRGBA(image.Rect(0, 0, c.Width, c.Height)),
		level: 100,
		state: State{Up: true, Since: time.Now()},
	}
	d.mode = fmt.Sprintf("%s, window %dx%d at (%d, %d) scale %d", out.describe(), c.Width, c.Height, c.X, c.Y, c.Scale)
	d.setTables()
	return d, nil
}

func (d *HDMI) Bounds() image.Rectangle { return image.Rect(0, 0, d.cfg.Width, d.cfg.Height) }

// Draw puts the frame in the window and shows it at the next vertical
// blank where the backend can (DRM page flip, fbdev pan); a frame that
// arrives while the previous flip is still pending is dropped and counted
// (State.Dropped).
func (d *HDMI) Draw(frame *image.RGBA) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("hdmi: closed")
	}
	if frame.Bounds().Size() != d.Bounds().Size() {
		return fmt.Errorf("hdmi: frame is %v, panel is %v", frame.Bounds().Size(), d.Bounds().Size())
	}
	return d.showLocked(frame)
}

func (d *HDMI) showLocked(frame *image.RGBA) error {
	buf, err := d.out.buffer()
	if err == nil && buf != nil {
		d.blit(buf, frame)
		err = d.out.present()
	}
	d.state.sent(err, time.Now())
	if err != nil {
		return fmt.Errorf("hdmi: %w", err)
	}
	return nil
}

// blit writes frame into the window of buf: each LED pixel becomes a
// scale × scale block, packed in the output's pixel format. One scaled row
// is built in d.row and copied scale times, so video memory (often
// write-combined, slow to read) is only written.
func (d *HDMI) blit(buf []byte, frame *image.RGBA) {
	c, f := d.cfg, d.geo.format
	bpp, stride := f.bytes, d.geo.stride
	x0 := c.X * bpp
	for ly := 0; ly < c.Height; ly++ {
		src := frame.Pix[ly*frame.Stride : ly*frame.Stride+4*c.Width]
		row := d.row
		for lx := 0; lx < len(src); lx += 4 {
			v := d.tab[0][src[lx]] | d.tab[1][src[lx+1]] | d.tab[2][src[lx+2]] | f.opaque
			switch bpp { // the same case for every pixel: predicted
			case 4:
				for s := 0; s < c.Scale; s++ {
					binary.LittleEndian.PutUint32(row, v)
					row = row[4:]
				}
			case 2:
				for s := 0; s < c.Scale; s++ {
					binary.LittleEndian.PutUint16(row, uint16(v))
					row = row[2:]
				}
			default:
				for s := 0; s < c.Scale; s++ {
					row[0], row[1], row[2] = byte(v), byte(v>>8), byte(v>>16)
					row = row[3:]
				}
			}
		}
		for s := 0; s < c.Scale; s++ {
			y := c.Y + ly*c.Scale + s
			copy(buf[y*stride+x0:], d.row)
		}
	}
}

// setTables builds the channel tables for the current brightness.
func (d *HDMI) setTables() {
	f := d.geo.format
	for v := 0; v < 256; v++ {
		l := uint32(v * d.level / 100)
		for ch, bf := range [3]fbBitfield{f.red, f.green, f.blue} {
			d.tab[ch][v] = l >> (8 - bf.Length) << bf.Offset
		}
	}
}

// SetBrightness scales the colours of the frames drawn after it (the
// sending card has its own brightness too; this one is the agent's).
func (d *HDMI) SetBrightness(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("hdmi: brightness %d: use 0–100 (%%)", percent)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.level = percent
	d.setTables()
	return nil
}

// Halt shows black in the window.
func (d *HDMI) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("hdmi: closed")
	}
	return d.showLocked(d.black)
}

// Close shows black and releases the output. The kernel may then show its
// console on the output again (DRM's fbdev emulation does): on a sending
// card, keep the console off that output (fbcon=map, or no console).
func (d *HDMI) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	herr := d.showLocked(d.black)
	if err := d.out.close(); err != nil {
		return fmt.Errorf("hdmi: %w", err)
	}
	return herr
}

// State reports the output: Mode names the backend, device, connector,
// mode and format (and why DRM was passed over, on a fallback); Dropped
// counts page flips missed (frames not shown).
func (d *HDMI) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.state
	s.Mode = d.mode
	s.Dropped = d.out.missed()
	return s
}

// pixelFormat is a packed true-colour format, as fb_var_screeninfo
// describes it: each channel's bits within a little-endian pixel of
// bytes bytes (every board pano runs on is little-endian).
type pixelFormat struct {
	name             string
	bytes            int
	red, green, blue fbBitfield
	opaque           uint32 // the alpha bits, all set; 0 without alpha
}

var (
	formatXRGB8888 = pixelFormat{name: "XRGB8888", bytes: 4, red: fbBitfield{Offset: 16, Length: 8}, green: fbBitfield{Offset: 8, Length: 8}, blue: fbBitfield{Length: 8}}
	formatARGB8888 = pixelFormat{name: "ARGB8888", bytes: 4, red: fbBitfield{Offset: 16, Length: 8}, green: fbBitfield{Offset: 8, Length: 8}, blue: fbBitfield{Length: 8}, opaque: 0xff000000}
	formatRGB565   = pixelFormat{name: "RGB565", bytes: 2, red: fbBitfield{Offset: 11, Length: 5}, green: fbBitfield{Offset: 5, Length: 6}, blue: fbBitfield{Length: 5}}
)

// formatOf reads the pixel format from a framebuffer's var screeninfo.
func formatOf(v *fbVarScreenInfo) (pixelFormat, error) {
	bits := v.BitsPerPixel
	if bits != 16 && bits != 24 && bits != 32 {
		return pixelFormat{}, fmt.Errorf("%d bits per pixel: only 16, 24 and 32 are supported", bits)
	}
	if v.Grayscale != 0 || v.Nonstd != 0 {
		return pixelFormat{}, errors.New("a greyscale or non-standard pixel format is not supported")
	}
	f := pixelFormat{bytes: int(bits / 8), red: v.Red, green: v.Green, blue: v.Blue}
	for i, bf := range [4]fbBitfield{v.Red, v.Green, v.Blue, v.Transp} {
		colour := i < 3 // transp may be absent (length 0)
		if bf.MSBRight != 0 || bf.Length > 8 || bf.Offset+bf.Length > bits || (colour && bf.Length == 0) {
			return pixelFormat{}, fmt.Errorf("pixel format %s is not supported", bitsName(v))
		}
	}
	if v.Transp.Length > 0 {
		f.opaque = (1<<v.Transp.Length - 1) << v.Transp.Offset
	}
	f.name = bitsName(v)
	for _, k := range []pixelFormat{formatXRGB8888, formatARGB8888, formatRGB565} {
		if k.bytes == f.bytes && k.red == f.red && k.green == f.green && k.blue == f.blue && k.opaque == f.opaque {
			f.name = k.name
		}
	}
	return f, nil
}

func bitsName(v *fbVarScreenInfo) string {
	return fmt.Sprintf("%dbpp r%d@%d g%d@%d b%d@%d a%d@%d", v.BitsPerPixel, v.Red.Length, v.Red.Offset,
		v.Green.Length, v.Green.Offset, v.Blue.Length, v.Blue.Offset, v.Transp.Length, v.Transp.Offset)
}

// clearVisible blackens the visible area of one buffer, line by line (the
// bytes past the visible width of a line are not the output's).
func clearVisible(buf []byte, geo outputGeometry) {
	n := geo.width * geo.format.bytes
	for y := 0; y < geo.height; y++ {
		clear(buf[y*geo.stride : y*geo.stride+n])
	}
}
