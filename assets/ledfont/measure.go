package ledfont

import (
	"image"
	"sort"
)

// Pair is two letters and how many lamps tell them apart.
type Pair struct {
	A, B  rune
	Lamps int
}

// ClosestPairs measures every pair of letters in f and returns them
// closest first: Lamps 0 means the face draws them alike.
func ClosestPairs(f *Face, letters string) []Pair {
	rs := []rune(letters)
	sets := make([]map[image.Point]bool, len(rs))
	for i, r := range rs {
		sets[i] = map[image.Point]bool{}
		for _, p := range f.Bitmap(r) {
			sets[i][p] = true
		}
	}
	var ps []Pair
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			d := 0
			for p := range sets[i] {
				if !sets[j][p] {
					d++
				}
			}
			for p := range sets[j] {
				if !sets[i][p] {
					d++
				}
			}
			ps = append(ps, Pair{rs[i], rs[j], d})
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Lamps < ps[j].Lamps })
	return ps
}

// Confusable are the letters a reader tells apart by their marks alone:
// the 134 Vietnamese letters and the plain ones they are built on.
const Confusable = VietnameseLetters + "aeiouydAEIOUYD"
