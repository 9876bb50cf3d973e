package assets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pano-signage/pano/assets/frames"
)

// Tools names the ffmpeg and ffprobe binaries; empty means "ffmpeg" and
// "ffprobe" on PATH. Tests point them at fakes.
type Tools struct {
	FFmpeg  string
	FFprobe string
}

func (t Tools) ffmpeg() string {
	if t.FFmpeg != "" {
		return t.FFmpeg
	}
	return "ffmpeg"
}

func (t Tools) ffprobe() string {
	if t.FFprobe != "" {
		return t.FFprobe
	}
	return "ffprobe"
}

// inputConfinement are the input options of every ffprobe and ffmpeg run on
// an upload: ffmpeg reads the one file it is given and nothing else. The
// protocol whitelist refuses http://, tcp://, data: and the like however a
// file names them; the format whitelist refuses demuxers that open other
// files by name (HLS and concat playlists, image sequences), which
// "file" alone would let through. It lists the demuxers of the containers
// sniff accepts (see fmtMP4 … fmtOgg). Outputs (pipe:1, -progress pipe:3)
// are opened by ffmpeg itself and are not subject to these options.
var inputConfinement = []string{
	"-protocol_whitelist", "file",
	"-format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,ogg",
}

// VideoInfo is what ffprobe says about a video file.
type VideoInfo struct {
	Format    string        // ffprobe format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Codec     string        // of the first video stream, e.g. "h264"
	Width     int           // coded frame size of the first video stream
	Height    int           //
	Duration  time.Duration // of the container (or the stream when the container has none)
	FrameRate float64       // average, frames per second; 0 when unknown
	HasAudio  bool          // audio is dropped: panels are silent
}

