package assets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/disintegration/imaging"

	"github.com/pano-signage/pano/protocol"
)

// Fit is how a picture is made to fill a panel of another shape.
type Fit string

const (
	FitContain Fit = "contain" // whole picture, centred, bars in Background
	FitCover   Fit = "cover"   // fills the panel, centred, edges cropped
	FitStretch Fit = "stretch" // fills the panel, aspect ratio not kept
)

// MaxPanelSide bounds a panel's width and height: protocol's limit.
const MaxPanelSide = protocol.MaxPanelSide

// Geometry is a panel's size and how content is fitted to it. Background
// fills contain's bars and shows through transparent pixels in every mode
// (an LED panel has no transparency); its alpha is ignored.
type Geometry struct {
	W, H       int
	Fit        Fit
	Background color.NRGBA
}

// Validate reports a geometry a client could have sent wrong as *Error.
func (g Geometry) Validate() error {
	if g.W < 1 || g.H < 1 || g.W > MaxPanelSide || g.H > MaxPanelSide {
		return errorf(CodeBadGeometry, nil, "panel size %d×%d is outside 1×1 … %d×%d", g.W, g.H, MaxPanelSide, MaxPanelSide)
	}
	switch g.Fit {
	case FitContain, FitCover, FitStretch:
		return nil
	}
	return errorf(CodeBadGeometry, nil, "fit %q is not one of contain, cover, stretch", g.Fit)
}

// Key names the geometry in file names and logs: "128x64-contain-000000".
func (g Geometry) Key() string {
	return fmt.Sprintf("%dx%d-%s-%02x%02x%02x", g.W, g.H, g.Fit, g.Background.R, g.Background.G, g.Background.B)
}

// ParseColor reads "#rrggbb" or "rrggbb".
func ParseColor(s string) (color.NRGBA, error) {
	s = strings.TrimPrefix(s, "#")
	var c color.NRGBA
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 3 {
		return c, errorf(CodeBadNotice, err, "colour %q is not #rrggbb", s)
	}
	return color.NRGBA{b[0], b[1], b[2], 255}, nil
}

// Rendition is the exact pixels of one media for one panel geometry.
type Rendition struct {
	Geometry Geometry
	SHA256   string // of the file's bytes: its name in the store
	Path     string // where it is stored, once stored
	MIME     string // image/png, or VideoMIME
	Data     []byte // the PNG bytes (nil for video: see Path)
	Width    int    // in pixels: the panel's size, or the strip's for a ticker
	Height   int
	Ticker   *TickerInfo // scrolling text only
	Frames   int         // video only
	FPS      int         // video only
	TextPx   int         // text only: the height of its smallest line, pixels
	// PageSeconds: a paged notice (a frames rendition at 1 fps) shows its
	// pages for these many seconds each.
	PageSeconds []int
}

// RenderImage decodes the image at path (an Original's) once, within budget
// b (nil: unbounded), and renders it for each geometry. The PNG bytes are
// in Data; nothing is stored (see Store.PutRendition).
func RenderImage(ctx context.Context, b *Budget, path string, geoms ...Geometry) ([]Rendition, error) {
	for _, g := range geoms {
		if err := g.Validate(); err != nil {
			return nil, err
		}
	}
	img, o, release, err := loadImage(ctx, b, path, geoms, true)
	if err != nil {
		return nil, err
	}
	defer release()
	return renderAll(ctx, img, o, geoms)
}

// PutRendition stores a rendition's Data and sets its SHA256 and Path.
func (s *Store) PutRendition(r *Rendition) error {
	if r.Data == nil {
		return fmt.Errorf("assets: put rendition %s: no data", r.Geometry.Key())
	}
	sha, path, err := s.Put(r.Data, ".png")
	if err != nil {
		return err
	}
	r.SHA256, r.Path = sha, path
	return nil
}

