package driver

import (
	"reflect"
	"testing"
	"unsafe"
)

// TestVideoUAPILayout checks the ioctl structs against the kernel
// headers' layout: sizes and the offsets of the fields the driver reads
// or writes. The figures are what gcc reports for linux/fb.h and libdrm's
// copies of drm/drm.h and drm/drm_mode.h (libdrm-dev 2.4.114) on amd64:
//
//	printf("%zu %zu", sizeof(struct fb_fix_screeninfo), offsetof(struct fb_fix_screeninfo, line_length));
//
// On 32-bit boards (arm, 386) C's unsigned long is 4 bytes, so
// fb_fix_screeninfo shrinks (worked out from the header by the ILP32
// rules: 68 bytes, line_length at 44); the DRM structs are the same on
// every architecture. `GOARCH=386 go test -run UAPI` checks the 32-bit
// figures on an amd64 machine.
func TestVideoUAPILayout(t *testing.T) {
	is64 := unsafe.Sizeof(uintptr(0)) == 8
	fix := map[bool][3]uintptr{true: {80, 48, 72}, false: {68, 44, 60}}[is64] // size, line_length, capabilities
	sizes := []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"fb_var_screeninfo", unsafe.Sizeof(fbVarScreenInfo{}), 160},
		{"fb_fix_screeninfo", unsafe.Sizeof(fbFixScreenInfo{}), fix[0]},
		{"fb_bitfield", unsafe.Sizeof(fbBitfield{}), 12},
		{"drm_get_cap", unsafe.Sizeof(drmGetCap{}), 16},
		{"drm_mode_card_res", unsafe.Sizeof(drmModeCardRes{}), 64},
		{"drm_mode_get_connector", unsafe.Sizeof(drmModeGetConnector{}), 80},
		{"drm_mode_modeinfo", unsafe.Sizeof(drmModeModeInfo{}), 68},
		{"drm_mode_get_encoder", unsafe.Sizeof(drmModeGetEncoder{}), 20},
		{"drm_mode_crtc", unsafe.Sizeof(drmModeCrtc{}), 104},
		{"drm_mode_create_dumb", unsafe.Sizeof(drmModeCreateDumb{}), 32},
		{"drm_mode_map_dumb", unsafe.Sizeof(drmModeMapDumb{}), 16},
		{"drm_mode_destroy_dumb", unsafe.Sizeof(drmModeDestroyDumb{}), 4},
		{"drm_mode_fb_cmd", unsafe.Sizeof(drmModeFBCmd{}), 28},
		{"drm_mode_crtc_page_flip", unsafe.Sizeof(drmModeCrtcPageFlip{}), 24},
		{"drm_event", unsafe.Sizeof(drmEvent{}), 8},
		{"drm_event_vblank", unsafe.Sizeof(drmEventVBlank{}), 32},
		{"fb_var_screeninfo.bits_per_pixel", unsafe.Offsetof(fbVarScreenInfo{}.BitsPerPixel), 24},
		{"fb_var_screeninfo.red", unsafe.Offsetof(fbVarScreenInfo{}.Red), 32},
		{"fb_var_screeninfo.transp", unsafe.Offsetof(fbVarScreenInfo{}.Transp), 68},
		{"fb_var_screeninfo.activate", unsafe.Offsetof(fbVarScreenInfo{}.Activate), 84},
		{"fb_var_screeninfo.colorspace", unsafe.Offsetof(fbVarScreenInfo{}.Colorspace), 140},
		{"fb_fix_screeninfo.line_length", unsafe.Offsetof(fbFixScreenInfo{}.LineLength), fix[1]},
		{"fb_fix_screeninfo.capabilities", unsafe.Offsetof(fbFixScreenInfo{}.Capability), fix[2]},
		{"drm_mode_card_res.count_connectors", unsafe.Offsetof(drmModeCardRes{}.CountConnectors), 40},
		{"drm_mode_card_res.max_height", unsafe.Offsetof(drmModeCardRes{}.MaxHeight), 60},
		{"drm_mode_get_connector.count_modes", unsafe.Offsetof(drmModeGetConnector{}.CountModes), 32},
		{"drm_mode_get_connector.connection", unsafe.Offsetof(drmModeGetConnector{}.Connection), 60},
		{"drm_mode_get_connector.pad", unsafe.Offsetof(drmModeGetConnector{}.Pad), 76},
		{"drm_mode_modeinfo.vdisplay", unsafe.Offsetof(drmModeModeInfo{}.VDisplay), 14},
		{"drm_mode_modeinfo.vrefresh", unsafe.Offsetof(drmModeModeInfo{}.VRefresh), 24},
		{"drm_mode_modeinfo.name", unsafe.Offsetof(drmModeModeInfo{}.Name), 36},
		{"drm_mode_get_encoder.possible_crtcs", unsafe.Offsetof(drmModeGetEncoder{}.PossibleCrtcs), 12},
		{"drm_mode_crtc.fb_id", unsafe.Offsetof(drmModeCrtc{}.FBID), 16},
		{"drm_mode_crtc.mode", unsafe.Offsetof(drmModeCrtc{}.Mode), 36},
		{"drm_mode_create_dumb.pitch", unsafe.Offsetof(drmModeCreateDumb{}.Pitch), 20},
		{"drm_mode_create_dumb.size", unsafe.Offsetof(drmModeCreateDumb{}.Size), 24},
		{"drm_mode_map_dumb.offset", unsafe.Offsetof(drmModeMapDumb{}.Offset), 8},
		{"drm_mode_fb_cmd.handle", unsafe.Offsetof(drmModeFBCmd{}.Handle), 24},
		{"drm_mode_crtc_page_flip.user_data", unsafe.Offsetof(drmModeCrtcPageFlip{}.UserData), 16},
		{"drm_event_vblank.sequence", unsafe.Offsetof(drmEventVBlank{}.Sequence), 24},
	}
	for _, s := range sizes {
		if s.got != s.want {
			t.Errorf("%s: %d in Go, %d in the kernel header", s.name, s.got, s.want)
		}
	}
	// The DRM ioctl numbers carry the struct size (bits 16–29): a wrong
	// number would be refused by the kernel with ENOTTY.
	for req, v := range map[uint]any{
		drmIoctlGetCap: drmGetCap{}, drmIoctlModeGetRes: drmModeCardRes{}, drmIoctlModeGetCrtc: drmModeCrtc{},
		drmIoctlModeSetCrtc: drmModeCrtc{}, drmIoctlModeGetEncoder: drmModeGetEncoder{}, drmIoctlModeGetConn: drmModeGetConnector{},
		drmIoctlModeAddFB: drmModeFBCmd{}, drmIoctlModeRmFB: uint32(0), drmIoctlModePageFlip: drmModeCrtcPageFlip{},
		drmIoctlModeCreateDumb: drmModeCreateDumb{}, drmIoctlModeMapDumb: drmModeMapDumb{}, drmIoctlModeDestroyDumb: drmModeDestroyDumb{},
		fbioWaitForVSync: uint32(0),
	} {
		if size := uintptr(req>>16) & 0x3fff; size != reflect.TypeOf(v).Size() {
			t.Errorf("ioctl %#x encodes %d bytes, %T is %d", req, size, v, reflect.TypeOf(v).Size())
		}
	}
}
