package driver

import (
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Link settings every network driver has.
const (
	// linkOverhead is what a UDP datagram costs on Ethernet besides its
	// data: preamble 8, Ethernet header 14, FCS 4, gap 12, IPv4 20, UDP 8
	// (PROTOCOLS.md, "Physical limits").
	linkOverhead   = 66
	linkMbitDef    = 100
	linkPacingMax  = 0.9
	linkRateFPSDef = 25 // the agent's default frame rate, until told
)

// linkOptions are the network link's settings: link_mbit, the rate of the
// slowest link on the way to the receiver (100 for Fast Ethernet, 1000 for
// gigabit), which bounds the frame rate; and pacing, the fraction of the
// frame interval over which a frame's packets are spread (0: back to back).
type linkOptions struct {
	mbit   float64
	pacing float64
}

func (r *reader) link() linkOptions {
	return linkOptions{
		mbit:   r.float("link_mbit", linkMbitDef, 1, 100_000),
		pacing: r.float("pacing", 0, 0, linkPacingMax),
	}
}

func linkOf(s Settings) linkOptions { return newReader(s).link() }

// builders build a network driver's packets over a given transport, for
// MaxFPS; Open uses them too.
var builders = map[string]func(s Settings, w PacketWriter, to netip.AddrPort) (*Pixels, error){}

type discardWriter struct{}

func (discardWriter) WriteToUDPAddrPort(b []byte, _ netip.AddrPort) (int, error) { return len(b), nil }
func (discardWriter) Close() error                                               { return nil }

// packeter is a framer that sends a fixed list of datagrams per frame.
type packeter interface {
	packets() [][]byte
}

func (f *ddpFramer) packets() [][]byte     { return f.pkts }
func (f *e131Framer) packets() [][]byte    { return f.pkts }
func (f *artnetFramer) packets() [][]byte  { return f.pkts }
func (f *tpm2netFramer) packets() [][]byte { return f.pkts }

// wireBytes is what one frame costs on Ethernet, headers and gaps included,
// and how many packets it is.
func wireBytes(f framer) (bytes, packets int) {
	p, ok := f.(packeter)
	if !ok {
		return 0, 0
	}
	for _, pkt := range p.packets() {
		// A datagram over one Ethernet frame (Flaschen-Taschen) goes as
		// IP fragments, each with its own Ethernet and IP headers.
		bytes += len(pkt) + linkOverhead + (ipFragments(len(pkt))-1)*(linkOverhead-8)
	}
	return bytes, len(p.packets())
}

// MaxFPS is the highest frame rate the link the settings declare
// (link_mbit) carries for driver name, and a sentence saying why; 0 when
// the driver is not bound by a network link.
func MaxFPS(name string, s Settings) (float64, string, error) {
	build, ok := builders[name]
	if !ok {
		return 0, "", nil
	}
	if err := Check(name, s); err != nil {
		return 0, "", err
	}
	d, err := build(s, discardWriter{}, netip.AddrPortFrom(netip.IPv4Unspecified(), 1))
	if err != nil {
		return 0, "", err
	}
	bytes, packets := wireBytes(d.f)
	l := linkOf(s)
	max := l.mbit * 1e6 / 8 / float64(bytes)
	size := d.Bounds().Size()
	why := fmt.Sprintf("a %dx%d panel over %s is %d packets, %d bytes per frame on the wire: a %g Mbit link carries at most %d fps", size.X, size.Y, name, packets, bytes, l.mbit, int(math.Floor(max)))
	return max, why, nil
}

// CheckFPS refuses a frame rate the declared link cannot carry, saying the
// maximum for that panel, protocol and link and what to change.
func CheckFPS(name string, s Settings, fps float64) error {
	max, why, err := MaxFPS(name, s)
	if err != nil || max == 0 || fps <= max {
		return err
	}
	return fmt.Errorf("%g fps is more than the link carries: %s; lower the frame rate to %d or less, or, if the link to the receiver is faster, set link_mbit to its rate (1000 for gigabit Ethernet)", fps, why, int(math.Floor(max)))
}

// pacer spreads a network framer's packets over part of the frame
// interval (the pacing setting); the zero pacer sends them back to back.
type pacer struct{ spread time.Duration }

func (p *pacer) setSpread(d time.Duration) { p.spread = d }

func (p *pacer) out(w PacketWriter, pkts [][]byte, to []netip.AddrPort) error {
	return pace(w, pkts, to, p.spread)
}

// pace spreads a frame's packets over pacing × the frame interval, sending
// packet i of n at start + i/(n−1) of that spread; it sends them at once,
// in one batch, without pacing.
func pace(w PacketWriter, pkts [][]byte, to []netip.AddrPort, spread time.Duration) error {
	if spread <= 0 || len(pkts) < 2 {
		return sendPackets(w, pkts, to)
	}
	start := time.Now()
	gap := spread / time.Duration(len(pkts)-1)
	for i, p := range pkts {
		if d := time.Until(start.Add(time.Duration(i) * gap)); d > 0 {
			time.Sleep(d)
		}
		if _, err := w.WriteToUDPAddrPort(p, to[i]); err != nil {
			return err
		}
	}
	return nil
}

// setLink sets a new driver's link settings, pacing at the default frame
// rate until SetFrameRate says another.
func (d *Pixels) setLink(l linkOptions) {
	d.link = l
	d.setSpreadLocked(linkRateFPSDef)
}

var _ FrameRater = (*Pixels)(nil)
