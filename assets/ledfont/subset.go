//go:build ignore

// subset writes the part of a BDF font pano bundles: the glyphs of the
// ranges below (Latin, Vietnamese, punctuation, ₫), keeping the header.
//
//	go run subset.go < 6x13.bdf > fonts/6x13.bdf
//
// The sources are the X.Org misc-fixed fonts as Debian ships them
// (xfonts-base, PCF), turned into BDF with pcf2bdf; see fonts/README.md.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

var ranges = [][2]rune{
	{0x20, 0x7e}, {0xa0, 0x17f}, // Basic Latin, Latin-1, Latin Extended-A
	{0x1a0, 0x1b0},   // Ơ ơ … Ư ư
	{0x1ea0, 0x1ef9}, // Vietnamese letters with marks
	{0x2010, 0x2027}, // dashes, quotes, bullet, ellipsis
	{0x2030, 0x203a}, // per mille, primes, angle quotes
	{0x20ab, 0x20ac}, // ₫ €
	{0x2116, 0x2116}, // №
	{0x2190, 0x2193}, // arrows
}

func keep(r rune) bool {
	for _, rg := range ranges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	var header, glyphs []string
	var cur []string
	n := 0
	inChar, wanted := false, false
	for in.Scan() {
		l := in.Text()
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && f[0] == "STARTCHAR":
			inChar, cur = true, []string{l}
		case inChar:
			cur = append(cur, l)
			if f[0] == "ENCODING" {
				e, _ := strconv.Atoi(f[1])
				wanted = keep(rune(e))
			}
			if f[0] == "ENDCHAR" {
				inChar = false
				if wanted {
					glyphs = append(glyphs, cur...)
					n++
				}
			}
		case len(f) > 0 && (f[0] == "CHARS" || f[0] == "ENDFONT"):
		default:
			header = append(header, l)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, l := range header {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "CHARS %d\n", n)
	for _, l := range glyphs {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "ENDFONT")
	w.Flush()
}
