package assets

import (
	"archive/zip"
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets/frames"
)

// requireFFmpeg skips a test when ffmpeg is missing on a developer's
// machine, but fails it under CI=true: CI must run the real thing.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (scripts/install-deps.sh installs it): %v", tool, err)
			}
			t.Skipf("%s is not installed; CI runs this test", tool)
		}
	}
}

// ffmpegFile makes a file with ffmpeg's lavfi sources.
func ffmpegFile(t *testing.T, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-hide_banner", "-loglevel", "error"}, args...), "-y", out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	return out
}

// testsrc is a 2-second 320×240 25 fps H.264 MP4 of ffmpeg's test pattern.
func testsrc(t *testing.T) string {
	return ffmpegFile(t, "testsrc.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast")
}

func ingestFile(t *testing.T, s *Store, path string, lim Limits) (*Original, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return s.Ingest(context.Background(), f, IngestRequest{Filename: filepath.Base(path), Limits: lim})
}

func TestVideoIngestAndTranscode(t *testing.T) {
	requireFFmpeg(t)
	src := testsrc(t)
	s := newStore(t)
	o, err := ingestFile(t, s, src, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != KindVideo || o.Width != 320 || o.Height != 240 || o.Video.Codec != "h264" ||
		o.Duration != 2*time.Second || !strings.Contains(o.Format, "mp4") || o.Video.FrameRate != 25 {
		t.Fatalf("got %+v %+v", o, o.Video)
	}
	tests := []struct {
		g      Geometry
		fps    int
		frames int
	}{
		{Geometry{W: 64, H: 32, Fit: FitCover}, 30, 60},
		{Geometry{W: 128, H: 64, Fit: FitContain}, 10, 20},
		{Geometry{W: 192, H: 96, Fit: FitStretch}, 5, 10},
	}
	for _, tt := range tests {
		t.Run(tt.g.Key(), func(t *testing.T) {
			var pcts []int
			r, err := s.TranscodeVideo(context.Background(), o.Path, o.Video, tt.g, TranscodeOptions{
				FPS: tt.fps, Progress: func(p int) { pcts = append(pcts, p) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Frames != tt.frames || r.FPS != tt.fps || r.MIME != VideoMIME {
				t.Errorf("%d frames at %d fps, want %d at %d", r.Frames, r.FPS, tt.frames, tt.fps)
			}
			if len(pcts) == 0 || pcts[len(pcts)-1] != 100 {
				t.Errorf("progress %v does not end at 100", pcts)
			}
			for i := 1; i < len(pcts); i++ {
				if pcts[i] <= pcts[i-1] {
					t.Errorf("progress not rising: %v", pcts)
				}
			}
			fr, err := frames.Open(r.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer fr.Close()
			man := fr.Manifest()
			if man != (frames.Manifest{Format: frames.Format, Width: tt.g.W, Height: tt.g.H, FPS: tt.fps, Frames: tt.frames}) {
				t.Errorf("manifest %+v", man)
			}
			if man.Duration() != 2*time.Second {
				t.Errorf("duration %s", man.Duration())
			}
			for _, i := range []int{0, fr.Index(time.Second), tt.frames - 1} {
				data, err := fr.FramePNG(i)
				if err != nil {
					t.Fatal(err)
				}
				checkPanelPNG(t, data, tt.g.W, tt.g.H)
				if _, err := fr.Frame(i); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := fr.Frame(tt.frames); err == nil {
				t.Error("frame past the end read")
			}
			zr, err := zip.OpenReader(r.Path)
			if err != nil {
				t.Fatal(err)
			}
			if len(zr.File) != tt.frames+1 {
				t.Errorf("%d entries, want %d frames + manifest", len(zr.File), tt.frames)
			}
			zr.Close()
			if tt.g.W != 64 {
				return
			}
			// Deterministic: the same transcode gives the same hash.
			again, err := s.TranscodeVideo(context.Background(), o.Path, o.Video, tt.g, TranscodeOptions{FPS: tt.fps})
			if err != nil || again.SHA256 != r.SHA256 {
				t.Errorf("second transcode: %v, hash %s vs %s", err, again.SHA256, r.SHA256)
			}
		})
	}
	if files := storeFiles(t, s); len(files) != 1+len(tests) {
		t.Errorf("store holds %v", files)
	}
}

func TestVideoRefused(t *testing.T) {
	requireFFmpeg(t)
	src := testsrc(t)
	full, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "cut.mp4")
	os.WriteFile(truncated, full[:len(full)/3], 0o644)
	audio := ffmpegFile(t, "sine.mkv", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16le")
	tests := []struct {
		name   string
		path   string
		limits Limits
		code   string
		says   string
	}{
		{"no video stream", audio, Limits{}, CodeNoVideoStream, "no video stream"},
		{"too long", src, Limits{MaxVideoDuration: time.Second}, CodeVideoTooLong, "lasts 2s"},
		{"too big", src, Limits{MaxVideoPixels: 320 * 200}, CodeVideoTooBig, "320×240"},
		{"too many bytes", src, Limits{MaxVideoBytes: 1000}, CodeTooLarge, "1000 bytes"},
		{"truncated", truncated, Limits{}, CodeCorrupt, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			_, err := ingestFile(t, s, tt.path, tt.limits)
			e, ok := AsError(err)
			if !ok || e.Code != tt.code || !strings.Contains(e.Message, tt.says) {
				t.Errorf("got %v, want %s saying %q", err, tt.code, tt.says)
			}
			if files := storeFiles(t, s); len(files) != 0 {
				t.Errorf("left files behind: %v", files)
			}
		})
	}
}

// fakeTool writes a shell script that starts a long sleep as its child,
// records the child's pid, optionally prints a progress line on fd 3, and
// waits: a stand-in for an ffprobe or ffmpeg that hangs.
func fakeTool(t *testing.T, progress bool) (path, childPidFile string) {
	dir := t.TempDir()
	childPidFile = filepath.Join(dir, "child.pid")
	script := "#!/bin/sh\nsleep 600 &\necho $! > " + childPidFile + "\n"
	if progress {
		script += "echo out_time_us=500000 >&3\n"
	}
	script += "wait\n"
	path = filepath.Join(dir, "hang")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, childPidFile
}

// assertGone fails unless the process whose pid is in file has exited
// (or is a zombie waiting for its reaper).
func assertGone(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the fake tool did not start its child: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// SIGKILL is delivered at once; the state changes within moments. Poll
	// briefly rather than assume.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("child process %d of the fake tool is still running", pid)
}

func TestProbeTimeoutKillsProcessGroup(t *testing.T) {
	hang, child := fakeTool(t, false)
	s := newStore(t)
	// Only the sniffer reads this: an ISO BMFF "ftyp" box, then padding.
	mp4 := append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), make([]byte, 2000)...)
	start := time.Now()
	_, err := s.Ingest(context.Background(), bytes.NewReader(mp4), IngestRequest{
		Tools:  Tools{FFprobe: hang},
		Limits: Limits{ProbeTimeout: 300 * time.Millisecond},
	})
	if ErrorCode(err) != CodeProbeTimeout {
		t.Fatalf("got %v, want %s", err, CodeProbeTimeout)
	}
	if e, _ := AsError(err); e.HTTPStatus() != 422 {
		t.Errorf("status %d", e.HTTPStatus())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s to give up on a 300 ms timeout", d)
	}
	assertGone(t, child)
	if files := storeFiles(t, s); len(files) != 0 {
		t.Errorf("left files behind: %v", files)
	}
}

func TestTranscodeCancelKillsProcessGroup(t *testing.T) {
	hang, child := fakeTool(t, true)
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	in := filepath.Join(t.TempDir(), "in.mp4")
	os.WriteFile(in, []byte("not read by the fake"), 0o644)
	_, err := s.TranscodeVideo(ctx, in, &VideoInfo{Width: 320, Height: 240, Duration: 2 * time.Second},
		Geometry{W: 64, H: 32, Fit: FitCover}, TranscodeOptions{
			Tools:    Tools{FFmpeg: hang},
			Progress: func(p int) { once.Do(cancel) }, // the fake is running: cancel now
		})
	if err != context.Canceled {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	assertGone(t, child)
	if files := storeFiles(t, s); len(files) != 0 {
		t.Errorf("left files behind: %v", files)
	}
}

func TestTranscodeTimeout(t *testing.T) {
	hang, child := fakeTool(t, false)
	s := newStore(t)
	in := filepath.Join(t.TempDir(), "in.mp4")
	os.WriteFile(in, []byte("x"), 0o644)
	_, err := s.TranscodeVideo(context.Background(), in, &VideoInfo{Width: 320, Height: 240, Duration: time.Second},
		Geometry{W: 64, H: 32, Fit: FitCover}, TranscodeOptions{Tools: Tools{FFmpeg: hang}, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not finish within 300ms") {
		t.Fatalf("got %v", err)
	}
	assertGone(t, child)
	if files := storeFiles(t, s); len(files) != 0 {
		t.Errorf("left files behind: %v", files)
	}
}

// The poster frame of a video rendition is frame 0, a panel-size PNG.
func TestPosterFrame(t *testing.T) {
	requireFFmpeg(t)
	s := newStore(t)
	o, err := ingestFile(t, s, testsrc(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.TranscodeVideo(context.Background(), o.Path, o.Video, Geometry{W: 64, H: 32, Fit: FitContain}, TranscodeOptions{FPS: 5})
	if err != nil {
		t.Fatal(err)
	}
	data, err := PosterFrame(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	checkPanelPNG(t, data, 64, 32)
}

// TestProbeErrorHidesAddress: ffmpeg's messages name a decoder by its
// address in memory; what reaches the uploader does not.
func TestProbeErrorHidesAddress(t *testing.T) {
	got := firstLine("[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d5c3a0b2c0] moov atom not found\nsecond line")
	if got != "[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found" {
		t.Fatalf("%q", got)
	}
}

// A file that names other files (an HLS or ffconcat playlist) must not make
// ffprobe or ffmpeg read them: not a URL (the server must see no request),
// not another local file. ffmpeg reads the one file it is handed.
func TestFFmpegReadsOnlyTheFileItIsGiven(t *testing.T) {
	requireFFmpeg(t)
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		http.Error(w, "nothing here", http.StatusNotFound)
	}))
	defer srv.Close()
	dir := t.TempDir()
	other := ffmpegFile(t, "other.ts", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=1", "-c:v", "mpeg2video")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hls := func(seg string) string {
		return "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n" + seg + "\n#EXT-X-ENDLIST\n"
	}
	tests := []struct{ name, path string }{
		{"hls to http", write("http.m3u8", hls(srv.URL+"/seg.ts"))},
		{"hls to a local file", write("local.m3u8", hls(other))},
		{"concat of a local file", write("list.ffconcat", "ffconcat version 1.0\nfile '"+other+"'\n")},
		{"concat of a url", write("url.ffconcat", "ffconcat version 1.0\nfile '"+srv.URL+"/seg.ts'\n")},
	}
	s := newStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vi, err := ProbeVideo(context.Background(), tt.path, Tools{}, 10*time.Second)
			if err == nil {
				t.Errorf("ffprobe read the playlist as a %s video of %dx%d", vi.Format, vi.Width, vi.Height)
			}
			// Transcoding is handed a probe as if it had passed.
			_, err = s.TranscodeVideo(context.Background(), tt.path, &VideoInfo{Width: 64, Height: 48, Duration: time.Second},
				Geometry{W: 32, H: 16, Fit: FitCover}, TranscodeOptions{Timeout: 20 * time.Second})
			if err == nil {
				t.Error("ffmpeg transcoded the playlist")
			}
			// The upload path sniffs first: a playlist is refused as unknown.
			f, _ := os.Open(tt.path)
			defer f.Close()
			if _, err := s.Ingest(context.Background(), f, IngestRequest{}); ErrorCode(err) != CodeUnsupportedType {
				t.Errorf("upload of the playlist: got %v, want %s", err, CodeUnsupportedType)
			}
		})
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the http server was asked %d times", n)
	}
	// Each supported container still passes both whitelists.
	for _, c := range []struct{ name, codec string }{
		{"v.mp4", "mpeg4"}, {"v.mov", "mpeg4"}, {"v.mkv", "mpeg4"}, {"v.webm", "libvpx"},
		{"v.avi", "mpeg4"}, {"v.ts", "mpeg2video"}, {"v.mpg", "mpeg2video"}, {"v.ogv", "libtheora"},
	} {
		p := ffmpegFile(t, c.name, "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=1", "-c:v", c.codec)
		vi, err := ProbeVideo(context.Background(), p, Tools{}, 10*time.Second)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if _, err := s.TranscodeVideo(context.Background(), p, vi, Geometry{W: 32, H: 16, Fit: FitCover}, TranscodeOptions{}); err != nil {
			t.Errorf("%s: transcode: %v", c.name, err)
		}
	}
}
