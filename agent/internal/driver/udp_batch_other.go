//go:build !linux

package driver

import (
	"net"
	"net/netip"
)

// newBatchConn: elsewhere, one system call per datagram.
func newBatchConn(c *net.UDPConn, _ netip.AddrPort) PacketWriter { return c }
