package driver

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pano-signage/pano/agent/internal/mapping"
)

// TPM2 over a serial line (PROTOCOLS.md; hyperion.ng LedDeviceTpm2):
// C9 DA size-hi size-lo payload 36, one frame per packet.
const tpm2MaxPixels = 65535 / 3

// NewTPM2 returns a TPM2 driver writing one packet per frame to w.
func NewTPM2(w io.Writer, panel mapping.Config) (*Pixels, error) {
	n := panel.Width * panel.Height
	if n > tpm2MaxPixels {
		return nil, fmt.Errorf("tpm2: %d pixels: a TPM2 packet carries at most %d", n, tpm2MaxPixels)
	}
	frame := make([]byte, 4+3*n+1)
	frame[0], frame[1] = 0xC9, 0xDA
	binary.BigEndian.PutUint16(frame[2:], uint16(3*n))
	frame[len(frame)-1] = 0x36
	return newPixelDriver("tpm2", panel, &serialFramer{w: w, frame: frame, px: frame[4 : 4+3*n]})
}

func tpm2Settings(s Settings) (mapping.Config, SerialConfig, error) {
	r := newReader(s)
	panel := r.panel()
	n := panel.Width * panel.Height
	if r.err == nil && n > tpm2MaxPixels {
		r.fail("width", "a %dx%d panel is %d pixels: a TPM2 packet carries at most %d", panel.Width, panel.Height, n, tpm2MaxPixels)
	}
	sc := r.serial(4 + 3*n + 1)
	return panel, sc, r.done("tpm2")
}

// NewAdalight returns an Adalight driver: 'A' 'd' 'a', count−1 (hi, lo),
// checksum hi^lo^0x55, then the LEDs (adafruit/Adalight LEDstream.pde).
func NewAdalight(w io.Writer, panel mapping.Config) (*Pixels, error) {
	n := panel.Width * panel.Height
	if n > adalightMaxPixels {
		return nil, fmt.Errorf("adalight: %d pixels: Adalight addresses at most %d", n, adalightMaxPixels)
	}
	frame := make([]byte, 6+3*n)
	hi, lo := byte((n-1)>>8), byte(n-1)
	copy(frame, []byte{'A', 'd', 'a', hi, lo, hi ^ lo ^ 0x55})
	return newPixelDriver("adalight", panel, &serialFramer{w: w, frame: frame, px: frame[6:]})
}

const adalightMaxPixels = 65536

func adalightSettings(s Settings) (mapping.Config, SerialConfig, error) {
	r := newReader(s)
	panel := r.panel()
	n := panel.Width * panel.Height
	if r.err == nil && n > adalightMaxPixels {
		r.fail("width", "a %dx%d panel is %d pixels: Adalight addresses at most %d", panel.Width, panel.Height, n, adalightMaxPixels)
	}
	sc := r.serial(6 + 3*n)
	return panel, sc, r.done("adalight")
}

func init() {
	for _, k := range []struct {
		name     string
		settings func(Settings) (mapping.Config, SerialConfig, error)
		open     func(io.Writer, mapping.Config) (*Pixels, error)
	}{
		{"tpm2", tpm2Settings, NewTPM2},
		{"adalight", adalightSettings, NewAdalight},
	} {
		Register(k.name, Kind{
			Check: func(s Settings) error { _, _, err := k.settings(s); return err },
			Open: func(s Settings) (Driver, error) {
				panel, sc, err := k.settings(s)
				if err != nil {
					return nil, err
				}
				d, err := k.open(OpenSerial(sc), panel)
				if err != nil {
					return nil, err
				}
				d.f.(*serialFramer).paceTo(sc)
				return d, nil
			},
		})
	}
}
