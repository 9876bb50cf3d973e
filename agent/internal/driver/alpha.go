package driver

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// AlphaSign drives a text message sign that speaks the Alpha Sign
// Communications Protocol (Adaptive Micro Systems, document 9708-8061F):
// Alpha, BetaBrite and compatible moving-message signs. The sign renders
// text itself, so this is not a frame Driver: it writes TEXT files.
//
// Packet: 5 × NUL, SOH, type 'Z' (all signs), address (2 hex digits, "00"
// broadcast), STX, 'A' (write TEXT), file label, ESC, display position,
// mode code, text, ETX, checksum (4 hex digits: the 16-bit sum of the bytes
// from STX through ETX), EOT.
//
// Serial settings vary by model (9600 7E1 and 4800 8E2 are both reported):
// pass a SerialPort opened with the sign's settings, or any io.Writer.
type AlphaSign struct {
	mu      sync.Mutex
	w       io.Writer
	address string
	buf     []byte
}

// AlphaModes are the standard display mode codes by name.
var AlphaModes = map[string]byte{
	"rotate": 'a', "hold": 'b', "flash": 'c', "roll-up": 'e', "roll-down": 'f',
	"roll-left": 'g', "roll-right": 'h', "wipe-up": 'i', "wipe-down": 'j',
	"wipe-left": 'k', "wipe-right": 'l', "scroll": 'm', "automode": 'o',
}

// NewAlphaSign returns a sign at address (two hex digits; "00" is every
// sign on the line).
func NewAlphaSign(w io.Writer, address string) (*AlphaSign, error) {
	if len(address) != 2 || !isHex(address[0]) || !isHex(address[1]) {
		return nil, fmt.Errorf("alpha: address %q: use two hex digits, 00 for all signs", address)
	}
	return &AlphaSign{w: w, address: strings.ToUpper(address), buf: make([]byte, 0, 256)}, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// ShowText writes text into TEXT file A in the given mode, which the sign
// shows at once. Letters outside the sign's ASCII set lose their marks
// (Phường → Phuong); control characters become spaces.
func (a *AlphaSign) ShowText(text, mode string) error {
	code, ok := AlphaModes[mode]
	if !ok {
		return fmt.Errorf("alpha: mode %q: use rotate, hold, flash, scroll, …", mode)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf = AppendAlphaText(a.buf[:0], a.address, 'A', code, text)
	if _, err := a.w.Write(a.buf); err != nil {
		return fmt.Errorf("alpha: %w", err)
	}
	return nil
}

// Blank shows an empty message.
func (a *AlphaSign) Blank() error { return a.ShowText(" ", "hold") }

// Close closes the transport if it can be closed.
func (a *AlphaSign) Close() error {
	if c, ok := a.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// AppendAlphaText appends a Write TEXT packet to dst.
func AppendAlphaText(dst []byte, address string, label, mode byte, text string) []byte {
	dst = append(dst, 0, 0, 0, 0, 0, 0x01, 'Z')
	dst = append(dst, address...)
	stx := len(dst)
	dst = append(dst, 0x02, 'A', label, 0x1B, ' ', mode)
	dst = appendSignText(dst, text)
	dst = append(dst, 0x03)
	var sum uint16
	for _, c := range dst[stx:] {
		sum += uint16(c)
	}
	dst = fmt.Appendf(dst, "%04X", sum)
	return append(dst, 0x04)
}

func appendSignText(dst []byte, s string) []byte {
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			dst = append(dst, 'd')
		case r == 'Đ':
			dst = append(dst, 'D')
		case r < 0x20 || r == 0x7F:
			dst = append(dst, ' ')
		case r > 0x7E:
			dst = append(dst, '?')
		default:
			dst = append(dst, byte(r))
		}
	}
	return dst
}
