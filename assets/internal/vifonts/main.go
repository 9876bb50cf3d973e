// Command vifonts prints make bench's vi_letters_min_px lines: for each
// bundled bitmap face, its line height and whether every Vietnamese letter
// stays distinct in it (with the closest pairs); for the vector font, the
// smallest size from which every size up to 96 px per em keeps them
// distinct (issue 11).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/assets/ledfont"
)

func main() {
	faces, err := ledfont.Faces()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := len([]rune(ledfont.Confusable))
	for _, f := range faces {
		ps := ledfont.ClosestPairs(f, ledfont.Confusable)
		alike := 0
		var closest []string
		for i, p := range ps {
			if p.Lamps == 0 {
				alike++
			}
			if i < 4 {
				closest = append(closest, fmt.Sprintf("%c%c:%d", p.A, p.B, p.Lamps))
			}
		}
		fmt.Printf("vi_letters_min_px font=misc-fixed-%s px=%d letters=%d alike_pairs=%d closest=%s\n",
			f.Name, f.Height(), n, alike, strings.Join(closest, ","))
	}
	min := 0
	var below []string
	for px := 96; px >= 6; px-- {
		same, err := assets.VectorLettersAlike(px)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if len(same) > 0 {
			below = same
			break
		}
		min = px
	}
	fmt.Printf("vi_letters_min_px font=dejavu-sans px_per_em=%d letters=%d (distinct at every size %d…96; at %d alike: %s) used_from_px_per_em=%d\n",
		min, n, min, min-1, strings.Join(below, ","), assets.VectorMinPx)
}
