package protocol

import (
	"math"
	"sort"
	"time"
)

// Where a brightness level comes from (BrightnessBy).
const (
	LevelWindow  = "window"  // a brightness window
	LevelDay     = "day"     // day/night by the sun: sunrise to sunset
	LevelNight   = "night"   // day/night by the sun: sunset to sunrise
	LevelProfile = "profile" // the plan sets none: the panel's own level
)

// horizonDays bounds the search for the next change of power or
// brightness: the windows repeat every week, so a change, if there is one,
// comes within 8 days (the sun aside: see BrightnessBy).
const horizonDays = 9

// PowerAt reports whether the screen is on at t: a power window holds or a
// waking entry (an urgent notice) is open; always, without windows. next
// is the next instant after t at which that changes (zero when it never
// does). Windows cross midnight like dayparts.
func (s *Schedule) PowerAt(t time.Time) (on bool, next time.Time) {
	if len(s.power) == 0 {
		return true, time.Time{}
	}
	tm := t.UnixMilli()
	on = s.powerOn(tm)
	differs := func(c int64) bool { return s.powerOn(c) != on }
	c, ok := s.nextDiff(tm, s.power, false, differs)
	for _, w := range s.wakes {
		for _, b := range w {
			if b > tm && (!ok || b < c) && differs(b) {
				c, ok = b, true
			}
		}
	}
	if !ok {
		return on, time.Time{}
	}
	return on, time.UnixMilli(c).In(s.loc)
}

func (s *Schedule) powerOn(tm int64) bool {
	for _, w := range s.wakes {
		if w[0] <= tm && tm < w[1] {
			return true
		}
	}
	lt := localDay(tm, s.loc)
	for i := range s.power {
		if _, _, ok := s.power[i].window(tm, lt, s.loc); ok {
			return true
		}
	}
	return false
}

// BrightnessAt returns the level the plan sets at t: the first brightness
// window that holds, else day/night by the sun at the plan's site; ok is
// false when the plan sets none (the panel keeps its profile's level).
// next is the next instant after t at which the level changes (zero:
// never).
func (s *Schedule) BrightnessAt(t time.Time) (percent int, ok bool, next time.Time) {
	percent, source, next := s.BrightnessBy(t)
	return percent, source != LevelProfile, next
}

// BrightnessBy is BrightnessAt saying where the level comes from: one of
// LevelWindow, LevelDay, LevelNight or LevelProfile (percent 0: the
// panel's own). On a polar day or night with no change within 9 days, next
// is the local midnight 9 days on, where the level may change.
func (s *Schedule) BrightnessBy(t time.Time) (percent int, source string, next time.Time) {
	if len(s.bright) == 0 && s.plan.DayNight == nil {
		return 0, LevelProfile, time.Time{}
	}
	tm := t.UnixMilli()
	percent, source = s.level(tm)
	windows := make([]daily, len(s.bright))
	for i := range s.bright {
		windows[i] = s.bright[i].daily
	}
	c, ok := s.nextDiff(tm, windows, s.plan.DayNight != nil, func(c int64) bool {
		p, src := s.level(c)
		return p != percent || src != source
	})
	if !ok {
		if s.plan.DayNight == nil {
			return percent, source, time.Time{}
		}
		lt := localDay(tm, s.loc)
		c = wall(lt.y, lt.m, lt.d+horizonDays, 0, s.loc)
	}
	return percent, source, time.UnixMilli(c).In(s.loc)
}

func (s *Schedule) level(tm int64) (int, string) {
	lt := localDay(tm, s.loc)
	for i := range s.bright {
		if _, _, ok := s.bright[i].window(tm, lt, s.loc); ok {
			return s.bright[i].percent, LevelWindow
		}
	}
	dn := s.plan.DayNight
	if dn == nil || s.plan.Site == nil {
		return 0, LevelProfile
	}
	sun := SunOn(*s.plan.Site, lt.y, lt.m, lt.d)
	if sun.PolarDay || (!sun.PolarNight && sun.Rise.UnixMilli() <= tm && tm < sun.Set.UnixMilli()) {
		return dn.Day, LevelDay
	}
	return dn.Night, LevelNight
}

