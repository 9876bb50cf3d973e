// Package program draws the live windows of a program (protocol.Program):
// clocks, dates, countdowns and tickers, from the synced clock and the
// bundled bitmap fonts (assets/ledfont). The agent draws them at play time
// and the controller previews a program with this same code, so both
// light the same lamps at the same instant. Drawing a frame allocates
// nothing.
package program

import (
	"image"
	"image/color"
	"strconv"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/pano-signage/pano/assets/ledfont"
	"github.com/pano-signage/pano/protocol"
)

// Live draws one program's live windows, frame after frame.
type Live struct {
	loc  *time.Location
	wins []live
	buf  []byte // scratch for a window's text; reused
}

type live struct {
	w      protocol.ProgramWindow
	rect   image.Rectangle
	fg, bg color.RGBA
	face   *ledfont.Face
	scale  int
	width  int // a ticker's text, in pixels at scale
	speed  int
	narrow bool // a clock with seconds too wide for its window shows hours and minutes
	hidden bool // too low or narrow for any face: the background only
}

// Weekdays in Vietnamese, Sunday first (time.Weekday).
var weekdays = [7]string{"Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}

// IsLive reports whether a window kind is drawn here (not a media window).
func IsLive(kind string) bool { return kind != protocol.WindowMedia }

// New prepares the live windows of p (already valid) for a display in loc.
func New(p *protocol.Program, loc *time.Location) (*Live, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pbg := rgb(p.Background, color.RGBA{A: 255})
	l := &Live{loc: loc, buf: make([]byte, 0, 256)}
	for _, w := range p.Windows {
		if !IsLive(w.Kind) {
			continue
		}
		w.Text = norm.NFC.String(w.Text)
		lw := live{w: w, rect: image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H),
			fg: rgb(w.Color, color.RGBA{255, 255, 255, 255}), bg: rgb(w.Background, pbg)}
		// The largest face and scale whose lines fit the window's height
		// and whose widest text fits its width (a ticker only the height).
		widest := sample(w)
		faces, err := ledfont.Faces()
		if err != nil {
			return nil, err
		}
		for k := max(1, w.H/faces[0].Height()); k >= 1 && lw.face == nil; k-- {
			for i := len(faces) - 1; i >= 0; i-- {
				f := faces[i]
				if f.Height()*k <= w.H && (w.Kind == protocol.WindowTicker || f.Width(widest)*k <= w.W) {
					lw.face, lw.scale = f, k
					break
				}
			}
		}
		if lw.face == nil { // lower or narrower than any face: the smallest
			lw.face, lw.scale = faces[0], 1
			lw.narrow = w.Kind == protocol.WindowClock && w.Format == protocol.ClockHMS && lw.face.Width("00:00:00") > w.W
			// Text is never drawn with its marks or digits cut: a window
			// lower than the smallest face, or a clock narrower than
			// "00:00", shows its background only (the editor says so).
			lw.hidden = lw.face.Height() > w.H || w.Kind == protocol.WindowClock && lw.face.Width("00:00") > w.W
		}
		if w.Kind == protocol.WindowTicker {
			lw.width = lw.face.Width(w.Text) * lw.scale
			lw.speed = w.Speed
			if lw.speed == 0 {
				lw.speed = min(2*w.H, 2000)
			}
		}
		l.wins = append(l.wins, lw)
	}
	return l, nil
}

// sample is the widest text a window shows, for choosing its size.
func sample(w protocol.ProgramWindow) string {
	switch w.Kind {
	case protocol.WindowClock:
		if w.Format == protocol.ClockHMS {
			return "00:00:00"
		}
		return "00:00"
	case protocol.WindowDate:
		if w.Format == protocol.DateShort {
			return "00/00/0000"
		}
		return "Chủ Nhật, 00/00/0000"
	case protocol.WindowCountdown:
		return "Còn 000 ngày đến " + w.Text
	}
	return w.Text
}

