// Package pngcmp compares encoded pictures by what they show, not by
// their bytes: two encoders (or two Go releases of one) may compress the
// same pixels differently, and a golden picture is about the pixels.
package pngcmp

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/png" // the goldens are PNG files
)

// Diff decodes got and want and says how they differ: their size, or the
// first pixel whose colour differs. It returns nil when they show the same
// picture.
func Diff(got, want []byte) error {
	g, _, err := image.Decode(bytes.NewReader(got))
	if err != nil {
		return fmt.Errorf("decoding the picture made: %w", err)
	}
	w, _, err := image.Decode(bytes.NewReader(want))
	if err != nil {
		return fmt.Errorf("decoding the golden picture: %w", err)
	}
	gb, wb := g.Bounds(), w.Bounds()
	if gb.Size() != wb.Size() {
		return fmt.Errorf("%dx%d, the golden is %dx%d", gb.Dx(), gb.Dy(), wb.Dx(), wb.Dy())
	}
	for y := 0; y < gb.Dy(); y++ {
		for x := 0; x < gb.Dx(); x++ {
			gc := color.NRGBA64Model.Convert(g.At(gb.Min.X+x, gb.Min.Y+y))
			wc := color.NRGBA64Model.Convert(w.At(wb.Min.X+x, wb.Min.Y+y))
			if gc != wc {
				return fmt.Errorf("pixel (%d,%d) is %v, the golden's %v", x, y, gc, wc)
			}
		}
	}
	return nil
}