type probeJSON struct {
	Streams []struct {
		CodecType    string `json:"codec_type"`
		CodecName    string `json:"codec_name"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		AvgFrameRate string `json:"avg_frame_rate"`
		Duration     string `json:"duration"`
		Disposition  struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// ProbeVideo runs ffprobe on path (JSON output) with a timeout. A file
// ffprobe cannot read is CodeCorrupt, one with no video stream is
// CodeNoVideoStream, an ffprobe that does not answer in time is killed (its
// whole process group) and reported as CodeProbeTimeout.
func ProbeVideo(ctx context.Context, path string, tools Tools, timeout time.Duration) (*VideoInfo, error) {
	if timeout <= 0 {
		timeout = DefaultLimits().ProbeTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := append([]string{"-v", "error"}, inputConfinement...)
	args = append(args, "-print_format", "json", "-show_format", "-show_streams", "--", path)
	cmd := exec.CommandContext(tctx, tools.ffprobe(), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &limitedBuffer{max: 4096, buf: &stderr}
	ownProcessGroup(cmd)
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if tctx.Err() != nil {
		return nil, errorf(CodeProbeTimeout, tctx.Err(), "ffprobe did not finish reading the video within %s", timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil, errorf(CodeCorrupt, err, "the video cannot be read: %s", firstLine(stderr.String()))
	}
	if err != nil {
		return nil, fmt.Errorf("assets: ffprobe: %w", err)
	}
	var pj probeJSON
	if err := json.Unmarshal(stdout.Bytes(), &pj); err != nil {
		return nil, fmt.Errorf("assets: ffprobe output: %w", err)
	}
	vi := &VideoInfo{Format: pj.Format.FormatName}
	found := false
	for _, s := range pj.Streams {
		switch {
		case s.CodecType == "audio":
			vi.HasAudio = true
		case s.CodecType == "video" && s.Disposition.AttachedPic == 0 && !found:
			found = true
			vi.Codec, vi.Width, vi.Height = s.CodecName, s.Width, s.Height
			vi.FrameRate = parseRate(s.AvgFrameRate)
			vi.Duration = parseSeconds(s.Duration)
		}
	}
	if !found {
		return nil, errorf(CodeNoVideoStream, nil, "the file (%s) has no video stream", vi.Format)
	}
	if d := parseSeconds(pj.Format.Duration); d > 0 {
		vi.Duration = d
	}
	return vi, nil
}

func (vi *VideoInfo) check(lim Limits) error {
	if vi.Width <= 0 || vi.Height <= 0 {
		return errorf(CodeCorrupt, nil, "the video stream has no frame size")
	}
	if px := int64(vi.Width) * int64(vi.Height); px > lim.MaxVideoPixels {
		return errorf(CodeVideoTooBig, nil, "the video frames are %d×%d; the limit is %.1f megapixels",
			vi.Width, vi.Height, float64(lim.MaxVideoPixels)/1e6)
	}
	if vi.Duration <= 0 {
		return errorf(CodeCorrupt, nil, "the video has no duration")
	}
	if vi.Duration > lim.MaxVideoDuration {
		return errorf(CodeVideoTooLong, nil, "the video lasts %s; the limit is %s",
			vi.Duration.Round(time.Second), lim.MaxVideoDuration)
	}
	return nil
}

// VideoMIME is the media type of a video rendition: a ZIP of PNG frames
// (package frames reads it).
const VideoMIME = frames.MIME

// TranscodeOptions tune TranscodeVideo.
type TranscodeOptions struct {
	FPS     int           // panel frame rate, 1…60; default 25
	Tools   Tools         // ffmpeg binary
	Timeout time.Duration // default 2 min + 10 × the video's duration
	// Progress, if set, is called with the percent done (0–99, rising,
	// whole numbers) as ffmpeg reports it, and with 100 once the rendition
	// is stored. Calls come one at a time, from a goroutine of
	// TranscodeVideo; it must not block for long.
	Progress func(pct int)
}

// TranscodeVideo renders the video at in (an accepted Original, vi its
// probe) for geometry g as a ZIP of PNG frames at opt.FPS (see doc.go for
// why), stores it and returns it. ffmpeg runs in its own process group and
// is killed with it on cancel or timeout; nothing is left behind on error.
func (s *Store) TranscodeVideo(ctx context.Context, in string, vi *VideoInfo, g Geometry, opt TranscodeOptions) (*Rendition, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	fps := opt.FPS
	if fps == 0 {
		fps = 25
	}
	if fps < 1 || fps > 60 {
		return nil, errorf(CodeBadGeometry, nil, "frame rate %d is outside 1…60", fps)
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = 2*time.Minute + 10*vi.Duration
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	tmp, err := s.createTemp()
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	bg := fmt.Sprintf("0x%02x%02x%02x", g.Background.R, g.Background.G, g.Background.B)
	var vf string
	switch g.Fit {
	case FitCover:
		vf = fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=increase:flags=lanczos,crop=%d:%d", g.W, g.H, g.W, g.H)
	case FitStretch:
		vf = fmt.Sprintf("scale=%d:%d:flags=lanczos", g.W, g.H)
	default:
		vf = fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease:flags=lanczos,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=%s",
			g.W, g.H, g.W, g.H, bg)
	}
	vf = fmt.Sprintf("fps=%d,%s,setsar=1", fps, vf)

	pr, pw, err := os.Pipe() // -progress pipe:3
	if err != nil {
		return nil, fmt.Errorf("assets: transcode: %w", err)
	}
	defer pr.Close()
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error"}, inputConfinement...)
	args = append(args, "-i", in, "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", vf,
		"-f", "rawvideo", "-pix_fmt", "rgb24", "-progress", "pipe:3", "pipe:1")
	cmd := exec.CommandContext(tctx, opt.Tools.ffmpeg(), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{max: 4096, buf: &stderr}
	cmd.ExtraFiles = []*os.File{pw}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		pw.Close()
		return nil, fmt.Errorf("assets: transcode: %w", err)
	}
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("assets: transcode: start ffmpeg: %w", err)
	}
	pw.Close()

	nframes, last := 0, -1
	report := func(p int) {
		if opt.Progress != nil && p > last {
			last = p
			opt.Progress(p)
		}
	}
	progressDone := make(chan struct{})
	go func() { // parse ffmpeg's progress; the final 100 comes after this ends
		defer close(progressDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), "=")
			if k != "out_time_us" || vi.Duration <= 0 {
				continue
			}
			us, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue
			}
			report(int(math.Min(99, float64(us)/float64(vi.Duration.Microseconds())*100)))
		}
	}()

	h := sha256.New()
	zw := zip.NewWriter(io.MultiWriter(tmp, h))
	frameLen := g.W * g.H * 3
	raw := make([]byte, frameLen)
	img := image.NewNRGBA(image.Rect(0, 0, g.W, g.H))
	var werr error
	var buf bytes.Buffer
	for {
		if _, err := io.ReadFull(stdout, raw); err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				werr = err
			}
			break
		}
		for i, j := 0, 0; i < frameLen; i, j = i+3, j+4 {
			img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = raw[i], raw[i+1], raw[i+2], 255
		}
		buf.Reset()
		err := frameEncoder.Encode(&buf, img)
		data := buf.Bytes()
		if err == nil {
			err = zipStore(zw, frames.FrameName(nframes), data)
		}
		if err != nil {
			werr = err
			cancel() // stop ffmpeg; Wait below reaps it
			break
		}
		nframes++
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	// The progress pipe is ours, not exec's: should a grandchild that left
	// the process group hold it open, stop reading it after a grace period.
	select {
	case <-progressDone:
	case <-time.After(cmd.WaitDelay):
		pr.Close()
		<-progressDone
	}
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case werr != nil: // before tctx: a write error cancels tctx itself
		return nil, fmt.Errorf("assets: transcode: %w", werr)
	case tctx.Err() != nil:
		return nil, fmt.Errorf("assets: transcode: ffmpeg did not finish within %s: %w", timeout, tctx.Err())
	case err != nil:
		return nil, errorf(CodeCorrupt, err, "the video cannot be transcoded: %s", firstLine(stderr.String()))
	case nframes == 0:
		return nil, errorf(CodeCorrupt, nil, "the video has no frames that can be decoded")
	}
	man, _ := json.Marshal(frames.Manifest{Format: frames.Format, Width: g.W, Height: g.H, FPS: fps, Frames: nframes})
	if err := zipStore(zw, frames.ManifestName, man); err != nil {
		return nil, fmt.Errorf("assets: transcode: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("assets: transcode: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	done = true // commit removes tmp on error
	path, _, err := s.commit(ctx, tmp, sum, ".zip")
	if err != nil {
		return nil, err
	}
	report(100)
	return &Rendition{Geometry: g, SHA256: sum, Path: path, MIME: VideoMIME,
		Width: g.W, Height: g.H, Frames: nframes, FPS: fps}, nil
}

// frameEncoder trades a few percent of size for about three times the
// speed of BestCompression: a video has thousands of frames.
var frameEncoder = png.Encoder{CompressionLevel: png.DefaultCompression}

// zipEpoch is the modification time of every entry, so that the same
// frames make the same bytes.
var zipEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// zipStore adds an uncompressed entry: PNG is compressed already, and
// stored entries can be read at an offset without inflating.
func zipStore(zw *zip.Writer, name string, data []byte) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: zipEpoch})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// ownProcessGroup starts cmd in a process group of its own and makes a
// cancelled or timed-out context kill the whole group (ffmpeg's and a shell
// wrapper's children too), then stop waiting for its pipes shortly after.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
}

func parseRate(s string) float64 {
	n, d, ok := strings.Cut(s, "/")
	if !ok {
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	a, err1 := strconv.ParseFloat(n, 64)
	b, err2 := strconv.ParseFloat(d, 64)
	if err1 != nil || err2 != nil || b == 0 {
		return 0
	}
	return a / b
}

func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

var heapAddress = regexp.MustCompile(`\s*@\s*0x[0-9a-fA-F]+`)

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	// "[mov,mp4,… @ 0x55d5c3a0b2c0] moov atom not found": the address of a
	// decoder in the controller's memory is nobody's business.
	s = heapAddress.ReplaceAllString(s, "")
	if s == "" {
		return "no detail from ffmpeg"
	}
	return s
}

// limitedBuffer keeps the first max bytes written (ffmpeg can be chatty).
type limitedBuffer struct {
	max int
	buf *bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// PosterFrame returns frame 0 of a video rendition (a PNG at panel size):
// the preview and thumbnail of a video.
func PosterFrame(rendition string) ([]byte, error) {
	r, err := frames.Open(rendition)
	if err != nil {
		return nil, fmt.Errorf("assets: poster frame: %w", err)
	}
	defer r.Close()
	return r.FramePNG(0)
}