// nextDiff is the first instant after tm, among the bounds of windows (and
// with sun, the sunrises, sunsets and midnights) of the coming days, at
// which differs reports a change.
func (s *Schedule) nextDiff(tm int64, windows []daily, sun bool, differs func(int64) bool) (int64, bool) {
	lt := localDay(tm, s.loc)
	var cand []int64
	add := func(c int64) {
		if c > tm {
			cand = append(cand, c)
		}
	}
	for i := range windows {
		windows[i].bounds(lt.y, lt.m, lt.d-1, horizonDays+1, s.loc, add)
	}
	if sun && s.plan.Site != nil {
		for k := -1; k < horizonDays; k++ {
			add(wall(lt.y, lt.m, lt.d+k, 0, s.loc))
			y, m, d := time.Date(lt.y, lt.m, lt.d+k, 12, 0, 0, 0, time.UTC).Date()
			if sd := SunOn(*s.plan.Site, y, m, d); !sd.Rise.IsZero() {
				add(sd.Rise.UnixMilli())
				add(sd.Set.UnixMilli())
			}
		}
	}
	sort.Slice(cand, func(i, j int) bool { return cand[i] < cand[j] })
	for _, c := range cand {
		if differs(c) {
			return c, true
		}
	}
	return 0, false
}

// OpenEntry is an entry whose window holds at an instant (Open).
type OpenEntry struct {
	Entry    int64
	Playlist int64
	Priority int
	Weight   int // 1 when the entry has none
	// Start and End are the window's, narrowed to the entry's
	// NotBefore/NotAfter.
	Start, End time.Time
	Valid      bool // some item of its rotation is valid at the instant
	Plays      bool // a member of the group that plays (At's, every item playable)
}

// Open lists the entries whose windows hold at t, by priority (highest
// first) and id, with the group that plays marked: the evaluator's own
// view, which At uses, for a timeline to draw.
func (s *Schedule) Open(t time.Time) []OpenEntry {
	tm := t.UnixMilli()
	lt := localDay(tm, s.loc)
	var out []OpenEntry
	plays := false
	for i := 0; i < len(s.entries); {
		g, j := s.groupAt(tm, lt, i, nil)
		for k := i; k < j; k++ {
			ce := &s.entries[k]
			start, end, ok := ce.window(tm, lt, s.loc)
			if !ok {
				continue
			}
			oe := OpenEntry{Entry: ce.e.ID, Playlist: ce.e.Playlist, Priority: ce.e.Priority, Weight: int(ce.weight),
				Start: time.UnixMilli(start).In(s.loc), End: time.UnixMilli(end).In(s.loc), Valid: ce.epochAt(tm).cycle > 0}
			oe.Plays = !plays && oe.Valid
			out = append(out, oe)
		}
		plays = plays || len(g) > 0
		i = j
	}
	return out
}

// NextChange is the first instant in (t, limit] at which an entry's window
// may open or close or an item's validity may begin or end (limit when
// none does): between t and it, Open's answer stays the same.
func (s *Schedule) NextChange(t, limit time.Time) time.Time {
	tm, best := t.UnixMilli(), limit.UnixMilli()
	consider := func(c int64) {
		if c > tm && c < best {
			best = c
		}
	}
	for i := range s.entries {
		ce := &s.entries[i]
		if ce.nb != math.MinInt64 {
			consider(ce.nb)
		}
		if ce.na != math.MaxInt64 {
			consider(ce.na)
		}
		if k := upper(ce.bounds, tm); k < len(ce.bounds) {
			consider(ce.bounds[k])
		}
	}
	lt := localDay(tm, s.loc)
	// Windows opening on a day start at or after its midnight: days are
	// walked until one begins after the best bound found.
	for k := -1; wall(lt.y, lt.m, lt.d+k, 0, s.loc) < best; k++ {
		for i := range s.entries {
			s.entries[i].days.bounds(lt.y, lt.m, lt.d+k, 1, s.loc, consider)
		}
	}
	if best == limit.UnixMilli() {
		// Nothing sooner: limit itself, not limit cut to the millisecond,
		// or a caller stepping until limit would never get there.
		return limit
	}
	return time.UnixMilli(best).In(s.loc)
}
