//go:build linux

package driver

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchConn sends a frame's datagrams with sendmmsg(2): one system call
// for up to the whole frame instead of one per packet, which is most of
// the per-frame CPU of E1.31 and Art-Net. Its arrays are sized at open and
// reused, so a frame allocates nothing.
type batchConn struct {
	*net.UDPConn
	rc   syscall.RawConn
	is6  bool
	hdrs []mmsghdr
	iov  []unix.Iovec
	sa4  []unix.RawSockaddrInet4
	sa6  []unix.RawSockaddrInet6
	n    int // datagrams in this batch
	sent int
	err  error
	fn   func(fd uintptr) bool // b.write, bound once
}

// mmsghdr is struct mmsghdr: a msghdr and the bytes sent, padded to the
// pointer size.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [unsafe.Sizeof(uintptr(0)) - 4]byte
}

func newBatchConn(c *net.UDPConn, to netip.AddrPort) PacketWriter {
	rc, err := c.SyscallConn()
	if err != nil {
		return c
	}
	b := &batchConn{UDPConn: c, rc: rc, is6: !to.Addr().Is4()}
	b.fn = b.write
	return b
}

func (b *batchConn) grow(n int) {
	if n <= len(b.hdrs) {
		return
	}
	b.hdrs = make([]mmsghdr, n)
	b.iov = make([]unix.Iovec, n)
	if b.is6 {
		b.sa6 = make([]unix.RawSockaddrInet6, n)
	} else {
		b.sa4 = make([]unix.RawSockaddrInet4, n)
	}
}

// WriteBatch sends pkts[i] to to[i], all of them or until an error.
func (b *batchConn) WriteBatch(pkts [][]byte, to []netip.AddrPort) error {
	b.grow(len(pkts)) // allocates on the first frame only
	for i, p := range pkts {
		h := &b.hdrs[i].hdr
		b.iov[i].Base = &p[0]
		b.iov[i].SetLen(len(p))
		h.Iov = &b.iov[i]
		h.SetIovlen(1)
		a := to[i]
		if b.is6 {
			sa := &b.sa6[i]
			sa.Family = unix.AF_INET6
			putPort(&sa.Port, a.Port())
			sa.Addr = a.Addr().As16()
			h.Name = (*byte)(unsafe.Pointer(sa))
			h.Namelen = unix.SizeofSockaddrInet6
		} else {
			sa := &b.sa4[i]
			sa.Family = unix.AF_INET
			putPort(&sa.Port, a.Port())
			sa.Addr = a.Addr().As4()
			h.Name = (*byte)(unsafe.Pointer(sa))
			h.Namelen = unix.SizeofSockaddrInet4
		}
	}
	b.n, b.sent, b.err = len(pkts), 0, nil
	if err := b.rc.Write(b.fn); err != nil {
		return err
	}
	return b.err
}

// putPort stores a port in network byte order.
func putPort(dst *uint16, port uint16) {
	p := (*[2]byte)(unsafe.Pointer(dst))
	p[0], p[1] = byte(port>>8), byte(port)
}

// write is called by the runtime poller with the socket; it returns false
// to wait until the socket is writable again.
func (b *batchConn) write(fd uintptr) bool {
	for b.sent < b.n {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[b.sent])), uintptr(b.n-b.sent), 0, 0, 0)
		switch e {
		case 0:
			b.sent += int(r)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			b.err = e
			return true
		}
	}
	return true
}
