package program

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets/ledfont"
	"github.com/pano-signage/pano/protocol"
)

var hcm = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// ward is the program ward screens run: the campaign slide above, the
// week's notices scrolling below, the time and date in a corner.
func ward(w, h int) *protocol.Program {
	strip := max(h/4, 13) // a line the smallest face holds
	return &protocol.Program{Width: w, Height: h, Windows: []protocol.ProgramWindow{
		{Kind: protocol.WindowMedia, X: 0, Y: 0, W: w * 3 / 4, H: h - strip, Asset: fmt.Sprintf("%064d", 1)},
		{Kind: protocol.WindowClock, X: w * 3 / 4, Y: 0, W: w - w*3/4, H: (h - strip) / 2, Color: "#ffc800"},
		{Kind: protocol.WindowCountdown, X: w * 3 / 4, Y: (h - strip) / 2, W: w - w*3/4, H: (h - strip) / 2, Text: "bầu cử", Until: time.Date(2026, 12, 12, 7, 0, 0, 0, hcm)},
		{Kind: protocol.WindowTicker, X: 0, Y: h - strip, W: w, H: strip, Text: "Nghị quyết 57-NQ/TW: đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia"},
	}}
}

func newLive(t testing.TB, p *protocol.Program) *Live {
	t.Helper()
	l, err := New(p, hcm)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func frame(l *Live, w, h int, now time.Time, elapsed time.Duration) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	l.Draw(img, now, elapsed)
	return img
}

func TestTextsInVietnamese(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	until := time.Date(2026, 12, 12, 7, 0, 0, 0, hcm)
	for _, c := range []struct {
		w    protocol.ProgramWindow
		now  string
		want string
	}{
		{protocol.ProgramWindow{Kind: protocol.WindowClock}, "2026-11-30T07:05:09Z", "14:05"},
		{protocol.ProgramWindow{Kind: protocol.WindowClock, Format: protocol.ClockHMS}, "2026-11-30T07:05:09.999Z", "14:05:09"},
		{protocol.ProgramWindow{Kind: protocol.WindowDate}, "2026-11-30T07:05:09Z", "Thứ Hai, 30/11/2026"},
		// Midnight in Hà Nội is 17:00 UTC the day before.
		{protocol.ProgramWindow{Kind: protocol.WindowDate}, "2026-11-29T16:59:59Z", "Chủ Nhật, 29/11/2026"},
		{protocol.ProgramWindow{Kind: protocol.WindowDate}, "2026-11-29T17:00:00Z", "Thứ Hai, 30/11/2026"},
		{protocol.ProgramWindow{Kind: protocol.WindowDate, Format: protocol.DateShort}, "2026-12-05T03:00:00Z", "05/12/2026"},
		{protocol.ProgramWindow{Kind: protocol.WindowCountdown, Text: "bầu cử", Until: until}, "2026-11-30T07:05:09Z", "Còn 12 ngày đến bầu cử"},
		{protocol.ProgramWindow{Kind: protocol.WindowCountdown, Text: "bầu cử", Until: until}, "2026-12-11T16:59:59Z", "Còn 1 ngày đến bầu cử"},
		{protocol.ProgramWindow{Kind: protocol.WindowCountdown, Text: "bầu cử", Until: until}, "2026-12-11T17:00:00Z", "Hôm nay: bầu cử"},
		{protocol.ProgramWindow{Kind: protocol.WindowCountdown, Text: "bầu cử", Until: until}, "2026-12-12T17:00:00Z", ""},
	} {
		c.w.X, c.w.Y, c.w.W, c.w.H = 0, 0, 128, 16
		l := newLive(t, &protocol.Program{Width: 128, Height: 16, Windows: []protocol.ProgramWindow{c.w}})
		if got := string(l.text(&l.wins[0], at(c.now).In(hcm))); got != c.want {
			t.Errorf("%s %s at %s: %q, want %q", c.w.Kind, c.w.Format, c.now, got, c.want)
		}
	}
}

