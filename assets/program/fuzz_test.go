package program

import (
	"image"
	"image/color"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// fuzzProgram builds a program from bytes: a panel up to 255×255 and up to
// six windows of any kind, place and size, with text for tickers and
// countdowns.
func fuzzProgram(data []byte, text string) *protocol.Program {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	kinds := []string{protocol.WindowClock, protocol.WindowDate, protocol.WindowCountdown, protocol.WindowTicker, protocol.WindowMedia}
	formats := map[string][]string{
		protocol.WindowClock: {"", protocol.ClockHM, protocol.ClockHMS},
		protocol.WindowDate:  {"", protocol.DateWeekday, protocol.DateShort},
	}
	colors := []string{"", "#ffffff", "#ff0000", "#010203"}
	p := &protocol.Program{Width: 1 + next(), Height: 1 + next(), Background: colors[next()%len(colors)]}
	for range 1 + next()%6 {
		w := protocol.ProgramWindow{Kind: kinds[next()%len(kinds)], X: next(), Y: next(), W: 1 + next(), H: 1 + next(),
			Color: colors[next()%len(colors)], Background: colors[next()%len(colors)], Text: text,
			Speed: next() * 8, Until: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, next()*4-500)}
		if f := formats[w.Kind]; f != nil {
			w.Format = f[next()%len(f)]
		}
		if next()%2 == 1 {
			w.Direction = "right"
		}
		if w.Kind == protocol.WindowMedia {
			w.Asset = "0000000000000000000000000000000000000000000000000000000000000001"
		}
		p.Windows = append(p.Windows, w)
	}
	return p
}

// FuzzDraw: any program Validate accepts, New prepares and Draw draws at any
// instant and any elapsed time without panicking, and draws nothing outside
// its live windows: the panel around them and memory around the panel keep
// what was there.
func FuzzDraw(f *testing.F) {
	f.Add([]byte{127, 63, 3, 0, 96, 0, 31, 15, 1, 0, 0, 0, 0, 1, 3, 0, 48, 127, 15, 0, 0, 5, 0, 0, 0, 2, 96, 16, 31, 15}, "Nghị quyết 57-NQ/TW: chuyển đổi số", 0, 0, 0, 0, int64(1795000000), int64(3*time.Second))
	f.Add([]byte{63, 31, 0, 1, 1, 0, 0, 63, 15, 2, 0, 0, 0, 0, 0, 1, 0, 16, 63, 15, 1, 1, 0, 0, 0}, "bầu cử", 0, 0, 0, 0, int64(1796000000), int64(0))
	f.Add([]byte{7, 3, 2, 3, 0, 0, 7, 3, 0, 0, 0, 250, 0, 0}, "Tết", 0, 0, 0, 0, int64(-1), int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, text string, x, y, w, h int, now, elapsed int64) {
		p := fuzzProgram(data, text)
		if x|y|w|h != 0 {
			p.Windows[0].X, p.Windows[0].Y, p.Windows[0].W, p.Windows[0].H = x, y, w, h
		}
		if p.Validate() != nil {
			if _, err := New(p, hcm); err == nil {
				t.Fatal("New took a program Validate refuses")
			}
			return
		}
		l, err := within(t, func() (*Live, error) { return New(p, hcm) })
		if err != nil {
			t.Fatalf("New refused a valid program: %v", err)
		}
		// The panel is a window into a larger picture.
		const m = 4
		big := image.NewRGBA(image.Rect(-m, -m, p.Width+m, p.Height+m))
		sentinel := color.RGBA{1, 2, 3, 4}
		fill(big, big.Rect, sentinel)
		dst := big.SubImage(image.Rect(0, 0, p.Width, p.Height)).(*image.RGBA)
		_, _ = within(t, func() (*Live, error) {
			l.Draw(dst, time.Unix(now%(1<<40), 0), time.Duration(elapsed))
			l.Draw(dst, time.Unix(now%(1<<40), 0).Add(time.Duration(elapsed)), time.Duration(elapsed)/3)
			return l, nil
		})
		var live []image.Rectangle
		for _, w := range p.Windows {
			if IsLive(w.Kind) {
				live = append(live, image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H))
			}
		}
		for py := big.Rect.Min.Y; py < big.Rect.Max.Y; py++ {
			for px := big.Rect.Min.X; px < big.Rect.Max.X; px++ {
				in := false
				for _, r := range live {
					in = in || image.Pt(px, py).In(r)
				}
				if c := big.RGBAAt(px, py); !in && c != sentinel {
					t.Fatalf("pixel (%d,%d) outside the live windows of the %d×%d panel was drawn: %v", px, py, p.Width, p.Height, c)
				}
			}
		}
	})
}

// within runs f and fails the test if it has not returned in 10 s (a
// fuzzed input that loops must be reported, not hang the fuzzer).
func within(t *testing.T, f func() (*Live, error)) (*Live, error) {
	t.Helper()
	type result struct {
		l   *Live
		err error
		p   any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() { r.p = recover(); done <- r }()
		r.l, r.err = f()
	}()
	select {
	case r := <-done:
		if r.p != nil {
			t.Fatalf("panic: %v", r.p)
		}
		return r.l, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("did not return within 10 s")
		return nil, nil
	}
}
