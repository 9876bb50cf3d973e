package driver

import (
	"fmt"
	"net/netip"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// Flaschen-Taschen (hzeller/flaschen-taschen doc/protocols.md; the
// ft-server of rpi-rgb-led-matrix, which drives HUB75 panels on a
// Raspberry Pi): one UDP datagram per image, a binary PPM — "P6", width,
// height, "255", one whitespace byte, then RGB row by row — followed by an
// optional footer "x y z": where the image goes on the server's canvas and
// on which layer (0 the background; black in a higher layer is
// transparent). No acknowledgement, no sequence: the server shows the last
// image.
const (
	FTPort = 1337
	// ftMaxDatagram is the most a UDP datagram carries over IPv4. Unlike
	// the other network drivers, Flaschen-Taschen cannot keep to one
	// Ethernet frame: the protocol is one image per datagram, so a 128×64
	// image (24.6 KB) goes as IP fragments, which the server, a Linux
	// machine, reassembles. A larger picture is sent as several images
	// (tiles) with offsets.
	ftMaxDatagram = 65507
	ftMaxLayer    = 15 // ft-server keeps 16 layers
)

// FTOptions place the picture on the server's canvas.
type FTOptions struct {
	OffsetX, OffsetY int // top left of the picture on the server's canvas
	Layer            int // 0 background, 1–15 drawn over it
}

type ftFramer struct {
	pacer
	w     PacketWriter
	px    []byte
	pkts  [][]byte // one datagram a tile, header and footer written at open
	to    []netip.AddrPort
	tiles []ftTile
}

// ftTile is where a tile's pixels go in its datagram and come from in px.
type ftTile struct {
	data  []byte
	start int
}

// NewFlaschenTaschen returns a Flaschen-Taschen driver sending to to over
// w. A picture that does not fit one datagram is cut into bands of whole
// rows, each sent as an image with its own y offset.
func NewFlaschenTaschen(w PacketWriter, to netip.AddrPort, panel mapping.Config, o FTOptions) (*Pixels, error) {
	panel.ColourOrder = "RGB" // PPM is RGB; the Pi maps its panels' order
	width, height := panel.Width, panel.Height
	header := func(h int) string { return fmt.Sprintf("P6\n%d %d\n255\n", width, h) }
	footer := func(y int) string { return fmt.Sprintf("\n%d %d %d\n", o.OffsetX, o.OffsetY+y, o.Layer) }
	// Rows per datagram, with the longest header and footer any tile has.
	rows := (ftMaxDatagram - len(header(height)) - len(footer(height))) / (3 * width)
	if rows < 1 {
		return nil, fmt.Errorf("flaschentaschen: a row of %d pixels does not fit one UDP datagram", width)
	}
	f := &ftFramer{w: w, px: make([]byte, 3*width*height)}
	for y := 0; y < height; y += rows {
		h := min(rows, height-y)
		hd, ft := header(h), footer(y)
		p := make([]byte, 0, len(hd)+3*width*h+len(ft))
		p = append(p, hd...)
		p = append(p, make([]byte, 3*width*h)...)
		p = append(p, ft...)
		f.pkts = append(f.pkts, p)
		f.to = append(f.to, to)
		f.tiles = append(f.tiles, ftTile{data: p[len(hd) : len(hd)+3*width*h], start: 3 * width * y})
	}
	return newPixelDriver("flaschentaschen", panel, f)
}

func (f *ftFramer) payload() []byte { return f.px }

func (f *ftFramer) send() error {
	for _, t := range f.tiles {
		copy(t.data, f.px[t.start:])
	}
	return f.out(f.w, f.pkts, f.to)
}

func (f *ftFramer) close() error      { return f.w.Close() }
func (f *ftFramer) packets() [][]byte { return f.pkts }
func (f *ftFramer) retries() int      { return retriesOf(f.w) }

// Flaschen-Taschen has no "off" (no message but an image): the player
// keeps sending black, and Close sends one black image.

type ftConfig struct {
	panel mapping.Config
	o     FTOptions
	host  string
	port  int
}

// ftSettings reads a Flaschen-Taschen profile. The Pi maps its panels
// (rpi-rgb-led-matrix's --led-* options), so only the picture's size, its
// place and its colour are the driver's.
func ftSettings(s Settings) (ftConfig, error) {
	r := newReader(s)
	var c ftConfig
	c.host, c.port = r.net(FTPort)
	r.required("width")
	r.required("height")
	c.panel = mapping.Config{
		Width:  r.int("width", 1, 1, 8192),
		Height: r.int("height", 1, 1, 8192),
		// rpi-rgb-led-matrix corrects luminance (CIE 1931) itself: linear.
		Gamma:        r.float("gamma", 1, 0.5, 4),
		Brightness:   r.int("brightness", 100, 0, 100),
		WhiteBalance: [3]int{100, 100, 100},
	}
	c.o.OffsetX = r.int("offset_x", 0, 0, 8192)
	c.o.OffsetY = r.int("offset_y", 0, 0, 8192)
	c.o.Layer = r.int("layer", 0, 0, ftMaxLayer)
	return c, r.done("flaschentaschen")
}

func init() {
	Register("flaschentaschen", Kind{
		Check: func(s Settings) error { _, err := ftSettings(s); return err },
		Open: func(s Settings) (Driver, error) {
			c, err := ftSettings(s)
			if err != nil {
				return nil, err
			}
			w, to, err := openUDP("flaschentaschen", c.host, c.port)
			if err != nil {
				return nil, err
			}
			d, err := builders["flaschentaschen"](s, w, to)
			if err != nil {
				w.Close()
				return nil, err
			}
			return d, nil
		},
	})
	builders["flaschentaschen"] = func(s Settings, w PacketWriter, to netip.AddrPort) (*Pixels, error) {
		c, err := ftSettings(s)
		if err != nil {
			return nil, err
		}
		d, err := NewFlaschenTaschen(w, to, c.panel, c.o)
		if err == nil {
			d.setLink(linkOf(s))
		}
		return d, err
	}
}

// ipFragments is how many Ethernet frames a UDP datagram of n data bytes
// takes at a 1500-byte MTU: 1480 bytes of UDP header and data each.
func ipFragments(n int) int { return (n + 8 + 1479) / 1480 }
