package driver

import (
	"fmt"
	"image"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// Colorlight 5A-75 / i5A receiving cards take raw Ethernet frames, no IP.
// The layout is the one FPP reverse-engineered and sends
// (FalconChristmas/fpp src/channeloutput/ColorLight-5a-75.cpp; written here
// from its description, PROTOCOLS.md): destination MAC, source MAC, then a
// packet type byte where the EtherType's high byte would be, the data
// starting in the EtherType's low byte. Per frame, in this order:
//
//   - brightness, type 0x0A, 77 bytes: data[0..2] the level (0–255),
//     data[3] 0xFF (EtherType on the wire 0x0AFF at full brightness);
//   - one row packet per row, type 0x55, 21 bytes of header: data[0..1]
//     the row (so the EtherType is 0x5500 | row high byte), data[2..3]
//     the first pixel's offset in the row, data[4..5] the pixel count,
//     data[6] 0x08, data[7] 0x88, then 3 bytes per pixel in the card's
//     colour order; at most 497 pixels, so that the frame fits 1514 bytes
//     (a longer row is split);
//   - display frame, type 0x01, 112 bytes: data[0] 0x07 ("from a PC"),
//     data[22] the level, data[23] 0x05, data[25..27] the level. The card
//     shows the rows it has received when this arrives.
//
// Firmware 13 and later want the brightness and display-frame packets
// twice (FPP sends them twice for those cards).
const (
	clHeader          = 13 // MACs and the type byte
	clTypeDisplay     = 0x01
	clDisplaySize     = 112
	clTypeBrightness  = 0x0A
	clBrightnessSize  = 77
	clTypeRow         = 0x55
	clRowHeader       = clHeader + 8
	clMaxRowPixels    = 497
	clFirmwareTwice   = 13
	clDefaultDestMAC  = "11:22:33:44:55:66"
	clDefaultSrcMAC   = "22:22:33:44:55:66"
	clDefaultColours  = "BGR" // the 5A-75's order, per FPP's default panels
	clDefaultFirmware = 0
)

// ColorlightOptions are a Colorlight output's settings besides the picture.
type ColorlightOptions struct {
	Destination, Source net.HardwareAddr // the card matches neither; FPP's defaults
	// CardWidth × CardHeight is the area each receiving card drives, as
	// set on the card (LEDVision): cards are chained left to right, then
	// row by row, and together cover the picture. A packet never spans
	// two cards.
	CardWidth, CardHeight int
	Firmware              int // ≥ 13: brightness and display frame sent twice
}

// Colorlight drives Colorlight receiving cards over raw Ethernet. Unlike
// the pixel drivers, brightness goes to the card (its brightness packets),
// not into the pixel values, so dimming keeps the card's full grey depth.
type Colorlight struct {
	mu     sync.Mutex
	m      *mapping.Map
	w      frameWriter
	px     []byte   // the picture, 3 bytes a pixel in the card's order, row-major
	pkts   [][]byte // one frame: brightness, rows, display frame
	rows   []clRow  // the row packets, in pkts order
	level  byte     // brightness 0–255 on the wire
	closed bool
	drawn  bool
	state  State
	now    func() time.Time
}

// clRow is where one row packet's pixels come from.
type clRow struct {
	pkt   []byte
	start int // byte offset in px
}

// frameWriter sends whole Ethernet frames; the raw socket implements it,
// tests hand the driver a recorder.
type frameWriter interface {
	WriteFrames(frames [][]byte) error
	Close() error
}

// NewColorlight returns a driver sending panel's pictures to the cards
// over w. The mapping is used for colour only (order, gamma, white
// balance): the card knows its panels' wiring.
func NewColorlight(w frameWriter, panel mapping.Config, o ColorlightOptions) (*Colorlight, error) {
	if o.CardWidth == 0 {
		o.CardWidth = panel.Width
	}
	if o.CardHeight == 0 {
		o.CardHeight = panel.Height
	}
	if o.Destination == nil {
		o.Destination, _ = net.ParseMAC(clDefaultDestMAC)
	}
	if o.Source == nil {
		o.Source, _ = net.ParseMAC(clDefaultSrcMAC)
	}
	if err := clLayout(panel.Width, panel.Height, o.CardWidth, o.CardHeight); err != nil {
		return nil, fmt.Errorf("colorlight: %s", err.Msg)
	}
	if len(o.Destination) != 6 || len(o.Source) != 6 {
		return nil, fmt.Errorf("colorlight: MAC addresses must be 6 bytes")
	}
	level := clLevel(panel.Brightness)
	panel.Brightness = 100 // the card dims, not the pixels
	m, err := mapping.New(panel)
	if err != nil {
		return nil, fmt.Errorf("colorlight: %w", err)
	}
	d := &Colorlight{m: m, w: w, px: make([]byte, 3*m.Len()), now: time.Now, state: State{Up: true, Since: time.Now()}}
	packet := func(size int, typ byte) []byte {
		p := make([]byte, size)
		copy(p[0:6], o.Destination)
		copy(p[6:12], o.Source)
		p[12] = typ
		return p
	}
	times := 1
	if o.Firmware >= clFirmwareTwice {
		times = 2
	}
	bright := packet(clBrightnessSize, clTypeBrightness)
	bright[clHeader+3] = 0xFF
	for range times {
		d.pkts = append(d.pkts, bright) // the same bytes twice: one buffer
	}
	for y := 0; y < panel.Height; y++ {
		for x0 := 0; x0 < panel.Width; x0 += o.CardWidth {
			for off := 0; off < o.CardWidth; off += clMaxRowPixels {
				n := min(clMaxRowPixels, o.CardWidth-off)
				p := packet(clRowHeader+3*n, clTypeRow)
				x := x0 + off
				data := p[clHeader:]
				data[0], data[1] = byte(y>>8), byte(y)
				data[2], data[3] = byte(x>>8), byte(x)
				data[4], data[5] = byte(n>>8), byte(n)
				data[6], data[7] = 0x08, 0x88
				d.pkts = append(d.pkts, p)
				d.rows = append(d.rows, clRow{pkt: p, start: 3 * (y*panel.Width + x)})
			}
		}
	}
	display := packet(clDisplaySize, clTypeDisplay)
	display[clHeader] = 0x07
	display[clHeader+23] = 0x05
	for range times {
		d.pkts = append(d.pkts, display)
	}
	d.setLevel(level)
	return d, nil
}

// clLevel turns a percentage into the card's 0–255 level.
func clLevel(percent int) byte { return byte((percent*255 + 50) / 100) }

// setLevel writes the level into the brightness and display-frame packets.
func (d *Colorlight) setLevel(l byte) {
	d.level = l
	b, disp := d.pkts[0], d.pkts[len(d.pkts)-1]
	b[clHeader], b[clHeader+1], b[clHeader+2] = l, l, l
	disp[clHeader+22], disp[clHeader+25], disp[clHeader+26], disp[clHeader+27] = l, l, l, l
}

// clLayout checks that cards of cw × ch tile a w × h picture.
func clLayout(w, h, cw, ch int) *SettingError {
	switch {
	case cw > w || w%cw != 0:
		return &SettingError{Key: "card_width", Msg: fmt.Sprintf("%d does not divide the picture's width %d: set card_width to the width each card drives (as set on the card in LEDVision), with the cards side by side filling the width", cw, w)}
	case ch > h || h%ch != 0:
		return &SettingError{Key: "card_height", Msg: fmt.Sprintf("%d does not divide the picture's height %d: set card_height to the height each card drives (as set on the card in LEDVision), with the rows of cards filling the height", ch, h)}
	}
	return nil
}

func (d *Colorlight) Bounds() image.Rectangle { return d.m.Bounds() }

// Draw sends one frame: brightness, the rows, then the display frame.
func (d *Colorlight) Draw(frame *image.RGBA) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("colorlight: closed")
	}
	if _, err := d.m.Encode(d.px, frame); err != nil {
		return fmt.Errorf("colorlight: %w", err)
	}
	return d.sendLocked()
}

