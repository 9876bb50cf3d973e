package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	profiles "github.com/pano-signage/pano/firmware-profiles"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestProfilesListsBundled(t *testing.T) {
	code, out, errOut := runCmd(t, "profiles")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	for _, n := range []string{"virtual", "ddp-wled", "e131", "artnet", "tpm2-serial", "tpm2net", "adalight", "colorlight-5a75", "flaschen-taschen",
		"hdmi", "hdmi-novastar-mctrl300", "hdmi-novastar-mctrl660", "hdmi-colorlight-s2", "hdmi-linsn"} {
		if !strings.Contains(out, n+" ") {
			t.Errorf("profiles does not list %s:\n%s", n, out)
		}
	}
}

// Every bundled profile must pass the same check the agent runs at start.
func TestEveryBundledProfileChecks(t *testing.T) {
	for _, n := range profiles.Names() {
		if code, _, errOut := runCmd(t, "profile", "check", n); code != 0 {
			t.Errorf("%s: %s", n, errOut)
		}
		data, _ := os.ReadFile(filepath.Join("..", "firmware-profiles", n+".yaml"))
		if !bytes.HasPrefix(data, []byte("# ")) || !bytes.Contains(data, []byte("Verified")) {
			t.Errorf("%s.yaml must open with a comment saying what hardware it is for and what was verified", n)
		}
	}
}

func TestProfileCheckNamesFileLineAndKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	head := "name: x\ndriver: DRIVER\nsettings:\n"
	for _, tc := range []struct {
		name, body string
		sets       []string
		want       string
	}{
		{"unknown key", head + "  host: 10.0.0.7\n  width: 4\n  height: 2\n  widht: 4\n", nil, `x.yaml:7: ddp: setting "widht" is not a setting of this driver`},
		{"wrong type", head + "  host: 10.0.0.7\n  width: four\n  height: 2\n", nil, `x.yaml:5: ddp: setting "width" must be a whole number`},
		{"bad enum", head + "  host: 10.0.0.7\n  width: 4\n  height: 2\n  colour_order: RGBW\n", nil, `x.yaml:7: ddp: setting "colour_order": "RGBW"`},
		{"too many universes", strings.Replace(head, "DRIVER", "e131", 1) + "  host: 10.0.0.7\n  universe: 63990\n  width: 384\n  height: 192\n", nil, `x.yaml:5: e131: setting "universe": the panel needs 434 universes`},
		{"adalight too slow", strings.Replace(head, "DRIVER", "adalight", 1) + "  port: /dev/ttyUSB0\n  baud: 115200\n  width: 64\n  height: 32\n", []string{"width=256", "height=128"}, `x.yaml:5: adalight: setting "baud": a frame is 98310 bytes: 8.53 s per frame`},
		{"bad override", head + "  host: 10.0.0.7\n  width: 4\n  height: 2\n", []string{"width=-1"}, `--set width=-1: ddp: setting "width"`},
		{"unknown top-level key", head + "  host: h\n  width: 4\n  height: 2\ncolour: red\n", nil, "line 7: field colour not found"},
		{"unknown driver", strings.Replace(head, "DRIVER", "nova", 1) + "  width: 4\n", nil, `x.yaml:2: driver: unknown driver "nova"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := write("x.yaml", strings.Replace(tc.body, "DRIVER", "ddp", 1))
			args := []string{"profile", "check", f}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			code, _, errOut := runCmd(t, args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("code %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
	ok := write("ok.yaml", strings.Replace(head, "DRIVER", "ddp", 1)+"  host: 10.0.0.7\n  width: 4\n  height: 2\n")
	if code, out, errOut := runCmd(t, "profile", "check", ok); code != 0 || !strings.Contains(out, "ok.yaml: ok (profile x, driver ddp)") {
		t.Fatalf("valid file: code %d, %q %q", code, out, errOut)
	}
}

// TestTestPatternWalkOverDDP drives a DDP receiver on loopback with the
// walk pattern and checks that frame n lights LED n and only it.
func TestTestPatternWalkOverDDP(t *testing.T) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	port := sink.LocalAddr().(*net.UDPAddr).Port
	code, out, errOut := runCmd(t, "test-pattern", "--profile", "ddp-wled", "--set", "host=127.0.0.1", "--set", "port="+strconv.Itoa(port),
		"--set", "width=4", "--set", "height=2", "--set", "serpentine=none", "--pattern", "walk", "--frames", "8", "--fps", "1000")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	if !strings.Contains(out, "8 frames sent, 0 failed") {
		t.Fatalf("summary: %q", out)
	}
	buf := make([]byte, 2000)
	sink.SetReadDeadline(time.Now().Add(5 * time.Second))
	for n := 0; n < 8; n++ {
		k, err := sink.Read(buf)
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		px := buf[10:k]
		for led := 0; led < 8; led++ {
			lit := px[3*led] == 255 && px[3*led+1] == 255 && px[3*led+2] == 255
			if lit != (led == n) {
				t.Fatalf("frame %d: LED %d lit=%v: % x", n, led, lit, px)
			}
		}
	}
}

func TestTestPatternBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"test-pattern", "--pattern", "stripes"}, `--pattern "stripes": use one of`},
		{[]string{"test-pattern", "--fps", "0"}, "--fps 0"},
		{[]string{"test-pattern", "--profile", "ddp-wled", "--set", "host=", "--frames", "1"}, `--set host=: ddp: setting "host" is empty`},
		{[]string{"test-pattern", "--profile", "ddp-wled", "--set", "port=70000", "--frames", "1"}, `--set port=70000: ddp: setting "port": 70000 is out of range`},
		{[]string{"test-pattern", "--brightness", "150", "--frames", "1"}, "--brightness: virtual: brightness 150"},
	} {
		code, _, errOut := runCmd(t, tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	// An absent serial device is reported once, and the command fails
	// because no frame got out.
	code, _, errOut := runCmd(t, "test-pattern", "--profile", "adalight", "--set", "port=/dev/pano-none", "--frames", "3", "--fps", "1000")
	if code != 1 || strings.Count(errOut, "output down") != 1 || !strings.Contains(errOut, "no frame reached the panel") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

// TestFPSBeyondTheLinkIsRefused: a frame rate the declared link cannot
// carry is refused by test-pattern and profile check, naming the maximum
// for that panel, protocol and link; a faster link_mbit allows it.
func TestFPSBeyondTheLinkIsRefused(t *testing.T) {
	panel := []string{"--set", "host=127.0.0.1", "--set", "width=128", "--set", "height=64"}
	args := append([]string{"test-pattern", "--profile", "e131", "--frames", "1", "--fps", "400"}, panel...)
	code, _, errOut := runCmd(t, args...)
	if code != 2 || !strings.Contains(errOut, "--fps 400") || !strings.Contains(errOut, "a 100 Mbit link carries at most 367 fps") {
		t.Fatalf("test-pattern: code %d, stderr %q", code, errOut)
	}
	args = append([]string{"profile", "check", "ddp-wled", "--fps", "500"}, panel...)
	code, _, errOut = runCmd(t, args...)
	if code != 2 || !strings.Contains(errOut, "at most 481 fps") {
		t.Fatalf("profile check: code %d, stderr %q", code, errOut)
	}
	args = append(args, "--set", "link_mbit=1000")
	if code, out, errOut := runCmd(t, args...); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("profile check at 1000 Mbit: code %d, %q %q", code, out, errOut)
	}
}
