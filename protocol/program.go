package protocol

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// A Program is a layout of rectangular windows on a panel, in LED pixels
// (issue 11). Media windows show assets the player already plays; live
// windows (clock, date, countdown, ticker) are drawn by the agent at play
// time from the synced clock and the bundled bitmap fonts
// (assets/program), so the clock is right offline and every screen of a
// group shows the same second.
type Program struct {
	Width      int             `json:"width"`
	Height     int             `json:"height"`
	Background string          `json:"background,omitempty"` // "#rrggbb", default black
	Windows    []ProgramWindow `json:"windows"`
}

// Window kinds.
const (
	WindowMedia     = "media"     // an asset (image, video, rotation) fitted to the window
	WindowTicker    = "ticker"    // Text scrolling at Speed px/s
	WindowClock     = "clock"     // the time: Format "15:04" or "15:04:05"
	WindowDate      = "date"      // the date: Format "weekday" ("Thứ Hai, 30/11/2026") or "short" ("30/11/2026")
	WindowCountdown = "countdown" // days to Until: "Còn 12 ngày đến <Text>"
)

// ProgramWindow is one rectangle of a program, drawn in list order (later
// on top).
type ProgramWindow struct {
	Kind       string    `json:"kind"`
	X          int       `json:"x"`
	Y          int       `json:"y"`
	W          int       `json:"w"`
	H          int       `json:"h"`
	Color      string    `json:"color,omitempty"`      // text colour, "#rrggbb", default white
	Background string    `json:"background,omitempty"` // default: the program's
	Text       string    `json:"text,omitempty"`       // ticker: the line; countdown: what it counts to
	Speed      int       `json:"speed,omitempty"`      // ticker: pixels per second, default 2 × H
	Direction  string    `json:"direction,omitempty"`  // ticker: "left" (default) or "right"
	Format     string    `json:"format,omitempty"`     // clock, date
	Until      time.Time `json:"until,omitzero"`       // countdown: the instant counted to
	Asset      string    `json:"asset,omitempty"`      // media: the asset's SHA-256
	// Items make a media window a rotation of its own: each asset plays
	// for its duration, in turn, looping from the program's start; Asset
	// is then empty.
	Items []WindowItem `json:"items,omitempty"`
}

// WindowItem is one slide of a media window's own rotation.
type WindowItem struct {
	Asset      string `json:"asset"`
	DurationMS int64  `json:"duration_ms"`
}

// MaxWindowItems bounds a media window's rotation.
const MaxWindowItems = 100

// Assets are the assets a media window shows: its one, or its rotation's.
func (w ProgramWindow) Assets() []string {
	if w.Asset != "" {
		return []string{w.Asset}
	}
	out := make([]string, len(w.Items))
	for i, it := range w.Items {
		out[i] = it.Asset
	}
	return out
}

// maxProgramSide is the panel limit of Panel.Validate.
const maxProgramSide = 8192

// MaxWindows bounds a program's windows.
const MaxWindows = 16

// MaxTickerRunes bounds a ticker window's text.
const MaxTickerRunes = 2000

// Validate checks a program against its panel: windows inside it, known
// kinds and formats, colours, sizes.
func (p *Program) Validate() error {
	if p.Width < 1 || p.Height < 1 || p.Width > maxProgramSide || p.Height > maxProgramSide {
		return fmt.Errorf("program size %d×%d is outside 1×1 … %d×%d", p.Width, p.Height, maxProgramSide, maxProgramSide)
	}
	if _, ok := ParseHexColor(p.Background); p.Background != "" && !ok {
		return fmt.Errorf("program background %q is not #rrggbb", p.Background)
	}
	if len(p.Windows) > MaxWindows {
		return fmt.Errorf("a program has at most %d windows, not %d", MaxWindows, len(p.Windows))
	}
	for i, w := range p.Windows {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("window %d (%s): %s", i+1, w.Kind, fmt.Sprintf(format, args...))
		}
		// Compared without adding: a window at 2^62 and 2^62 wide would
		// overflow X+W and pass (found by FuzzProgramValidate).
		if w.W < 1 || w.H < 1 || w.X < 0 || w.Y < 0 || w.X > p.Width-w.W || w.Y > p.Height-w.H {
			return bad("%d×%d at %d,%d is not inside the %d×%d panel", w.W, w.H, w.X, w.Y, p.Width, p.Height)
		}
		for _, c := range []string{w.Color, w.Background} {
			if _, ok := ParseHexColor(c); c != "" && !ok {
				return bad("colour %q is not #rrggbb", c)
			}
		}
		if !utf8.ValidString(w.Text) || utf8.RuneCountInString(w.Text) > MaxTickerRunes {
			return bad("the text is not UTF-8 or longer than %d characters", MaxTickerRunes)
		}
		switch w.Kind {
		case WindowMedia:
			if (w.Asset == "") == (len(w.Items) == 0) {
				return bad("a media window shows one asset or a rotation of items, one of the two")
			}
			if len(w.Items) > MaxWindowItems {
				return bad("%d items; a window's rotation has at most %d", len(w.Items), MaxWindowItems)
			}
			for _, it := range w.Items {
				if it.DurationMS < 100 || it.DurationMS > 24*3600*1000 {
					return bad("an item lasts %d ms; from 100 ms to a day", it.DurationMS)
				}
			}
			for _, a := range w.Assets() {
				if !sha256Re.MatchString(a) {
					return bad("asset %q is not a SHA-256", a)
				}
			}
		case WindowTicker:
			if w.Text == "" {
				return bad("a ticker needs its text")
			}
			if w.Speed < 0 || w.Speed > 2000 {
				return bad("speed %d px/s is outside 0…2000", w.Speed)
			}
			if w.Direction != "" && w.Direction != "left" && w.Direction != "right" {
				return bad("direction %q is not left or right", w.Direction)
			}
		case WindowClock:
			if w.Format != "" && w.Format != ClockHM && w.Format != ClockHMS {
				return bad("clock format %q is not %s or %s", w.Format, ClockHM, ClockHMS)
			}
		case WindowDate:
			if w.Format != "" && w.Format != DateWeekday && w.Format != DateShort {
				return bad("date format %q is not %s or %s", w.Format, DateWeekday, DateShort)
			}
		case WindowCountdown:
			if w.Until.IsZero() {
				return bad("a countdown needs the instant it counts to (until)")
			}
		default:
			return bad("unknown kind; use media, ticker, clock, date or countdown")
		}
	}
	return nil
}

// Clock and date formats.
const (
	ClockHM     = "15:04"
	ClockHMS    = "15:04:05"
	DateWeekday = "weekday" // Thứ Hai, 30/11/2026
	DateShort   = "short"   // 30/11/2026
)

// ParseHexColor reads "#rrggbb".
func ParseHexColor(s string) (rgb [3]uint8, ok bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb, false
	}
	for i := range 3 {
		hi, ok1 := hexDigit(s[1+2*i])
		lo, ok2 := hexDigit(s[2+2*i])
		if !ok1 || !ok2 {
			return rgb, false
		}
		rgb[i] = hi<<4 | lo
	}
	return rgb, true
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
