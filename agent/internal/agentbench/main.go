// Command agentbench measures the agent's footprint for `make bench`:
//
//	agent_rss_idle_mb     resident memory of an enrolled agent with no plan
//	agent_rss_playing_mb  resident memory while it plays a 128×64 video rotation
//	first_frame_ms        from process start to the first video frame on the
//	                      wire, from a warm cache, with no controller reachable
//
// It builds pano-agent, writes an enrolled state directory whose plan and
// cache hold a 10 s, 25 fps video rendition, points the agent's DDP output
// at a UDP socket of its own (so "on the wire" is measured outside the
// agent), and leaves the controller address unreachable (offline first).
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pano-signage/pano/assets/frames"
	"github.com/pano-signage/pano/protocol"
)

const (
	w, h   = 128, 64
	fps    = 25
	nFrame = 250 // 10 s
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "agentbench:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "agentbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "pano-agent")
	build := exec.Command("go", "build", "-o", bin, "./agent")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer rx.Close()
	port := rx.LocalAddr().(*net.UDPAddr).Port

	// Idle: enrolled, no plan, controller unreachable.
	idleState := filepath.Join(dir, "idle")
	if err := writeState(idleState, port, false); err != nil {
		return err
	}
	idle, err := startAgent(bin, idleState)
	if err != nil {
		return err
	}
	time.Sleep(3 * time.Second) // let it settle: this is a measurement, not a test
	idleRSS := rss(idle.Process.Pid)
	idle.Process.Kill()
	idle.Wait()
	drain(rx)

	// Playing: the video rotation from a warm cache.
	playState := filepath.Join(dir, "play")
	if err := writeState(playState, port, true); err != nil {
		return err
	}
	started := time.Now()
	play, err := startAgent(bin, playState)
	if err != nil {
		return err
	}
	defer func() { play.Process.Kill(); play.Wait() }()
	first, err := firstVideoFrame(rx, 10*time.Second)
	if err != nil {
		return err
	}
	firstMS := first.Sub(started).Milliseconds()
	time.Sleep(5 * time.Second)
	playRSS := rss(play.Process.Pid)
	fmt.Printf("agent_rss_idle_mb=%.1f agent_rss_playing_mb=%.1f first_frame_ms=%d (128x64 video, 25 fps, warm cache, controller unreachable; aim: idle ≤ 25, playing ≤ 40, first frame ≤ 1000)\n",
		float64(idleRSS)/(1<<20), float64(playRSS)/(1<<20), firstMS)
	return nil
}

func startAgent(bin, state string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, "run", "--state", state, "--log-level", "error")
	cmd.Stderr = os.Stderr
	return cmd, cmd.Start()
}

// writeState writes an enrolled agent's state; with a plan, the plan and
// its video rendition in the cache.
func writeState(state string, port int, withPlan bool) error {
	if err := os.MkdirAll(state, 0o700); err != nil {
		return err
	}
	cfg := map[string]any{
		"controller": "ws://127.0.0.1:1", "display_id": 1, "name": "bench", "profile": "ddp-wled",
		"settings": []string{"host=127.0.0.1", "port=" + strconv.Itoa(port), fmt.Sprintf("width=%d", w), fmt.Sprintf("height=%d", h)},
		"fps":      fps,
	}
	if err := writeJSON(filepath.Join(state, "agent.json"), cfg); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(state, "credential"), []byte("pano_dev_bench\n"), 0o600); err != nil {
		return err
	}
	if !withPlan {
		return nil
	}
	zipData, err := video()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(zipData)
	sha := hex.EncodeToString(sum[:])
	cached := filepath.Join(state, "cache", sha[:2], sha)
	if err := os.MkdirAll(filepath.Dir(cached), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(cached, zipData, 0o600); err != nil {
		return err
	}
	plan := protocol.Plan{
		Schema: protocol.PlanSchema, Revision: 1, DisplayID: 1, TimeZone: "Asia/Ho_Chi_Minh",
		Panel: protocol.Panel{Width: w, Height: h}, Fallback: protocol.FallbackBlack,
		Assets:    []protocol.Asset{{SHA256: sha, Kind: protocol.AssetVideo, Bytes: int64(len(zipData)), FPS: fps}},
		Playlists: []protocol.Playlist{{ID: 1, Items: []protocol.Item{{ID: 1, Media: 1, Asset: sha, DurationMS: nFrame * 1000 / fps}}}},
		Entries:   []protocol.Entry{{ID: 1, Playlist: 1}},
	}
	return writeJSON(filepath.Join(state, "plan.json"), plan)
}

// video makes a frames archive whose frames are never black (a moving bar
// on a grey field), so the first video frame is told from the black start.
func video() ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mw, _ := zw.Create(frames.ManifestName)
	json.NewEncoder(mw).Encode(frames.Manifest{Format: frames.Format, Width: w, Height: h, FPS: fps, Frames: nFrame})
	for i := 0; i < nFrame; i++ {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.RGBA{60, 60, 60, 255}
				if x == i%w {
					c = color.RGBA{255, 200, 0, 255}
				}
				img.SetRGBA(x, y, c)
			}
		}
		fw, err := zw.Create(frames.FrameName(i))
		if err != nil {
			return nil, err
		}
		if err := png.Encode(fw, img); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// firstVideoFrame returns when the first DDP packet with a non-black pixel
// arrives.
func firstVideoFrame(rx *net.UDPConn, within time.Duration) (time.Time, error) {
	buf := make([]byte, 2048)
	rx.SetReadDeadline(time.Now().Add(within))
	for {
		n, err := rx.Read(buf)
		if err != nil {
			return time.Time{}, fmt.Errorf("no video frame within %v: %w", within, err)
		}
		if n > 10 && bytes.ContainsFunc(buf[10:n], func(r rune) bool { return r != 0 }) {
			return time.Now(), nil
		}
	}
}

func drain(rx *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		rx.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := rx.Read(buf); err != nil {
			return
		}
	}
}

// rss is a process's resident memory in bytes.
func rss(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