// The clock changes exactly at each second of the synced clock: one
// nanosecond before the second the old picture, at it the new one, and
// the same picture all through the second.
func TestClockChangesExactlyAtSecondBoundaries(t *testing.T) {
	p := &protocol.Program{Width: 64, Height: 32, Windows: []protocol.ProgramWindow{
		{Kind: protocol.WindowClock, Format: protocol.ClockHMS, X: 0, Y: 0, W: 64, H: 32}}}
	l := newLive(t, p)
	sec := time.Date(2026, 11, 30, 14, 5, 9, 0, hcm)
	before := frame(l, 64, 32, sec.Add(-time.Nanosecond), 0)
	at := frame(l, 64, 32, sec, 0)
	late := frame(l, 64, 32, sec.Add(999_999_999), 0)
	if bytes.Equal(before.Pix, at.Pix) {
		t.Fatal("the clock did not change at the second")
	}
	if !bytes.Equal(at.Pix, late.Pix) {
		t.Fatal("the clock changed within the second")
	}
	// What it draws is the time in the display's zone, in the bundled face.
	want := image.NewRGBA(image.Rect(0, 0, 64, 32))
	fill(want, want.Rect, color.RGBA{A: 255})
	w := l.wins[0]
	w.face.DrawScaled(want, want.Rect, (64-w.face.Width("14:05:09")*w.scale)/2,
		(32-w.face.Height()*w.scale)/2+w.face.Ascent*w.scale, w.scale, "14:05:09", color.RGBA{255, 255, 255, 255})
	if !bytes.Equal(at.Pix, want.Pix) {
		t.Fatal("the clock does not show 14:05:09 as the face draws it")
	}
}

// Windows draw only inside their rectangles; a media window's pixels are
// left to the player.
func TestLiveWindowsStayInside(t *testing.T) {
	for _, sz := range [][2]int{{64, 32}, {128, 64}, {192, 96}, {384, 192}} {
		p := ward(sz[0], sz[1])
		l := newLive(t, p)
		img := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
		sentinel := color.RGBA{1, 2, 3, 4}
		fill(img, img.Rect, sentinel)
		l.Draw(img, time.Date(2026, 11, 30, 14, 5, 9, 0, hcm), 3*time.Second)
		var live []image.Rectangle
		for _, w := range p.Windows[1:] {
			live = append(live, image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H))
		}
		lit := 0
		for y := range sz[1] {
			for x := range sz[0] {
				c := img.RGBAAt(x, y)
				inLive := false
				for _, r := range live {
					inLive = inLive || image.Pt(x, y).In(r)
				}
				if !inLive && c != sentinel {
					t.Fatalf("%v: pixel (%d,%d) outside the live windows was drawn", sz, x, y)
				}
				if inLive && c == sentinel {
					t.Fatalf("%v: pixel (%d,%d) of a live window was not drawn", sz, x, y)
				}
				if c.R > 128 {
					lit++
				}
			}
		}
		if lit < 50 {
			t.Errorf("%v: %d lamps lit", sz, lit)
		}
	}
}

// A ticker is a function of how long its item has been on: two screens
// at the same instant show the same columns, and a second later the text
// has moved by its speed.
func TestTickerMovesAtItsSpeedTheSameOnEveryScreen(t *testing.T) {
	p := &protocol.Program{Width: 128, Height: 16, Windows: []protocol.ProgramWindow{
		{Kind: protocol.WindowTicker, X: 0, Y: 0, W: 128, H: 16, Speed: 40, Text: "Chuyển đổi số quốc gia — đổi mới sáng tạo"}}}
	a, b := newLive(t, p), newLive(t, p)
	now := time.Date(2026, 11, 30, 14, 5, 9, 0, hcm)
	f1 := frame(a, 128, 16, now, 5*time.Second)
	if !bytes.Equal(f1.Pix, frame(b, 128, 16, now.Add(time.Hour), 5*time.Second).Pix) {
		t.Fatal("two screens at the same point of the item differ")
	}
	f2 := frame(a, 128, 16, now, 6*time.Second)
	// f2 is f1 moved 40 columns left.
	for y := range 16 {
		for x := 0; x < 128-40; x++ {
			if f2.RGBAAt(x, y) != f1.RGBAAt(x+40, y) {
				t.Fatalf("after 1 s at 40 px/s, column %d is not column %d of a second before", x, x+40)
			}
		}
	}
}