func (d *Colorlight) sendLocked() error {
	for _, r := range d.rows {
		copy(r.pkt[clRowHeader:], d.px[r.start:])
	}
	err := d.w.WriteFrames(d.pkts)
	d.drawn = d.drawn || err == nil
	d.state.sent(err, d.now())
	if err != nil {
		return fmt.Errorf("colorlight: %w", err)
	}
	return nil
}

// SetBrightness sets the cards' brightness from the next frame on.
func (d *Colorlight) SetBrightness(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("colorlight: brightness %d: use 0–100 (%%)", percent)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.setLevel(clLevel(percent))
	return nil
}

// Halt sends a black frame.
func (d *Colorlight) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("colorlight: closed")
	}
	clear(d.px)
	return d.sendLocked()
}

// Close sends one black frame, if anything was drawn (the cards hold the
// last picture they were shown), and closes the socket.
func (d *Colorlight) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	var blackErr error
	if d.drawn {
		clear(d.px)
		blackErr = d.sendLocked()
	}
	if err := d.w.Close(); err != nil {
		return fmt.Errorf("colorlight: %w", err)
	}
	return blackErr
}

// State reports whether the last frame got out of the interface.
func (d *Colorlight) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.state
	if !s.Up {
		s.Retries = retriesOf(d.w)
	}
	return s
}

