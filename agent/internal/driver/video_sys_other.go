//go:build !linux

package driver

import "errors"

// Framebuffers and DRM/KMS are Linux interfaces.
func newKernelSys() (videoSys, error) {
	return nil, errors.New("video output needs Linux (fbdev or DRM/KMS)")
}
