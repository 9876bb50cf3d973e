package driver

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSys is videoSys on the real kernel. One per open output: it keeps
// the poll set so that waiting for a flip allocates nothing.
type kernelSys struct {
	poll [1]unix.PollFd
}

func newKernelSys() (videoSys, error) { return &kernelSys{}, nil }

func (*kernelSys) open(path string) (int, error) {
	return unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
}

func (*kernelSys) close(fd int) error { return unix.Close(fd) }

func (*kernelSys) ioctl(fd int, req uint, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
		switch e {
		case 0:
			return nil
		case unix.EINTR, unix.EAGAIN: // libdrm's drmIoctl retries these too
			continue
		}
		return e
	}
}

func (*kernelSys) mmap(fd int, offset int64, length int) ([]byte, error) {
	return unix.Mmap(fd, offset, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func (*kernelSys) munmap(b []byte) error { return unix.Munmap(b) }

func (k *kernelSys) readEvent(fd int, p []byte, timeout time.Duration) (int, error) {
	k.poll[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	n, err := unix.Poll(k.poll[:], int(timeout/time.Millisecond))
	if err == unix.EINTR || (err == nil && n == 0) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return unix.Read(fd, p)
}
