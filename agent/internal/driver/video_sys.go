package driver

import (
	"time"
	"unsafe"
)

// videoSys is the kernel boundary of the video output driver: the only
// system calls it makes. The real one (video_sys_linux.go) calls the
// kernel; tests hand the driver a double that answers the ioctls itself
// and maps a temporary file in place of video memory.
//
// Contract: ioctl passes arg, a pointer to the request's struct (or nil),
// to the device open as fd and returns the kernel's error (a
// syscall.Errno); the memory arg points to, and any user pointers inside
// it, stay valid for the call only. mmap maps length bytes of fd at offset
// shared and writable. readEvent waits up to timeout for fd to be readable
// and reads what it has into p; it returns 0 and no error when nothing
// came in time.
type videoSys interface {
	open(path string) (fd int, err error)
	close(fd int) error
	ioctl(fd int, req uint, arg unsafe.Pointer) error
	mmap(fd int, offset int64, length int) ([]byte, error)
	munmap(b []byte) error
	readEvent(fd int, p []byte, timeout time.Duration) (int, error)
}
