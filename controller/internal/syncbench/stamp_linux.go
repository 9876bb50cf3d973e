package main

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

// enableStamps asks the kernel to stamp each datagram as it arrives
// (SO_TIMESTAMPNS), so the time measured is when the agent's packet reached
// the socket, not when this process, sharing the cores with nine others,
// got round to reading it.
func enableStamps(c *net.UDPConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	return serr
}

// stamp is the kernel's arrival time from a datagram's control messages,
// or now when there is none.
func stamp(oob []byte) time.Time {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS &&
				len(m.Data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
				ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
				return time.Unix(int64(ts.Sec), int64(ts.Nsec))
			}
		}
	}
	return time.Now()
}
