//go:build linux

package driver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHDMIRealDevice runs the window test of the fake-kernel tests on
// this machine's own display devices, when it has some: /dev/fb0 (fbdev)
// and each /dev/dri/cardN (DRM; the vkms module makes a virtual one). It
// is an extra on top of those tests, so it skips, even under CI=true, when
// there is no device (containers and most CI machines have none) or when
// DRM is held by another program; every outcome is logged with the prefix
// "hdmi real device:" (`make test-go` prints those lines). With
// PANO_VKMS=1 it first tries `modprobe vkms`: not done unasked, since on
// a desktop it adds a virtual monitor.
func TestHDMIRealDevice(t *testing.T) {
	if os.Getenv("PANO_VKMS") == "1" {
		out, err := exec.Command("modprobe", "vkms").CombinedOutput()
		t.Logf("hdmi real device: modprobe vkms: %v %s", err, strings.TrimSpace(string(out)))
	}
	var devs [][2]string
	if _, err := os.Stat("/dev/fb0"); err == nil {
		devs = append(devs, [2]string{"fbdev", "/dev/fb0"})
	}
	cards, _ := filepath.Glob("/dev/dri/card*")
	for _, c := range cards {
		devs = append(devs, [2]string{"drm", c})
	}
	if len(devs) == 0 {
		t.Skip("hdmi real device: none (no /dev/fb0, no /dev/dri/card*): not run; the fake-kernel tests cover the driver")
	}
	for _, dev := range devs {
		t.Run(dev[0]+"_"+filepath.Base(dev[1]), func(t *testing.T) {
			sys, err := newKernelSys()
			if err != nil {
				t.Fatal(err)
			}
			c := hdmiConfig{Width: 16, Height: 8, X: 8, Y: 4, Scale: 2, Backend: dev[0], Device: dev[1]}
			d, err := openHDMI(c, sys)
			if err != nil {
				if strings.Contains(err.Error(), "not DRM master") || strings.Contains(err.Error(), "no connected connector") {
					t.Skipf("hdmi real device: %s present but not usable: %v", dev[1], err)
				}
				t.Fatalf("hdmi real device: %s: %v", dev[1], err)
			}
			defer d.Close()
			frame := hdmiFrame(c.Width, c.Height)
			if err := d.Draw(frame); err != nil {
				t.Fatalf("hdmi real device: %s: %v", dev[1], err)
			}
			// Read back what is on screen through the driver's own mapping.
			var mem []byte
			switch o := d.out.(type) {
			case *fbdevOut:
				mem = o.mem[o.bufs[(o.back+o.n-1)%o.n]:]
			case *drmOut:
				mem = o.bufs[o.front].mem
			}
			checkScreen(t, mem, d.geo.stride, d.geo.width, d.geo.height, d.geo.format, c, frame, 100, -1)
			t.Logf("hdmi real device: ran on %s: %s", dev[1], d.State().Mode)
		})
	}
}

// TestHDMIKernelSysOnAPlainFile: the real system-call path (open, ioctl,
// close through golang.org/x/sys/unix) on a file that is no display: the
// kernel answers the first ioctl with ENOTTY, which the driver reports by
// name, and the file is closed again.
func TestHDMIKernelSysOnAPlainFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "not-a-display")
	if err := os.WriteFile(f, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	sys, err := newKernelSys()
	if err != nil {
		t.Fatal(err)
	}
	for backend, want := range map[string]string{
		"fbdev": "fbdev " + f + ": FBIOGET_VSCREENINFO: inappropriate ioctl for device",
		"drm":   "drm " + f + ": not DRM master",
	} {
		_, err := openHDMI(hdmiConfig{Width: 8, Height: 8, Scale: 1, Backend: backend, Device: f}, sys)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s on a plain file: %v, want %q", backend, err, want)
		}
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if target, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); target == f {
			t.Errorf("the file is still open (fd %s)", fd.Name())
		}
	}
}
