package driver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"
)

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
