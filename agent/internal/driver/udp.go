package driver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// MaxUDPPayload is the most UDP data one Ethernet frame carries at the
// usual 1500-byte MTU (minus 20 bytes of IPv4 and 8 of UDP header). Every
// network driver keeps its packets within it: a larger datagram is
// fragmented, and receivers of the ESP32 class drop fragments.
const MaxUDPPayload = 1500 - 20 - 8

// PacketWriter is the network drivers' transport: one call sends one
// datagram. *net.UDPConn implements it without allocating; tests hand the
// drivers a recorder.
type PacketWriter interface {
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	Close() error
}

// netSettings reads host and port, the settings every network driver has.
func (r *reader) net(defPort int) (host string, port int) {
	if r.required("host") {
		host = r.str("host", "")
		if host == "" {
			r.fail("host", "is empty: give the receiver's IP address or name")
		}
	}
	port = r.int("port", defPort, 1, 65535)
	r.link()
	return host, port
}

// lookupNetIP is the resolver; tests replace it so that they send no DNS
// query off this machine.
var lookupNetIP = net.DefaultResolver.LookupNetIP

// resolve turns host:port into an address, failing with an error that names
// the setting to fix.
func resolve(driver, host string, port int) (netip.AddrPort, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := lookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return netip.AddrPort{}, &SettingError{Driver: driver, Key: "host", Msg: fmt.Sprintf("%q does not resolve (%v): use the receiver's IP address", host, err)}
	}
	a := addrs[0]
	for _, x := range addrs { // prefer IPv4: LED receivers rarely speak IPv6
		if x.Unmap().Is4() {
			a = x
			break
		}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}

// listenFor opens an unconnected UDP socket of the destination's family.
func listenFor(driver string, to netip.AddrPort) (*net.UDPConn, error) {
	network := "udp6"
	if to.Addr().Is4() {
		network = "udp4"
	}
	c, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: open a UDP socket: %w", driver, err)
	}
	return c, nil
}

// openUDP returns the transport and destination for a unicast host. A host
// name that does not resolve yet (DNS down at boot, a typo being fixed) is
// not fatal: the transport resolves it on later sends, with backoff, and
// the destination returned is the zero AddrPort, which that transport
// reads as "the host".
func openUDP(driver, host string, port int) (PacketWriter, netip.AddrPort, error) {
	to, err := resolve(driver, host, port)
	if err != nil {
		l := &lazyUDP{driver: driver, host: host, port: port, now: time.Now, err: err}
		l.backoff = serialMinBackoff
		l.next = l.now().Add(l.backoff)
		return l, netip.AddrPort{}, nil
	}
	c, err := listenFor(driver, to)
	if err != nil {
		return nil, to, err
	}
	return newBatchConn(c, to), to, nil
}

// batchWriter sends several datagrams at once (sendmmsg on Linux).
type batchWriter interface {
	WriteBatch(pkts [][]byte, to []netip.AddrPort) error
}

// sendPackets sends pkts[i] to to[i], in one batch when w can.
func sendPackets(w PacketWriter, pkts [][]byte, to []netip.AddrPort) error {
	if b, ok := w.(batchWriter); ok {
		return b.WriteBatch(pkts, to)
	}
	for i, p := range pkts {
		if _, err := w.WriteToUDPAddrPort(p, to[i]); err != nil {
			return err
		}
	}
	return nil
}

// lazyUDP is a PacketWriter for a host that did not resolve at open. It is
// used under its driver's lock, so it has none of its own.
type lazyUDP struct {
	driver, host string
	port         int
	now          func() time.Time

	conn    *net.UDPConn
	to      netip.AddrPort
	next    time.Time
	backoff time.Duration
	tries   int
	err     error
}

func (l *lazyUDP) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if !addr.IsValid() {
		if l.conn == nil && !l.dial() {
			return 0, l.err
		}
		addr = l.to
	}
	if l.conn == nil {
		return 0, l.err
	}
	return l.conn.WriteToUDPAddrPort(b, addr)
}

// dial resolves the host and opens the socket, if the backoff allows.
func (l *lazyUDP) dial() bool {
	if l.now().Before(l.next) {
		return false
	}
	to, err := resolve(l.driver, l.host, l.port)
	if err == nil {
		var c *net.UDPConn
		if c, err = listenFor(l.driver, to); err == nil {
			l.conn, l.to, l.err, l.tries = c, to, nil, 0
			return true
		}
	}
	l.tries++
	l.err = err
	l.backoff = min(2*l.backoff, serialMaxBackoff)
	l.next = l.now().Add(l.backoff)
	return false
}

func (l *lazyUDP) retries() int { return l.tries }

func (l *lazyUDP) Close() error {
	if l.conn != nil {
		return l.conn.Close()
	}
	return nil
}

// retriesOf reports a transport's failed reopen attempts, if it counts them.
func retriesOf(w any) int {
	if r, ok := w.(interface{ retries() int }); ok {
		return r.retries()
	}
	return 0
}

func (f *ddpFramer) retries() int     { return retriesOf(f.w) }
func (f *e131Framer) retries() int    { return retriesOf(f.w) }
func (f *artnetFramer) retries() int  { return retriesOf(f.w) }
func (f *tpm2netFramer) retries() int { return retriesOf(f.w) }
