// Command bench24mp prints the content pipeline's figure for `make bench`:
//
//	ingest_24mp_ms=… imagemagick_ms=… ratio=… imagemagick_best_ms=… ratio_best=…
//	peak_rss_kib=… psnr_db=… psnr_src_db=… psnr_src_full_db=…
//
// (one line)
//
// A deterministic 24-megapixel (6000×4000) photo-like JPEG is ingested with
// three panel renditions (64×32 cover, 128×64 contain, 192×96 stretch):
// streamed and hashed into a store, header checked, decoded (with cgo at
// the reduced DCT scale the largest rendition needs), rendered and the
// PNGs stored. Each ingest runs in a child process of its own, so that its
// peak RSS (peak_rss_kib, the largest of the rounds) is the ingest's and
// not this generator's; the time is that of a second ingest in the child,
// as in a running controller. In the same run ImageMagick's convert reads
// the same JPEG once and writes the same three resizes as PNG: plainly
// (imagemagick_ms), and at its best (imagemagick_best_ms) with -define
// jpeg:size=192x96 (the largest rendition), which has libjpeg decode at
// the smallest DCT scale that is at least that size (1/8 here, 750×500).
// ratio and ratio_best are ours over theirs. The three sides take turns
// for five rounds; the best time of each is printed (the machine is
// shared). psnr_db is the PSNR of the three renditions ingest made against
// the same renditions resized straight from a full decode (image/jpeg,
// Lanczos, no pre-shrink): what the shortcuts cost in quality. Against
// the picture before it was JPEG-encoded (the truth), psnr_src_db is the
// ingest's renditions' PSNR and psnr_src_full_db the full decode's: the
// aim is the first within about 1 dB of the second.
package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pano-signage/pano/assets"
)

var geoms = []assets.Geometry{
	{W: 64, H: 32, Fit: assets.FitCover},
	{W: 128, H: 64, Fit: assets.FitContain},
	{W: 192, H: 96, Fit: assets.FitStretch},
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-ingest" {
		os.Exit(ingestChild(os.Args[2], os.Args[3], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Stdout, os.Stderr))
}

func run(stdout, stderr io.Writer) int {
	dir, err := os.MkdirTemp("", "pano-bench-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "24mp.jpg")
	data, picture := photoJPEG(6000, 4000)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}

	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	// The three sides take turns, round after round, so that a burst of
	// load from elsewhere on the machine does not fall on one side only.
	ours, im, imBest := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	var peakKiB int64
	for i := 0; i < rounds; i++ {
		d, kib, err := ingestOnce(self, dir, i)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		ours, peakKiB = min(ours, d), max(peakKiB, kib)
		d, err = timeCmd(convertCmd(src, filepath.Join(dir, fmt.Sprintf("im%d", i))))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		im = min(im, d)
		d, err = timeCmd(convertCmd(src, filepath.Join(dir, fmt.Sprintf("imbest%d", i)), "-define", "jpeg:size=192x96"))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		imBest = min(imBest, d)
	}
	psnr, psnrSrc, psnrSrcFull, err := renditionPSNR(dir, data, picture)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "# %d×%d JPEG, %.1f MB; best of %d each; peak RSS of the ingesting process\n", 6000, 4000, float64(len(data))/1e6, rounds)
	fmt.Fprintf(stdout, "ingest_24mp_ms=%d imagemagick_ms=%d ratio=%.2f imagemagick_best_ms=%d ratio_best=%.2f peak_rss_kib=%d psnr_db=%.1f psnr_src_db=%.1f psnr_src_full_db=%.1f\n",
		ours.Milliseconds(), im.Milliseconds(), float64(ours)/float64(im),
		imBest.Milliseconds(), float64(ours)/float64(imBest), peakKiB, psnr, psnrSrc, psnrSrcFull)
	return 0
}

const rounds = 5

// ingestOnce runs a child process that ingests dir/24mp.jpg (see
// ingestChild) and returns its time and peak RSS.
func ingestOnce(self, dir string, round int) (time.Duration, int64, error) {
	child := exec.Command(self, "-ingest", dir, strconv.Itoa(round))
	var out, errb bytes.Buffer
	child.Stdout, child.Stderr = &out, &errb
	if err := child.Run(); err != nil {
		return 0, 0, fmt.Errorf("ingest: %v\n%s", err, errb.Bytes())
	}
	var us, kib int64
	if _, err := fmt.Sscan(out.String(), &us, &kib); err != nil {
		return 0, 0, fmt.Errorf("ingest printed %q: %v", out.String(), err)
	}
	return time.Duration(us) * time.Microsecond, kib, nil
}

