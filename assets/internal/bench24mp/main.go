// Command bench24mp prints the content pipeline's figure for `make bench`:
//
//	ingest_24mp_ms=… imagemagick_ms=… ratio=…
//
// A deterministic 24-megapixel (6000×4000) photo-like JPEG is ingested with
// three panel renditions (64×32 cover, 128×64 contain, 192×96 stretch):
// streamed and hashed into a store, header checked, fully decoded, rendered
// and the PNGs stored. In the same run ImageMagick's convert reads the same
// JPEG once and writes the same three resizes as PNG. Each side runs three
// times; the best time of each is printed (the machine is shared).
package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pano-signage/pano/assets"
)

func main() { os.Exit(run(os.Stdout, os.Stderr)) }

func run(stdout, stderr io.Writer) int {
	dir, err := os.MkdirTemp("", "pano-bench-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "24mp.jpg")
	data := photoJPEG(6000, 4000)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	geoms := []assets.Geometry{
		{W: 64, H: 32, Fit: assets.FitCover},
		{W: 128, H: 64, Fit: assets.FitContain},
		{W: 192, H: 96, Fit: assets.FitStretch},
	}
	goBest, imBest := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for i := 0; i < 3; i++ {
		store, err := assets.OpenStore(filepath.Join(dir, fmt.Sprintf("store%d", i)))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		f, err := os.Open(src)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		start := time.Now()
		o, err := store.Ingest(context.Background(), f, assets.IngestRequest{Filename: "24mp.jpg", Renditions: geoms})
		d := time.Since(start)
		f.Close()
		if err != nil || len(o.Renditions) != 3 {
			fmt.Fprintln(stderr, "ingest:", err)
			return 1
		}
		goBest = min(goBest, d)

		out := filepath.Join(dir, fmt.Sprintf("im%d", i))
		cmd := exec.Command(convert(), src,
			"(", "+clone", "-resize", "64x32^", "-gravity", "center", "-extent", "64x32", "-write", out+"-a.png", "+delete", ")",
			"(", "+clone", "-resize", "128x64", "-background", "black", "-gravity", "center", "-extent", "128x64", "-write", out+"-b.png", "+delete", ")",
			"-resize", "192x96!", out+"-c.png")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		start = time.Now()
		err = cmd.Run()
		d = time.Since(start)
		if err != nil {
			fmt.Fprintf(stderr, "convert: %v\n%s", err, errb.Bytes())
			return 1
		}
		imBest = min(imBest, d)
	}
	fmt.Fprintf(stdout, "# %d×%d JPEG, %.1f MB; best of 3 each\n", 6000, 4000, float64(len(data))/1e6)
	fmt.Fprintf(stdout, "ingest_24mp_ms=%d imagemagick_ms=%d ratio=%.2f\n",
		goBest.Milliseconds(), imBest.Milliseconds(), float64(goBest)/float64(imBest))
	return 0
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
func photoJPEG(w, h int) []byte {
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
	return b.Bytes()
}
