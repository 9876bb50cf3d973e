package assets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"time"

	"golang.org/x/image/webp"
)

// Limits bound what Ingest accepts. The zero value of a field means its
// default (see DefaultLimits).
type Limits struct {
	MaxImageBytes    int64         // default 50 MiB
	MaxVideoBytes    int64         // default 2 GiB
	MaxPixels        int64         // image width×height, default 100 megapixels
	MaxVideoPixels   int64         // video frame width×height, default 4096×2160
	MaxVideoDuration time.Duration // default 30 minutes
	ProbeTimeout     time.Duration // ffprobe wall time, default 30 s
}

// DefaultLimits are the limits the issue asks for.
func DefaultLimits() Limits {
	return Limits{
		MaxImageBytes:    50 << 20,
		MaxVideoBytes:    2 << 30,
		MaxPixels:        100_000_000,
		MaxVideoPixels:   4096 * 2160,
		MaxVideoDuration: 30 * time.Minute,
		ProbeTimeout:     30 * time.Second,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxImageBytes <= 0 {
		l.MaxImageBytes = d.MaxImageBytes
	}
	if l.MaxVideoBytes <= 0 {
		l.MaxVideoBytes = d.MaxVideoBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxVideoPixels <= 0 {
		l.MaxVideoPixels = d.MaxVideoPixels
	}
	if l.MaxVideoDuration <= 0 {
		l.MaxVideoDuration = d.MaxVideoDuration
	}
	if l.ProbeTimeout <= 0 {
		l.ProbeTimeout = d.ProbeTimeout
	}
	return l
}

// IngestRequest says what to do with an upload.
type IngestRequest struct {
	// Filename is the name the client sent; it is checked (CheckFilename)
	// and returned in Original.Filename, never used as a path. Empty means
	// none was sent and is allowed.
	Filename string
	Limits   Limits
	Tools    Tools // ffprobe for videos
	// Renditions, for an image, are rendered from the same decode that
	// verifies the upload and stored (PNG) in the store: the cheap way to
	// have the previews of known panels at once. Videos and later
	// geometries go through RenderImage / TranscodeVideo.
	Renditions []Geometry
	// Budget, if set, bounds the memory of the image's decode (see
	// Budget): Ingest waits for room once the header has told the size,
	// and fails with ErrDecodeBusy if the budget's view gives up.
	Budget *Budget
}

// Original is an accepted upload, stored in the Store under its SHA-256.
type Original struct {
	SHA256   string
	Size     int64
	Path     string // <store>/ab/abcdef….ext
	Existed  bool   // the same bytes were stored already
	Filename string // checked client name, "" if none
	Kind     Kind
	Format   string // "png", "jpeg", "webp", "gif"; for video the ffprobe format name
	MIME     string
	// Width and Height are as shown: after EXIF orientation for JPEG.
	Width, Height int
	Orientation   int           // EXIF orientation applied (1 = none)
	Duration      time.Duration // video only
	Video         *VideoInfo    // video only
	Renditions    []Rendition   // those asked for in IngestRequest.Renditions
}

// Ingest streams r into the store: it hashes while it writes a temporary
// file, decides the type by content, checks limits before decoding (image
// dimensions from the header, video with ffprobe), verifies that an image
// decodes completely, and then renames the file into place. On any error
// nothing is left behind; errors the upload caused are *Error.
func (s *Store) Ingest(ctx context.Context, r io.Reader, req IngestRequest) (*Original, error) {
	lim := req.Limits.withDefaults()
	o := &Original{}
	if req.Filename != "" {
		name, err := CheckFilename(req.Filename)
		if err != nil {
			return nil, err
		}
		o.Filename = name
	}

	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return nil, errorf(CodeEmpty, nil, "the file is empty")
	case err != nil && err != io.ErrUnexpectedEOF && err != io.EOF:
		return nil, fmt.Errorf("assets: ingest: read: %w", err)
	}
	head = head[:n]
	f, err := sniff(head)
	if err != nil {
		return nil, err
	}
	o.Kind, o.Format, o.MIME = f.kind, f.name, f.mime
	max := lim.MaxImageBytes
	if f.kind == KindVideo {
		max = lim.MaxVideoBytes
	}

	tmp, err := s.createTemp()
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head); err != nil {
		return nil, fmt.Errorf("assets: ingest: write temp: %w", err)
	}
	rest, err := io.Copy(w, io.LimitReader(ctxReader{ctx, r}, max-int64(n)+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("assets: ingest: %w", err)
	}
	o.Size = int64(n) + rest
	if o.Size > max {
		return nil, errorf(CodeTooLarge, nil, "the %s is larger than the limit of %s", f.kind, byteSize(max))
	}
	o.SHA256 = hex.EncodeToString(h.Sum(nil))

	switch f.kind {
	case KindImage:
		// The fsync that commit needs waits for the disk, not the CPU:
		// start it now, so that it runs while the picture is decoded and
		// rendered, and commit's own Sync finds little left to write.
		synced := make(chan struct{})
		go func() {
			tmp.Sync() // an error shows again in commit's Sync
			close(synced)
		}()
		defer func() { <-synced }() // tmp is closed after it, on every path
		img, release, err := checkImage(ctx, tmp, f, head, lim, req.Budget, req.Renditions, o)
		if err != nil {
			return nil, err
		}
		if len(req.Renditions) > 0 {
			o.Renditions, err = renderAll(ctx, img, o.Orientation, req.Renditions)
		}
		img = nil
		release()
		if err != nil {
			return nil, err
		}
	case KindVideo:
		if err := tmp.Sync(); err != nil {
			return nil, fmt.Errorf("assets: ingest: %w", err)
		}
		vi, err := ProbeVideo(ctx, tmp.Name(), req.Tools, lim.ProbeTimeout)
		if err != nil {
			return nil, err
		}
		if err := vi.check(lim); err != nil {
			return nil, err
		}
		o.Video, o.Width, o.Height, o.Duration, o.Format = vi, vi.Width, vi.Height, vi.Duration, vi.Format
	}

	committed = true // commit removes tmp itself on error
	o.Path, o.Existed, err = s.commit(ctx, tmp, o.SHA256, f.ext)
	if err != nil {
		return nil, err
	}
	if err := s.putRenditions(o.Renditions); err != nil {
		if !o.Existed {
			os.Remove(o.Path)
		}
		return nil, err
	}
	return o, nil
}

// checkImage reads the header for the dimensions, refuses too many pixels
// before any pixel memory is allocated, then decodes the whole image (which
// is what tells a truncated or corrupt file), within budget b. A JPEG is
// decoded at the smallest DCT scale that still serves every geometry in
// geoms (1/8 when there are none: every coefficient is still read and
// checked, few pixels are made). It returns the image as stored (perhaps
// scaled) and the function that gives its room in b back, to be called
// once the image is no longer used; o gets the EXIF orientation and the
// upright width and height.
func checkImage(ctx context.Context, f *os.File, fm format, head []byte, lim Limits, b *Budget, geoms []Geometry, o *Original) (image.Image, func(), error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, fmt.Errorf("assets: ingest: %w", err)
	}
	cfg, err := decodeConfig(fm, f)
	if err != nil {
		return nil, nil, errorf(CodeCorrupt, err, "the %s header cannot be read", fm.name)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, nil, errorf(CodeCorrupt, nil, "the %s declares a size of %d×%d", fm.name, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return nil, nil, errorf(CodeTooManyPixels, nil, "the image is %d×%d = %.1f megapixels; the limit is %.1f megapixels",
			cfg.Width, cfg.Height, float64(px)/1e6, float64(lim.MaxPixels)/1e6)
	}
	o.Orientation = 1
	if fm == fmtJPEG {
		o.Orientation = jpegOrientation(readHead(f, head))
	}
	need, err := storedGeometries(geoms, o.Orientation)
	if err != nil {
		return nil, nil, err
	}
	img, release, err := decodeScaled(ctx, b, f, fm, cfg, jpegDenom(cfg.Width, cfg.Height, need))
	var bad badImage
	if errors.As(err, &bad) {
		return nil, nil, errorf(CodeCorrupt, bad.err, "the %s is truncated or corrupt", fm.name)
	}
	if err != nil {
		return nil, nil, err
	}
	o.Width, o.Height = cfg.Width, cfg.Height
	if o.Orientation >= 5 {
		o.Width, o.Height = o.Height, o.Width
	}
	return img, release, nil
}

// badImage is a decode error the file caused (truncated, corrupt), as
// against a full budget or a cancelled request.
type badImage struct{ err error }

func (e badImage) Error() string { return e.err.Error() }

// decodeScaled decodes the image in f, whose header said cfg, within
// budget b, at 1/denom of its size (denom 1, 2, 4 or 8) where it can: a
// JPEG in a cgo build, with libjpeg-turbo (see scaledJPEG). Everything
// else, and every full-scale decode, goes through the standard library's
// decoders, as before. Errors the file caused are badImage.
func decodeScaled(ctx context.Context, b *Budget, f *os.File, fm format, cfg image.Config, denom int) (image.Image, func(), error) {
	if fm != fmtJPEG || denom <= 1 || !scaledJPEGs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, nil, fmt.Errorf("assets: decode: %w", err)
		}
		release, err := holdDecode(ctx, b, decodeCost(cfg))
		if err != nil {
			return nil, nil, err
		}
		img, err := decodeImage(fm, f)
		if err != nil {
			release()
			return nil, nil, badImage{err}
		}
		return img, release, nil
	}
	j, err := openScaledJPEG(f)
	if err != nil {
		return nil, nil, badImage{err}
	}
	defer j.Close() // before the caller's release: libjpeg's memory goes with it
	// The limits were checked on image/jpeg's reading of the header: a file
	// that two parsers read differently is refused, not decoded unchecked.
	if w, h := j.fullSize(); w != cfg.Width || h != cfg.Height {
		return nil, nil, badImage{fmt.Errorf("the header declares %d×%d to one reader and %d×%d to another", cfg.Width, cfg.Height, w, h)}
	}
	cost, err := j.Cost(denom)
	if err != nil {
		return nil, nil, badImage{err}
	}
	release, err := holdDecode(ctx, b, cost)
	if err != nil {
		return nil, nil, err
	}
	img, err := j.Decode(denom)
	if err != nil {
		release()
		return nil, nil, badImage{err}
	}
	return img, release, nil
}

