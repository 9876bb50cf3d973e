package pattern

import (
	"image"
	"testing"
)

// FuzzParse: any --pattern spec (also what the controller's test_pattern
// command carries) is either refused with an error or draws any frame on
// any panel, one placed anywhere, without panicking, and lights every
// lamp it owns the same way twice (a pattern is a function of the frame).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"bars", "grid", "gradient", "walk", "solid:#FF8000", "text:CỘT 3", "text:Nghị quyết 57", "solid:#12", "text: "} {
		f.Add(s, 7, uint8(64), uint8(32))
	}
	f.Fuzz(func(t *testing.T, spec string, n int, w, h uint8) {
		p, err := Parse(spec)
		if err != nil {
			if p != nil {
				t.Fatal("a pattern and an error")
			}
			return
		}
		if n < 0 {
			n = -(n + 1) // frame numbers count up from 0
		}
		r := image.Rect(-3, 5, int(w%200)-3+1, 5+int(h%100)+1)
		a, b := image.NewRGBA(r), image.NewRGBA(r)
		p.Draw(a, n)
		p.Draw(a, n+1)
		q, _ := Parse(spec)
		q.Draw(b, n)
		q.Draw(b, n+1)
		if string(a.Pix) != string(b.Pix) {
			t.Fatalf("%q frame %d drew differently twice on %v", spec, n+1, r)
		}
	})
}
