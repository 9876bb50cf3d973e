package driver

// Kernel UAPI for the video output driver (hdmi.go), written from the
// headers rather than with cgo: linux/fb.h (linux-libc-dev) and
// drm/drm.h, drm/drm_mode.h (the kernel's include/uapi/drm, shipped as
// /usr/include/libdrm/ by libdrm-dev). Field names follow the headers.
// video_uapi_test.go checks every size and the offsets that matter
// against what gcc reports for those headers.
//
// C "unsigned long" is uintptr here (4 bytes on arm/386, 8 on arm64/amd64),
// which is why fb_fix_screeninfo is 68 bytes on 32-bit boards and 80 on
// 64-bit ones. The DRM structs use fixed-width types with explicit padding
// so that they are the same on every architecture; the DRM ioctl numbers
// encode their size, so a wrong size is refused by the kernel (ENOTTY).

// linux/fb.h
const (
	fbioGetVScreenInfo = 0x4600
	fbioGetFScreenInfo = 0x4602
	fbioPanDisplay     = 0x4606
	fbioWaitForVSync   = 0x40044620 // _IOW('F', 0x20, __u32)

	fbTypePackedPixels = 0
	fbVisualTrueColor  = 2
)

type fbBitfield struct {
	Offset   uint32 // beginning of the bitfield, from the right
	Length   uint32
	MSBRight uint32 // != 0: most significant bit is right
}

type fbVarScreenInfo struct {
	XRes, YRes               uint32 // visible resolution
	XResVirtual, YResVirtual uint32
	XOffset, YOffset         uint32 // visible part within the virtual one
	BitsPerPixel             uint32
	Grayscale                uint32
	Red, Green, Blue, Transp fbBitfield
	Nonstd                   uint32
	Activate                 uint32
	Height, Width            uint32 // mm
	AccelFlags               uint32
	PixClock                 uint32
	LeftMargin, RightMargin  uint32
	UpperMargin, LowerMargin uint32
	HSyncLen, VSyncLen       uint32
	Sync, VMode              uint32
	Rotate                   uint32
	Colorspace               uint32
	Reserved                 [4]uint32
}

type fbFixScreenInfo struct {
	ID         [16]byte
	SMemStart  uintptr // unsigned long
	SMemLen    uint32
	Type       uint32
	TypeAux    uint32
	Visual     uint32
	XPanStep   uint16
	YPanStep   uint16
	YWrapStep  uint16
	LineLength uint32  // bytes per line: the stride
	MMIOStart  uintptr // unsigned long
	MMIOLen    uint32
	Accel      uint32
	Capability uint16
	Reserved   [2]uint16
}

// drm/drm.h and drm/drm_mode.h
const (
	drmIoctlSetMaster       = 0x641e     // _IO('d', 0x1e)
	drmIoctlDropMaster      = 0x641f     // _IO('d', 0x1f)
	drmIoctlGetCap          = 0xc010640c // _IOWR('d', 0x0c, struct drm_get_cap)
	drmIoctlModeGetRes      = 0xc04064a0 // _IOWR('d', 0xA0, struct drm_mode_card_res)
	drmIoctlModeGetCrtc     = 0xc06864a1 // _IOWR('d', 0xA1, struct drm_mode_crtc)
	drmIoctlModeSetCrtc     = 0xc06864a2 // _IOWR('d', 0xA2, struct drm_mode_crtc)
	drmIoctlModeGetEncoder  = 0xc01464a6 // _IOWR('d', 0xA6, struct drm_mode_get_encoder)
	drmIoctlModeGetConn     = 0xc05064a7 // _IOWR('d', 0xA7, struct drm_mode_get_connector)
	drmIoctlModeAddFB       = 0xc01c64ae // _IOWR('d', 0xAE, struct drm_mode_fb_cmd)
	drmIoctlModeRmFB        = 0xc00464af // _IOWR('d', 0xAF, unsigned int)
	drmIoctlModePageFlip    = 0xc01864b0 // _IOWR('d', 0xB0, struct drm_mode_crtc_page_flip)
	drmIoctlModeCreateDumb  = 0xc02064b2 // _IOWR('d', 0xB2, struct drm_mode_create_dumb)
	drmIoctlModeMapDumb     = 0xc01064b3 // _IOWR('d', 0xB3, struct drm_mode_map_dumb)
	drmIoctlModeDestroyDumb = 0xc00464b4 // _IOWR('d', 0xB4, struct drm_mode_destroy_dumb)

	drmCapDumbBuffer     = 0x1
	drmModeConnected     = 1      // enum drm_connector_status
	drmModeTypePreferred = 1 << 3 // DRM_MODE_TYPE_PREFERRED
	drmModePageFlipEvent = 0x01
	drmEventFlipComplete = 0x02
	drmDisplayModeLen    = 32
)

type drmGetCap struct {
	Capability uint64
	Value      uint64
}

type drmModeCardRes struct {
	FBIDPtr, CrtcIDPtr, ConnectorIDPtr, EncoderIDPtr     uint64
	CountFBs, CountCrtcs, CountConnectors, CountEncoders uint32
	MinWidth, MaxWidth, MinHeight, MaxHeight             uint32
}

type drmModeModeInfo struct {
	Clock                                         uint32
	HDisplay, HSyncStart, HSyncEnd, HTotal, HSkew uint16
	VDisplay, VSyncStart, VSyncEnd, VTotal, VScan uint16
	VRefresh                                      uint32
	Flags                                         uint32
	Type                                          uint32
	Name                                          [drmDisplayModeLen]byte
}

type drmModeGetConnector struct {
	EncodersPtr, ModesPtr, PropsPtr, PropValuesPtr uint64
	CountModes, CountProps, CountEncoders          uint32
	EncoderID                                      uint32 // current encoder
	ConnectorID                                    uint32
	ConnectorType                                  uint32
	ConnectorTypeID                                uint32
	Connection                                     uint32
	MMWidth, MMHeight                              uint32
	Subpixel                                       uint32
	Pad                                            uint32
}

type drmModeGetEncoder struct {
	EncoderID      uint32
	EncoderType    uint32
	CrtcID         uint32
	PossibleCrtcs  uint32 // bit i: resources' CRTC i
	PossibleClones uint32
}

type drmModeCrtc struct {
	SetConnectorsPtr uint64
	CountConnectors  uint32
	CrtcID           uint32
	FBID             uint32
	X, Y             uint32
	GammaSize        uint32
	ModeValid        uint32
	Mode             drmModeModeInfo
}

type drmModeCreateDumb struct {
	Height, Width, BPP, Flags uint32
	Handle, Pitch             uint32 // returned
	Size                      uint64 // returned
}

type drmModeMapDumb struct {
	Handle uint32
	Pad    uint32
	Offset uint64 // returned: the fake offset to mmap
}

type drmModeDestroyDumb struct {
	Handle uint32
}

type drmModeFBCmd struct {
	FBID                             uint32
	Width, Height, Pitch, BPP, Depth uint32
	Handle                           uint32
}

type drmModeCrtcPageFlip struct {
	CrtcID   uint32
	FBID     uint32
	Flags    uint32
	Reserved uint32
	UserData uint64
}

type drmEvent struct {
	Type   uint32
	Length uint32
}

type drmEventVBlank struct {
	Base     drmEvent
	UserData uint64
	TvSec    uint32
	TvUsec   uint32
	Sequence uint32
	CrtcID   uint32
}
