package reports

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image/png"
	"io"
	"sync"

	"github.com/pano-signage/pano/protocol"
)

// Screenshots are the panel's frame at its resolution. These bounds leave
// room for an agent that draws at a multiple of it, and no more.
const (
	// ScreenshotFactor is how many times the panel's width and height a
	// screenshot may be.
	ScreenshotFactor = 2
	// MaxScreenshotBytes bounds the PNG itself (a message cannot be
	// larger anyway).
	MaxScreenshotBytes = protocol.MaxMessageBytes
)

// maxScreenshotBytes is what a PNG of at most (w×F)×(h×F) pixels needs even
// stored uncompressed (RGBA, a filter byte a row) with room for its chunks:
// more is padding no screen sends, kept for every display every minute.
func maxScreenshotBytes(w, h int) int {
	return min(MaxScreenshotBytes, (w*ScreenshotFactor*4+1)*h*ScreenshotFactor+64<<10)
}

// checkScreenshot checks a screenshot for a panel of w×h: its size is
// checked from the header before any pixel is read (a few kilobytes of
// zeros can claim gigabytes), then the whole file (checkPNG), so a
// truncated or corrupt file is refused rather than stored.
func checkScreenshot(data []byte, w, h int) error {
	if limit := maxScreenshotBytes(w, h); len(data) > limit {
		return fmt.Errorf("screenshot of %d bytes is larger than a PNG of this display's panel needs (%d): send the panel's frame as a plain PNG", len(data), limit)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("screenshot is not a PNG image: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > w*ScreenshotFactor || cfg.Height > h*ScreenshotFactor {
		return fmt.Errorf("screenshot is %d×%d pixels; this display's panel is %d×%d (at most %d×%d accepted)",
			cfg.Width, cfg.Height, w, h, w*ScreenshotFactor, h*ScreenshotFactor)
	}
	if err := checkPNG(data, cfg.Width, cfg.Height); err != nil {
		return fmt.Errorf("screenshot is a truncated or corrupt PNG: %v", err)
	}
	return nil
}

// inflaters keeps zlib readers for checkPNG: each holds a 32 KiB window.
var inflaters sync.Pool

// checkPNG reads a PNG whole as a decoder would, without making its image:
// every chunk's CRC, a palette where one is needed, the image data
// inflated to exactly its rows with a known filter each and its zlib
// checksum, and the end. Decoding every agent's screenshot each minute
// was 12 % of an idle controller's CPU at 10,000 agents, most of it
// undoing the rows' filters and allocating images no one looked at.
// Interlaced images (no screen sends them) are decoded.
func checkPNG(data []byte, width, height int) (err error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return errors.New("not a PNG signature")
	}
	rest := data[len(sig):]
	var idat []io.Reader
	var ihdr []byte
	palette, end := false, false
	for !end {
		if len(rest) < 12 {
			return errors.New("a chunk is cut short")
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-12) {
			return errors.New("a chunk is cut short")
		}
		typ, body := rest[4:8], rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:]) {
			return fmt.Errorf("chunk %q has a wrong CRC", typ)
		}
		switch string(typ) {
		case "IHDR":
			ihdr = body
		case "PLTE":
			palette = true
		case "IDAT":
			idat = append(idat, bytes.NewReader(body))
		case "IEND":
			end = true
		}
		rest = rest[12+n:]
	}
	if len(ihdr) != 13 || len(idat) == 0 {
		return errors.New("no header or no image data")
	}
	depth, colour, interlaced := int(ihdr[8]), ihdr[9], ihdr[12] != 0
	channels := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
	if channels == 0 || colour == 3 && !palette {
		return errors.New("colour type without its palette")
	}
	if interlaced {
		_, err := png.Decode(bytes.NewReader(data))
		return err
	}
	src := io.MultiReader(idat...)
	z, _ := inflaters.Get().(io.ReadCloser)
	if z == nil {
		if z, err = zlib.NewReader(src); err != nil {
			return err
		}
	} else if err = z.(zlib.Resetter).Reset(src, nil); err != nil {
		return err
	}
	defer inflaters.Put(z)
	row := make([]byte, 1+(width*channels*depth+7)/8)
	for y := 0; y < height; y++ {
		if _, err := io.ReadFull(z, row); err != nil {
			return fmt.Errorf("image data ends at row %d of %d: %v", y, height, err)
		}
		if row[0] > 4 {
			return fmt.Errorf("row %d has unknown filter %d", y, row[0])
		}
	}
	// Reading to the end checks the stream's checksum.
	if n, err := z.Read(row[:1]); n != 0 || err != io.EOF {
		return errors.New("image data goes on past its rows or its checksum is wrong")
	}
	return nil
}

// Screenshot implements hub.Reports: a screenshot is stored only once it
// decodes as a whole PNG no larger than the display's panel allows; one
// that does not is refused (the agent is told why) and counted.
func (s *Sink) Screenshot(ctx context.Context, displayID int64, sh protocol.Screenshot) error {
	d, err := s.st.Display(ctx, displayID)
	if err != nil {
		return err
	}
	if err := checkScreenshot(sh.PNG, d.Width, d.Height); err != nil {
		s.log.Warn("screenshot refused", "display", displayID, "bytes", len(sh.PNG), "reason", err)
		if err := s.st.AddRefusals(ctx, displayID, 0, 1, "screenshot: "+err.Error()); err != nil {
			return err
		}
		return err
	}
	return s.st.SaveScreenshot(ctx, displayID, sh.PNG, sh.At)
}
