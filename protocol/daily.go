package protocol

import (
	"math"
	"time"
)

// daily is a set of daily windows on some weekdays and dates: an entry's
// dayparts, or one power or brightness window. A window belongs to the day
// it opens on (its weekday and its dates); Until ≤ From ends the next day.
//
// Windows are found by instants, not by reading the wall clock: a window
// opens at the first instant whose wall clock reads From on its day (in a
// spring-forward gap, the instant the clocks jump; in a fall-back hour,
// the first of the two) and ends likewise at Until, so a day with a
// daylight-saving change has a window 1 h longer or shorter.
type daily struct {
	parts       []part
	weekdays    uint8 // bit d set: ISO weekday d allowed
	first, last int   // allowed opening days (dayNumber), inclusive
}

// part is one window: minutes since midnight; to ≤ from crosses midnight.
type part struct{ from, to int }

func (p part) crosses() bool { return p.to <= p.from }

func newDaily(weekdays []int) daily {
	d := daily{first: math.MinInt, last: math.MaxInt}
	if len(weekdays) == 0 {
		d.weekdays = 0xFE
	}
	for _, wd := range weekdays {
		d.weekdays |= 1 << wd
	}
	return d
}

// allows reports whether a window may open on day number dn.
func (d *daily) allows(dn int) bool {
	return dn >= d.first && dn <= d.last && d.weekdays&(1<<weekdayOf(dn)) != 0
}

// day is a local calendar date and the wall-clock minute of an instant.
type day struct {
	y   int
	m   time.Month
	d   int
	dn  int // dayNumber
	tod int // minutes since local midnight
}

func localDay(tm int64, loc *time.Location) day {
	l := time.UnixMilli(tm).In(loc)
	y, m, d := l.Date()
	h, mi, _ := l.Clock()
	return day{y: y, m: m, d: d, dn: civilDays(y, m, d), tod: h*60 + mi}
}

// dstMargin is more than any daylight-saving shift: a wall clock further
// than this from a window's bounds decides without computing instants.
const dstMargin = 180

// window returns the window that holds at tm (ms since the epoch, whose
// local date and minute are lt): the one that opened first if several do.
func (d *daily) window(tm int64, lt day, loc *time.Location) (start, end int64, ok bool) {
	for _, p := range d.parts {
		// Opened today.
		if d.allows(lt.dn) && lt.tod >= p.from-dstMargin && (p.crosses() || lt.tod < p.to+dstMargin) {
			s := wall(lt.y, lt.m, lt.d, p.from, loc)
			e := wall(lt.y, lt.m, lt.d+btoi(p.crosses()), p.to, loc)
			if s <= tm && tm < e && (!ok || s < start) {
				start, end, ok = s, e, true
			}
		}
		// Opened yesterday, across midnight.
		if p.crosses() && d.allows(lt.dn-1) && lt.tod < p.to+dstMargin {
			s := wall(lt.y, lt.m, lt.d-1, p.from, loc)
			e := wall(lt.y, lt.m, lt.d, p.to, loc)
			if s <= tm && tm < e && (!ok || s < start) {
				start, end, ok = s, e, true
			}
		}
	}
	return start, end, ok
}

// bounds calls f with every window start and end of windows opening on the
// days dayFrom…dayTo (local dates as y, m, d and a count of days).
func (d *daily) bounds(y int, m time.Month, dd, days int, loc *time.Location, f func(int64)) {
	dn := civilDays(y, m, dd)
	for k := 0; k < days; k++ {
		if !d.allows(dn + k) {
			continue
		}
		for _, p := range d.parts {
			f(wall(y, m, dd+k, p.from, loc))
			f(wall(y, m, dd+k+btoi(p.crosses()), p.to, loc))
		}
	}
}

// wall is the first instant (ms) whose wall clock in loc reads minute min
// of day y-m-d (min may be 1440, the next midnight; d may overflow, as in
// time.Date). In a gap it is the instant the clocks jump.
func wall(y int, m time.Month, d, min int, loc *time.Location) int64 {
	t := time.Date(y, m, d, min/60, min%60, 0, 0, loc)
	ty, tmo, td := t.Date()
	h, mi, _ := t.Clock()
	want := civilDays(y, m, 1) + d - 1
	diff := (civilDays(ty, tmo, td)-want)*1440 + h*60 + mi - min
	switch {
	case diff > 0: // after a gap: the jump is where this zone began
		s, _ := t.ZoneBounds()
		return s.UnixMilli()
	case diff < 0: // before a gap: the jump is where this zone ends
		_, e := t.ZoneBounds()
		return e.UnixMilli()
	}
	// In a fall-back hour, prefer the first of the two instants.
	if s, _ := t.ZoneBounds(); !s.IsZero() {
		_, now := t.Zone()
		_, prev := s.Add(-time.Nanosecond).Zone()
		if prev > now {
			if alt := t.Add(-time.Duration(prev-now) * time.Second); alt.Before(s) {
				return alt.UnixMilli()
			}
		}
	}
	return t.UnixMilli()
}

// civilDays counts days from 0001-01-01 (day 0) to y-m-d, proleptic
// Gregorian; m and d may be out of range and are carried as time.Date does
// for d (m must be 1–12).
func civilDays(y int, m time.Month, d int) int {
	// Howard Hinnant's days_from_civil, shifted to 0001-01-01.
	mm := int(m)
	if mm <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (mm + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 306 // 0000-03-01 is day -306 from 0001-01-01
}

// weekdayOf is the ISO weekday (1 = Monday … 7 = Sunday) of a day number.
func weekdayOf(dn int) int {
	// 0001-01-01 was a Monday.
	w := dn % 7
	if w < 0 {
		w += 7
	}
	return w + 1
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