// ingestChild ingests dir/24mp.jpg twice, each time into a fresh store,
// and prints the second time in microseconds (a controller is a running
// process: the first pays for page faults and the runtime's start) and
// its peak RSS in KiB over both. It writes the renditions to
// dir/rendition-N.png.
func ingestChild(dir, round string, stdout, stderr io.Writer) int {
	var d time.Duration
	var o *assets.Original
	for i := 0; i < 2; i++ {
		store, err := assets.OpenStore(filepath.Join(dir, fmt.Sprintf("store%s-%d", round, i)))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		f, err := os.Open(filepath.Join(dir, "24mp.jpg"))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		start := time.Now()
		o, err = store.Ingest(context.Background(), f, assets.IngestRequest{Filename: "24mp.jpg", Renditions: geoms})
		d = time.Since(start)
		f.Close()
		if err != nil || len(o.Renditions) != len(geoms) {
			fmt.Fprintln(stderr, "ingest:", err)
			return 1
		}
	}
	for i, r := range o.Renditions {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("rendition-%d.png", i)), r.Data, 0o644); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	fmt.Fprintln(stdout, d.Microseconds(), peakRSS())
	return 0
}

// peakRSS is this process's peak resident set in KiB (VmHWM), 0 if
// unknown. Read here rather than from the parent's rusage: a child's
// ru_maxrss starts from its parent's size at the fork.
func peakRSS() int64 {
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// renditionPSNR compares the renditions the child wrote (scaled decode)
// with the same geometries rendered straight from a full image/jpeg
// decode of data (full) and from the picture before it was encoded (src),
// over all their pixels together (RGB). It returns PSNR(scaled, full),
// PSNR(scaled, src) and PSNR(full, src).
func renditionPSNR(dir string, data []byte, src image.Image) (vsFull, vsSrc, fullVsSrc float64, err error) {
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, 0, err
	}
	var a, b, c sse
	for i, g := range geoms {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("rendition-%d.png", i)))
		if err != nil {
			return 0, 0, 0, err
		}
		scaled, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return 0, 0, 0, err
		}
		f, s := assets.Render(full, g), assets.Render(src, g)
		a.add(scaled, f)
		b.add(scaled, s)
		c.add(f, s)
	}
	return a.psnr(), b.psnr(), c.psnr(), nil
}

// sse sums squared differences of R, G and B.
type sse struct {
	sum float64
	n   int
}

func (e *sse) add(p, q image.Image) {
	r := p.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := p.At(x, y).RGBA()
			r2, g2, b2, _ := q.At(x, y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				e.sum += d * d
			}
			e.n += 3
		}
	}
}

func (e *sse) psnr() float64 {
	if e.sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(e.sum/float64(e.n)))
}

// timeCmd runs c and returns its wall time.
func timeCmd(c *exec.Cmd) (time.Duration, error) {
	var errb bytes.Buffer
	c.Stderr = &errb
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", c.Path, err, errb.Bytes())
	}
	return d, nil
}

// convertCmd has ImageMagick read src (with the options before it) and
// write the three renditions as out-a.png, out-b.png, out-c.png.
func convertCmd(src, out string, before ...string) *exec.Cmd {
	args := append(before, src,
		"(", "+clone", "-resize", "64x32^", "-gravity", "center", "-extent", "64x32", "-write", out+"-a.png", "+delete", ")",
		"(", "+clone", "-resize", "128x64", "-background", "black", "-gravity", "center", "-extent", "128x64", "-write", out+"-b.png", "+delete", ")",
		"-resize", "192x96!", out+"-c.png")
	return exec.Command(convert(), args...)
}

// convert is ImageMagick 7's magick, or 6's convert.
func convert() string {
	if p, err := exec.LookPath("magick"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/convert"); err == nil {
		return "/usr/bin/convert"
	}
	return "convert"
}

// photoJPEG makes a photo-like picture: smooth gradients, shapes, fine
// detail and a little noise (from a fixed LCG), encoded at quality 90 with
// 4:2:0 chroma like a camera's.
func photoJPEG(w, h int) ([]byte, *image.YCbCr) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	seed := uint32(57)
	noise := func() int {
		seed = seed*1664525 + 1013904223
		return int(seed>>27) - 16
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 60 + 120*x/w + int(40*math.Sin(float64(x)/180)*math.Cos(float64(y)/140))
			if (x/300+y/300)%7 == 0 {
				v += 50
			}
			if (x-w/2)*(x-w/2)+(y-h/2)*(y-h/2) < (h/4)*(h/4) {
				v = 200 + (x%40)/4
			}
			v += noise() / 2
			img.Y[y*img.YStride+x] = uint8(max(0, min(255, v)))
		}
	}
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			img.Cb[y*img.CStride+x] = uint8(100 + 60*y*2/h)
			img.Cr[y*img.CStride+x] = uint8(110 + 50*x*2/w)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes(), img
}