// jpegDenom is the DCT scale 1/denom (8, 4, 2 or 1) at which a JPEG of
// w×h stored pixels still has at least 3 pixels for each pixel of every
// geometry in need (sized as stored: see storedGeometries), the margin
// prescale keeps for the Lanczos filter, so that the renditions are those
// of a full decode within a little rounding. With no geometries it is 8.
func jpegDenom(w, h int, need []Geometry) int {
	k := shrinkFactor(w, h, need)
	for _, d := range []int{8, 4, 2} {
		if k >= d {
			return d
		}
	}
	return 1
}

// readHead returns up to the first 64 KiB of f (EXIF lives in APP1, which
// is at most 64 KiB), falling back to the sniffed head.
func readHead(f *os.File, head []byte) []byte {
	b := make([]byte, 64<<10)
	n, err := f.ReadAt(b, 0)
	if n == 0 && err != nil {
		return head
	}
	return b[:n]
}

func decodeConfig(fm format, r io.Reader) (image.Config, error) {
	switch fm {
	case fmtPNG:
		return png.DecodeConfig(r)
	case fmtJPEG:
		return jpeg.DecodeConfig(r)
	case fmtGIF:
		return gif.DecodeConfig(r)
	case fmtWebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, errors.New("not an image format")
}

// decodeImage decodes the whole image. For a GIF that is the first frame
// only: animated GIFs are shown as still pictures.
func decodeImage(fm format, r io.Reader) (image.Image, error) {
	switch fm {
	case fmtPNG:
		return png.Decode(r)
	case fmtJPEG:
		return jpeg.Decode(r)
	case fmtGIF:
		return gif.Decode(r)
	case fmtWebP:
		return webp.Decode(r)
	}
	return nil, errors.New("not an image format")
}

// LoadImage decodes an image file that Ingest accepted (Original.Path), with
// EXIF orientation applied, at full size. It takes nothing from a Budget:
// the caller holds the image as long as it likes (RenderImage is the
// bounded way).
func LoadImage(path string) (image.Image, error) {
	img, o, release, err := loadImage(context.Background(), nil, path, nil, false)
	if err != nil {
		return nil, err
	}
	release()
	return orient(img, o), nil
}

// loadImage decodes the image as stored, within budget b, and returns its
// EXIF orientation and the function that gives its room in b back. With
// scaled, a JPEG is decoded at the smallest DCT scale that serves every
// geometry in geoms (see jpegDenom); otherwise at full size.
func loadImage(ctx context.Context, b *Budget, path string, geoms []Geometry, scaled bool) (image.Image, int, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("assets: load %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, _ := io.ReadFull(f, head)
	fm, err := sniff(head[:n])
	if err != nil || fm.kind != KindImage {
		return nil, 0, nil, fmt.Errorf("assets: load %s: not an image", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, nil, fmt.Errorf("assets: load %s: %w", path, err)
	}
	cfg, err := decodeConfig(fm, f)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("assets: load %s: %w", path, err)
	}
	o := 1
	if fm == fmtJPEG {
		o = jpegOrientation(readHead(f, head))
	}
	denom := 1
	if scaled {
		need, err := storedGeometries(geoms, o)
		if err != nil {
			return nil, 0, nil, err
		}
		denom = jpegDenom(cfg.Width, cfg.Height, need)
	}
	img, release, err := decodeScaled(ctx, b, f, fm, cfg, denom)
	var bad badImage
	if errors.As(err, &bad) {
		return nil, 0, nil, fmt.Errorf("assets: load %s: %w", path, bad.err)
	}
	if err != nil {
		return nil, 0, nil, err
	}
	return img, o, release, nil
}

// ctxReader stops a long copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