func TestDrawAllocatesNothing(t *testing.T) {
	p := ward(128, 64)
	l := newLive(t, p)
	img := image.NewRGBA(image.Rect(0, 0, 128, 64))
	now := time.Date(2026, 11, 30, 14, 5, 9, 0, hcm)
	if n := testing.AllocsPerRun(50, func() { l.Draw(img, now, time.Second); now = now.Add(time.Second) }); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}

func TestFacesFitTheirWindows(t *testing.T) {
	p := ward(384, 192)
	l := newLive(t, p)
	for _, w := range l.wins {
		if w.face.Height()*w.scale > w.rect.Dy() {
			t.Errorf("%s: %d px lines in a %d px window", w.w.Kind, w.face.Height()*w.scale, w.rect.Dy())
		}
	}
	if c := l.wins[0]; c.scale < 2 {
		t.Errorf("the clock of a 96×72 window is drawn at scale %d in %s; it should grow", c.scale, c.face.Name)
	}
	if ledfont.MinHeight() == 0 {
		t.Fatal("no faces")
	}
}

// BenchmarkProgramFrame: one frame of the ward program's live windows (a
// clock, a countdown and a ticker) at 128×64 and 384×192.
func BenchmarkProgramFrame(b *testing.B) {
	for _, sz := range [][2]int{{128, 64}, {384, 192}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			l := newLive(b, ward(sz[0], sz[1]))
			img := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
			now := time.Date(2026, 11, 30, 14, 5, 9, 0, hcm)
			b.ReportAllocs()
			var el time.Duration
			for b.Loop() {
				l.Draw(img, now.Add(el), el)
				el += 40 * time.Millisecond
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/frame")
			b.ReportMetric(100*float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(40*time.Millisecond), "%_of_25fps_frame")
		})
	}
}

// Text wider than its window in the smallest face scrolls rather than
// losing its ends; a clock too narrow for its seconds shows the minutes.
func TestTooWideTextScrollsAndClocksDropSeconds(t *testing.T) {
	until := time.Date(2027, 2, 6, 0, 0, 0, 0, hcm)
	p := &protocol.Program{Width: 64, Height: 32, Windows: []protocol.ProgramWindow{
		{Kind: protocol.WindowCountdown, X: 0, Y: 0, W: 40, H: 16, Text: "Tết Nguyên đán", Until: until},
		{Kind: protocol.WindowClock, Format: protocol.ClockHMS, X: 0, Y: 16, W: 32, H: 16},
	}}
	l := newLive(t, p)
	now := time.Date(2026, 11, 30, 14, 5, 9, 0, hcm)
	if got := string(l.text(&l.wins[1], now)); got != "14:05" {
		t.Fatalf("a 32-pixel clock shows %q, want 14:05", got)
	}
	a, b := frame(l, 64, 32, now, time.Second), frame(l, 64, 32, now, 2*time.Second)
	if bytes.Equal(a.SubImage(image.Rect(0, 0, 40, 16)).(*image.RGBA).Pix, b.SubImage(image.Rect(0, 0, 40, 16)).(*image.RGBA).Pix) {
		t.Fatal("a countdown wider than its window stands still")
	}
}

// A live window too low for the smallest face, or a clock too narrow for
// "00:00", shows its background: never letters with their marks or
// digits cut off.
func TestTooSmallWindowsDrawNoCutLetters(t *testing.T) {
	p := &protocol.Program{Width: 64, Height: 32, Windows: []protocol.ProgramWindow{
		{Kind: protocol.WindowTicker, X: 0, Y: 0, W: 64, H: 10, Text: "Nghị quyết"},
		{Kind: protocol.WindowClock, X: 0, Y: 12, W: 20, H: 16, Background: "#000010"},
	}}
	l := newLive(t, p)
	img := frame(l, 64, 32, time.Date(2026, 11, 30, 14, 5, 9, 0, hcm), 3*time.Second)
	for y := range 32 {
		for x := range 64 {
			if c := img.RGBAAt(x, y); c.R != 0 || c.G != 0 {
				t.Fatalf("lamp (%d,%d) lit %v: a window too small for its text drew part of it", x, y, c)
			}
		}
	}
}