func rgb(s string, def color.RGBA) color.RGBA {
	c, ok := protocol.ParseHexColor(s)
	if !ok {
		return def
	}
	return color.RGBA{c[0], c[1], c[2], 255}
}

// Draw draws every live window into dst at now (the synced clock; shown
// in the display's zone); elapsed is how long the program's item has been
// on screen, which places tickers the same on every screen of a group.
func (l *Live) Draw(dst *image.RGBA, now time.Time, elapsed time.Duration) {
	now = now.In(l.loc)
	for i := range l.wins {
		w := &l.wins[i]
		fill(dst, w.rect, w.bg)
		if w.hidden {
			continue
		}
		text := l.text(w, now)
		baseline := w.rect.Min.Y + (w.rect.Dy()-w.face.Height()*w.scale)/2 + w.face.Ascent*w.scale
		if w.w.Kind == protocol.WindowTicker {
			off := scrolled(elapsed, w.speed, w.width+w.rect.Dx())
			x := w.rect.Max.X - off // enters from the right
			if w.w.Direction == "right" {
				x = w.rect.Min.X - w.width + off
			}
			w.face.DrawScaled(dst, w.rect, x, baseline, w.scale, w.w.Text, w.fg)
			continue
		}
		tw := w.face.WidthBytes(text) * w.scale
		x := w.rect.Min.X + (w.rect.Dx()-tw)/2
		if tw > w.rect.Dx() {
			// Wider than its window even in the smallest face: it scrolls
			// as a ticker would, rather than lose its ends.
			x = w.rect.Max.X - scrolled(elapsed, 2*w.rect.Dy(), tw+w.rect.Dx())
		}
		w.face.DrawBytes(dst, w.rect, x, baseline, w.scale, text, w.fg)
	}
}

// scrolled is how far a scrolling text has moved at elapsed, at speed
// pixels per second, around a loop of period pixels.
func scrolled(elapsed time.Duration, speed, period int) int {
	if elapsed < 0 || period <= 0 {
		return 0
	}
	return int(elapsed.Milliseconds() * int64(speed) / 1000 % int64(period))
}

// text formats a clock, date or countdown window's text into l.buf.
func (l *Live) text(w *live, now time.Time) []byte {
	b := l.buf[:0]
	two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
	switch w.w.Kind {
	case protocol.WindowClock:
		b = two(b, now.Hour())
		b = append(b, ':')
		b = two(b, now.Minute())
		if w.w.Format == protocol.ClockHMS && !w.narrow {
			b = append(b, ':')
			b = two(b, now.Second())
		}
	case protocol.WindowDate:
		y, m, d := now.Date()
		if w.w.Format != protocol.DateShort {
			b = append(b, weekdays[now.Weekday()]...)
			b = append(b, ", "...)
		}
		b = two(b, d)
		b = append(b, '/')
		b = two(b, int(m))
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(y), 10)
	case protocol.WindowCountdown:
		switch days := DaysUntil(now, w.w.Until, l.loc); {
		case days > 0:
			b = append(b, "Còn "...)
			b = strconv.AppendInt(b, int64(days), 10)
			b = append(b, " ngày đến "...)
			b = append(b, w.w.Text...)
		case days == 0:
			b = append(b, "Hôm nay: "...)
			b = append(b, w.w.Text...)
		}
		// After the day, nothing: the window shows its background.
	}
	l.buf = b
	return b
}

// DaysUntil is how many calendar days in loc lie from now's date to
// until's date: 0 on the day itself, negative after it.
func DaysUntil(now, until time.Time, loc *time.Location) int {
	y1, m1, d1 := now.In(loc).Date()
	y2, m2, d2 := until.In(loc).Date()
	a := time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)
	b := time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

func fill(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(dst.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := dst.PixOffset(r.Min.X, y)
		for x := r.Min.X; x < r.Max.X; x++ {
			p := dst.Pix[o : o+4 : o+4]
			p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
			o += 4
		}
	}
}