// putRenditions stores them all, or none: on error it removes those it
// stored (unless they were there already).
func (s *Store) putRenditions(rs []Rendition) error {
	// Side by side: each Put waits for its fsyncs, not for the CPU.
	added := make([]bool, len(rs))
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := os.Stat(s.Path(rs[i].SHA256, ".png"))
			existed := err == nil
			errs[i] = s.PutRendition(&rs[i])
			added[i] = errs[i] == nil && !existed
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			for i, a := range added {
				if a {
					os.Remove(rs[i].Path)
				}
			}
			return err
		}
	}
	return nil
}

// renderAll renders img, stored with EXIF orientation o, for each geometry.
func renderAll(ctx context.Context, img image.Image, o int, geoms []Geometry) ([]Rendition, error) {
	need, err := storedGeometries(geoms, o)
	if err != nil {
		return nil, err
	}
	// One cheap integer pre-shrink for all geometries (see prescale), then
	// the quality filter from a source that is still ≥ 3× each output.
	// Orienting after the shrink rotates few pixels.
	src := orient(prescale(img, need), o)
	// The geometries are rendered side by side: imaging spreads a resize
	// over the cores already, but the PNG encoding (a third of the work
	// for a photo) runs on one. Each result depends on its geometry alone,
	// so the output is the same in any order.
	out := make([]Rendition, len(geoms))
	errs := make([]error, len(geoms))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, g := range geoms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if errs[i] = ctx.Err(); errs[i] != nil {
				return
			}
			data, sum, err := encodePNGLevel(Render(src, g), photoPNG)
			out[i], errs[i] = Rendition{Geometry: g, SHA256: sum, MIME: "image/png", Data: data, Width: g.W, Height: g.H}, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// storedGeometries checks geoms and returns them as the picture is stored
// with EXIF orientation o: turned a quarter when it is on its side.
func storedGeometries(geoms []Geometry, o int) ([]Geometry, error) {
	need := make([]Geometry, len(geoms))
	for i, g := range geoms {
		if err := g.Validate(); err != nil {
			return nil, err
		}
		need[i] = g
		if o >= 5 { // the stored picture is on its side
			need[i].W, need[i].H = g.H, g.W
		}
	}
	return need, nil
}

// Render makes the exact pixels for the panel: an opaque W×H image.
// It is deterministic: the same input and geometry give the same pixels.
func Render(img image.Image, g Geometry) *image.NRGBA {
	bg := g.Background
	bg.A = 255
	sw, sh := img.Bounds().Dx(), img.Bounds().Dy()
	var fitted *image.NRGBA
	switch g.Fit {
	case FitCover:
		fitted = imaging.Fill(img, g.W, g.H, imaging.Center, imaging.Lanczos)
	case FitStretch:
		fitted = imaging.Resize(img, g.W, g.H, imaging.Lanczos)
	default: // contain; unlike imaging.Fit it also enlarges a small picture
		s := math.Min(float64(g.W)/float64(sw), float64(g.H)/float64(sh))
		w := max(1, min(g.W, int(math.Round(float64(sw)*s))))
		h := max(1, min(g.H, int(math.Round(float64(sh)*s))))
		fitted = imaging.Resize(img, w, h, imaging.Lanczos)
	}
	fitted = ledSharpen(fitted, sw, sh, g)
	dst := imaging.New(g.W, g.H, bg)
	return imaging.OverlayCenter(dst, fitted, 1)
}

// ledSharpen sharpens a rendition that was reduced a lot for a small panel.
// On a 64×32 panel each LED is one pixel seen from metres away: Lanczos
// alone leaves edges (and text in a photo) soft, so an unsharp mask with a
// radius under one pixel restores contrast at edges without the halos a
// larger sigma gives. Enlarged or mildly reduced pictures are left alone.
func ledSharpen(img *image.NRGBA, sw, sh int, g Geometry) *image.NRGBA {
	reduction := math.Max(float64(sw)/float64(img.Bounds().Dx()), float64(sh)/float64(img.Bounds().Dy()))
	if reduction < 2 {
		return img
	}
	sigma := 0.5
	if g.W*g.H <= 128*64 {
		sigma = 0.7
	}
	return imaging.Sharpen(img, sigma)
}

// EncodePNG encodes an opaque image as an 8-bit RGB PNG and returns the
// bytes and their SHA-256 (hex).
func EncodePNG(img image.Image) ([]byte, string, error) {
	return encodePNGLevel(img, png.BestCompression)
}

// photoPNG is the compression of picture renditions: zlib's default
// level. Photos (with their noise) barely shrink further at the best
// level (about 3 % at panel sizes) and take twice as long to encode, a
// fifth of a 24-megapixel upload's time; text and tickers, flat and
// small, keep EncodePNG's best level.
const photoPNG = png.DefaultCompression

func encodePNGLevel(img image.Image, level png.CompressionLevel) ([]byte, string, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: level}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, "", fmt.Errorf("assets: encode png: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:]), nil
}

// prescale shrinks img by the largest whole factor k for which the result
// is still at least 3× the size every geometry needs from it, averaging
// k×k blocks with integers. For a 24-megapixel JPEG going to LED panels
// this replaces most of the Lanczos work (and the YCbCr→NRGBA conversion of
// every source pixel) by one pass over the Y/Cb/Cr planes. Lanczos after it
// still sees ≥ 3 source pixels per output pixel, so quality is kept.
func prescale(img image.Image, geoms []Geometry) image.Image {
	sw, sh := img.Bounds().Dx(), img.Bounds().Dy()
	k := shrinkFactor(sw, sh, geoms)
	if k < 2 {
		return img
	}
	if y, ok := img.(*image.YCbCr); ok {
		return boxYCbCr(y, k)
	}
	return imaging.Resize(img, sw/k, sh/k, imaging.Box)
}

// shrinkFactor is the largest whole k for which a sw×sh picture shrunk k
// times is still at least 3× the size every geometry needs from it
// (math.MaxInt for none).
func shrinkFactor(sw, sh int, geoms []Geometry) int {
	k := math.MaxInt
	for _, g := range geoms {
		sx, sy := float64(g.W)/float64(sw), float64(g.H)/float64(sh)
		var s float64
		switch g.Fit {
		case FitCover:
			s = math.Max(sx, sy)
		case FitStretch:
			s = math.Max(sx, sy)
		default:
			s = math.Min(sx, sy)
		}
		k = min(k, int(1/(3*s)))
	}
	return k
}

// boxYCbCr averages k×k blocks of a YCbCr image (any subsampling) into an
// NRGBA image of (w/k)×(h/k); edge pixels that do not fill a block are
// dropped (at most k-1 of thousands of rows).
func boxYCbCr(src *image.YCbCr, k int) *image.NRGBA {
	r := src.Rect
	ow, oh := r.Dx()/k, r.Dy()/k
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	var hs, vs int // chroma subsampling shifts
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	}
	sy := make([]uint32, ow)
	scb := make([]uint32, ow)
	scr := make([]uint32, ow)
	n := uint32(k * k)
	for oy := 0; oy < oh; oy++ {
		clear(sy)
		clear(scb)
		clear(scr)
		for dy := 0; dy < k; dy++ {
			y := r.Min.Y + oy*k + dy
			yrow := src.Y[(y-r.Min.Y)*src.YStride:]
			crow := (y>>vs - r.Min.Y>>vs) * src.CStride
			cb, cr := src.Cb[crow:], src.Cr[crow:]
			for ox := 0; ox < ow; ox++ {
				x0 := ox * k
				var ay, acb, acr uint32
				for dx := 0; dx < k; dx++ {
					x := x0 + dx
					ay += uint32(yrow[x])
					ci := (r.Min.X+x)>>hs - r.Min.X>>hs
					acb += uint32(cb[ci])
					acr += uint32(cr[ci])
				}
				sy[ox] += ay
				scb[ox] += acb
				scr[ox] += acr
			}
		}
		row := dst.Pix[oy*dst.Stride:]
		for ox := 0; ox < ow; ox++ {
			R, G, B := color.YCbCrToRGB(uint8((sy[ox]+n/2)/n), uint8((scb[ox]+n/2)/n), uint8((scr[ox]+n/2)/n))
			row[4*ox], row[4*ox+1], row[4*ox+2], row[4*ox+3] = R, G, B, 255
		}
	}
	return dst
}
