package driver

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestAlphaPacketByHand(t *testing.T) {
	got := AppendAlphaText(nil, "00", 'A', 'a', "HI")
	// STX 'A' 'A' ESC ' ' 'a' 'H' 'I' ETX = 2+65+65+27+32+97+72+73+3 = 436 = 0x01B4
	want := []byte("\x00\x00\x00\x00\x00\x01Z00\x02AA\x1b aHI\x0301B4\x04")
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if got := AppendAlphaText(nil, "01", 'A', 'b', "Phường\n3"); !bytes.Contains(got, []byte("bPhuong 3\x03")) {
		t.Fatalf("folding: %q", got)
	}
	if _, err := NewAlphaSign(nil, "0G"); err == nil || !strings.Contains(err.Error(), "two hex digits") {
		t.Fatalf("bad address: %v", err)
	}
}

// TestAlphaSignOverPty sends a message through a socat pty pair at the
// 9600 7E1 settings many signs use, and checks the exact bytes.
func TestAlphaSignOverPty(t *testing.T) {
	s := startSocat(t, t.TempDir())
	b := s.openB()
	port := OpenSerial(SerialConfig{Port: filepath.Join(s.dir, "A"), Baud: 9600, DataBits: 7, Parity: "even", StopBits: "1"})
	sign, err := NewAlphaSign(port, "00")
	if err != nil {
		t.Fatal(err)
	}
	defer sign.Close()
	if err := sign.ShowText("Cot 3: OK", "hold"); err != nil {
		t.Fatal(err)
	}
	want := AppendAlphaText(nil, "00", 'A', 'b', "Cot 3: OK")
	got := readN(t, b, len(want))
	// The pty is 7-bit like the sign's line: every byte here is ASCII.
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
	checkGolden(t, "alpha.golden", []byte(dumpBytes(got)))
	if err := sign.ShowText("x", "sparkle"); err == nil {
		t.Fatal("unknown mode accepted")
	}
}
