//go:build !cgo

package assets

import (
	"errors"
	"image"
	"os"
)

// Without cgo JPEGs are decoded at full scale by image/jpeg (and then
// shrunk by prescale): slower and larger in memory, the same pictures
// within a little rounding.
const scaledJPEGs = false

type scaledJPEG struct{}

var errNoScaledJPEG = errors.New("assets: built without cgo: no scaled JPEG decode")

func yccToRGBA(in, out []byte)                      {}
func openScaledJPEG(*os.File) (*scaledJPEG, error)  { return nil, errNoScaledJPEG }
func (*scaledJPEG) fullSize() (int, int)            { return 0, 0 }
func (*scaledJPEG) Close()                          {}
func (*scaledJPEG) Cost(int) (int64, error)         { return 0, errNoScaledJPEG }
func (*scaledJPEG) Decode(int) (image.Image, error) { return nil, errNoScaledJPEG }