var (
	_ Driver        = (*Colorlight)(nil)
	_ StateReporter = (*Colorlight)(nil)
)

type colorlightConfig struct {
	iface string
	panel mapping.Config
	o     ColorlightOptions
}

// colorlightSettings reads a Colorlight profile. The card maps the panels
// itself, so only the picture's size and its colour are the driver's:
// no serpentine, tiles or rotation.
func colorlightSettings(s Settings) (colorlightConfig, error) {
	r := newReader(s)
	var c colorlightConfig
	if r.required("interface") {
		c.iface = strings.TrimSpace(r.str("interface", ""))
		if c.iface == "" {
			r.fail("interface", "is empty: give the network interface the first card is cabled to, e.g. eth1")
		}
	}
	mac := func(key, def string) net.HardwareAddr {
		v := r.str(key, def)
		a, err := net.ParseMAC(v)
		if err != nil || len(a) != 6 {
			r.fail(key, "%q is not a MAC address: write six hex bytes, e.g. %s", v, def)
		}
		return a
	}
	c.o.Destination = mac("destination_mac", clDefaultDestMAC)
	c.o.Source = mac("source_mac", clDefaultSrcMAC)
	r.required("width")
	r.required("height")
	c.panel = mapping.Config{
		Width:        r.int("width", 1, 1, 8192),
		Height:       r.int("height", 1, 1, 8192),
		ColourOrder:  r.str("colour_order", clDefaultColours, mapping.ColourOrders...),
		Gamma:        r.float("gamma", 1, 0.5, 4),
		Brightness:   r.int("brightness", 100, 0, 100),
		WhiteBalance: [3]int{100, 100, 100},
	}
	c.o.CardWidth = r.int("card_width", c.panel.Width, 1, 8192)
	c.o.CardHeight = r.int("card_height", c.panel.Height, 1, 8192)
	c.o.Firmware = r.int("firmware_version", clDefaultFirmware, 0, 255)
	if r.err == nil {
		if err := clLayout(c.panel.Width, c.panel.Height, c.o.CardWidth, c.o.CardHeight); err != nil {
			r.fail(err.Key, "%s", err.Msg)
		}
	}
	return c, r.done("colorlight")
}

func init() {
	Register("colorlight", Kind{
		Check: func(s Settings) error { _, err := colorlightSettings(s); return err },
		Open: func(s Settings) (Driver, error) {
			c, err := colorlightSettings(s)
			if err != nil {
				return nil, err
			}
			w, err := openRawEthernet("colorlight", c.iface)
			if err != nil {
				return nil, err
			}
			d, err := NewColorlight(w, c.panel, c.o)
			if err != nil {
				w.Close()
				return nil, err
			}
			return d, nil
		},
	})
}
