//go:build linux

package driver

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawEthernet is an AF_PACKET socket bound to one interface: it sends whole
// Ethernet frames (the kernel adds only the checksum) and receives nothing
// (protocol 0). Frames go out with sendmmsg(2), one system call a frame;
// its arrays are sized on the first frame and reused.
//
// An interface that disappears (a USB Ethernet adapter unplugged) comes
// back with another index: the socket is bound again to the interface of
// the same name, tried with backoff (0.1 s doubling to 5 s) while frames
// fail.
type rawEthernet struct {
	driver, iface string
	fd            int
	hdrs          []mmsghdr
	iov           []unix.Iovec

	now     func() time.Time
	next    time.Time // no rebind attempt before this
	backoff time.Duration
	tries   int
}

// openRawEthernet opens the socket, with errors that say what to do: a
// missing interface names the ones this machine has, a missing capability
// names CAP_NET_RAW.
func openRawEthernet(driver, iface string) (*rawEthernet, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		var names []string
		if all, err := net.Interfaces(); err == nil {
			for _, i := range all {
				if i.Flags&net.FlagLoopback == 0 {
					names = append(names, i.Name)
				}
			}
		}
		return nil, &SettingError{Driver: driver, Key: "interface", Msg: fmt.Sprintf("%q: no such network interface on this machine (it has: %s): set interface to the port the first receiving card is cabled to", iface, strings.Join(names, ", "))}
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return nil, fmt.Errorf("%s: sending raw Ethernet frames on %s needs CAP_NET_RAW (%v): run the agent with CAP_NET_RAW; the systemd unit grants it (AmbientCapabilities=CAP_NET_RAW), and test-pattern needs root or `setcap cap_net_raw+ep` on the binary", driver, iface, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: open a raw Ethernet socket: %w", driver, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: bind a raw socket to %s: %w", driver, iface, err)
	}
	return &rawEthernet{driver: driver, iface: iface, fd: fd, now: time.Now}, nil
}

// WriteFrames sends every frame, in order, or returns the first error.
func (r *rawEthernet) WriteFrames(frames [][]byte) error {
	if r.fd < 0 {
		return errClosed
	}
	if len(frames) > len(r.hdrs) { // the first frame only
		r.hdrs = make([]mmsghdr, len(frames))
		r.iov = make([]unix.Iovec, len(frames))
	}
	for i, f := range frames {
		r.iov[i].Base = &f[0]
		r.iov[i].SetLen(len(f))
		r.hdrs[i].hdr.Iov = &r.iov[i]
		r.hdrs[i].hdr.SetIovlen(1)
	}
	for sent := 0; sent < len(frames); {
		n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.hdrs[sent])), uintptr(len(frames)-sent), 0, 0, 0)
		switch e {
		case 0:
			sent += int(n)
			r.tries, r.backoff = 0, 0
		case unix.EINTR:
		case unix.ENETDOWN:
			return fmt.Errorf("interface %s is down: bring it up (ip link set %s up) and check the cable to the first card", r.iface, r.iface)
		case unix.ENXIO, unix.ENODEV:
			if !r.rebind() {
				return fmt.Errorf("interface %s is gone (%v): plug the adapter back in; the agent binds to it again when it returns", r.iface, e)
			}
		default:
			return fmt.Errorf("send on %s: %w", r.iface, e)
		}
	}
	return nil
}

// rebind binds the socket to the interface of the same name, if the
// backoff allows and it exists again; it reports whether it did.
func (r *rawEthernet) rebind() bool {
	if r.now().Before(r.next) {
		return false
	}
	r.tries++
	r.backoff = min(max(2*r.backoff, serialMinBackoff), serialMaxBackoff)
	r.next = r.now().Add(r.backoff)
	// Asked through the socket, so the name is looked up in the socket's
	// network namespace, whichever thread runs this.
	ifr, err := unix.NewIfreq(r.iface)
	if err != nil || unix.IoctlIfreq(r.fd, unix.SIOCGIFINDEX, ifr) != nil {
		return false
	}
	return unix.Bind(r.fd, &unix.SockaddrLinklayer{Ifindex: int(ifr.Uint32())}) == nil
}

func (r *rawEthernet) retries() int { return r.tries }

func (r *rawEthernet) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}
