package protocol

import (
	"fmt"
	"sort"
	"time"
)

// Schedule is a plan compiled for evaluation. It is immutable and safe for
// concurrent use.
type Schedule struct {
	plan    *Plan
	loc     *time.Location
	entries []compiledEntry // by priority, highest first; then by ID
}

type compiledEntry struct {
	e          Entry
	items      []Item
	offsets    []int64 // offsets[i] = start of item i within the cycle, ms
	cycle      int64   // total cycle length, ms
	start, end int     // dates as days since 0001-01-01 in the plan's zone; end < 0: no end
	weekdays   uint8   // bit d set: ISO weekday d allowed
	from, to   int     // daypart in minutes since midnight; to may be ≤ from (crosses midnight)
}

// Slot says what is on screen at an instant.
type Slot struct {
	Entry    int64 // schedule entry ID
	Playlist int64
	Index    int // item index within the playlist
	Item     Item
	Start    time.Time // when this item started (wall clock, anchored to the window)
	End      time.Time // when it ends: the item's end or the window's, whichever is first
	Skipped  int       // items passed over because they were not playable
}

// Compile validates the plan and prepares it for Evaluate.
func Compile(p *Plan) (*Schedule, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	loc, _ := time.LoadLocation(p.TimeZone) // checked by Validate
	playlists := make(map[int64]Playlist, len(p.Playlists))
	for _, pl := range p.Playlists {
		playlists[pl.ID] = pl
	}
	s := &Schedule{plan: p, loc: loc}
	for _, e := range p.Entries {
		ce := compiledEntry{e: e, items: playlists[e.Playlist].Items, start: -1 << 31, end: -1}
		for _, it := range ce.items {
			ce.offsets = append(ce.offsets, ce.cycle)
			ce.cycle += it.DurationMS
		}
		if e.StartDate != "" {
			ce.start = dayNumber(mustDate(e.StartDate))
		}
		if e.EndDate != "" {
			ce.end = dayNumber(mustDate(e.EndDate))
		}
		if len(e.Weekdays) == 0 {
			ce.weekdays = 0xFE
		}
		for _, d := range e.Weekdays {
			ce.weekdays |= 1 << d
		}
		ce.from = minutes(e.From, 0)
		ce.to = minutes(e.Until, 24*60)
		if ce.cycle > 0 {
			s.entries = append(s.entries, ce)
		}
	}
	sort.SliceStable(s.entries, func(i, j int) bool {
		a, b := s.entries[i].e, s.entries[j].e
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		return a.ID < b.ID
	})
	return s, nil
}

// Plan returns the plan the schedule was compiled from.
func (s *Schedule) Plan() *Plan { return s.plan }

// Location is the plan's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// At returns what is on screen at t, or false when no entry applies.
func (s *Schedule) At(t time.Time) (Slot, bool) {
	return s.AtPlayable(t, nil)
}

// AtPlayable is At, but an item for which playable returns false gives its
// time to the next playable item of the same playlist; a playlist with no
// playable item gives way to the next entry. A nil playable accepts all.
func (s *Schedule) AtPlayable(t time.Time, playable func(asset string) bool) (Slot, bool) {
	local := t.In(s.loc)
	for i := range s.entries {
		ce := &s.entries[i]
		winStart, winEnd, ok := ce.window(local, s.loc)
		if !ok || !ce.bounded(t, &winStart, &winEnd) {
			continue
		}
		slot, ok := ce.slot(t, winStart, winEnd, playable)
		if ok {
			return slot, true
		}
	}
	return Slot{}, false
}

// window returns the active window of the entry that contains local, if any.
func (ce *compiledEntry) window(local time.Time, loc *time.Location) (time.Time, time.Time, bool) {
	y, m, d := local.Date()
	tod := local.Hour()*60 + local.Minute()
	var day time.Time // the date the window started on
	switch {
	case ce.from < ce.to && tod >= ce.from && tod < ce.to:
		day = time.Date(y, m, d, 0, 0, 0, 0, loc)
	case ce.from >= ce.to && tod >= ce.from: // crosses midnight, evening part
		day = time.Date(y, m, d, 0, 0, 0, 0, loc)
	case ce.from >= ce.to && tod < ce.to: // crosses midnight, morning part
		day = time.Date(y, m, d-1, 0, 0, 0, 0, loc)
	default:
		return time.Time{}, time.Time{}, false
	}
	dn := dayNumber(day)
	if dn < ce.start || (ce.end >= 0 && dn > ce.end) {
		return time.Time{}, time.Time{}, false
	}
	if ce.weekdays&(1<<isoWeekday(day)) == 0 {
		return time.Time{}, time.Time{}, false
	}
	dy, dm, dd := day.Date()
	start := time.Date(dy, dm, dd, ce.from/60, ce.from%60, 0, 0, loc)
	endDay := dd
	if ce.from >= ce.to {
		endDay++
	}
	end := time.Date(dy, dm, endDay, ce.to/60, ce.to%60, 0, 0, loc)
	return start, end, true
}

// bounded narrows the window to the entry's NotBefore/NotAfter and reports
// whether t is still inside.
func (ce *compiledEntry) bounded(t time.Time, start, end *time.Time) bool {
	if nb := ce.e.NotBefore; nb != nil {
		if t.Before(*nb) {
			return false
		}
		if nb.After(*start) {
			*start = *nb
		}
	}
	if na := ce.e.NotAfter; na != nil {
		if !t.Before(*na) {
			return false
		}
		if na.Before(*end) {
			*end = *na
		}
	}
	return true
}

// slot places t in the rotation anchored at the window's start, so every
// display with the same plan shows the same item at the same instant.
func (ce *compiledEntry) slot(t, winStart, winEnd time.Time, playable func(string) bool) (Slot, bool) {
	elapsed := t.Sub(winStart).Milliseconds()
	pos := elapsed % ce.cycle
	cycleStart := elapsed - pos
	i := sort.Search(len(ce.offsets), func(k int) bool { return ce.offsets[k] > pos }) - 1
	slotStart := winStart.Add(time.Duration(cycleStart+ce.offsets[i]) * time.Millisecond)
	slotEnd := slotStart.Add(time.Duration(ce.items[i].DurationMS) * time.Millisecond)
	if slotEnd.After(winEnd) {
		slotEnd = winEnd
	}
	skipped := 0
	idx := i
	for playable != nil && !playable(ce.items[idx].Asset) {
		skipped++
		if skipped == len(ce.items) {
			return Slot{}, false
		}
		idx = (idx + 1) % len(ce.items)
	}
	return Slot{
		Entry: ce.e.ID, Playlist: ce.e.Playlist, Index: idx, Item: ce.items[idx],
		Start: slotStart, End: slotEnd, Skipped: skipped,
	}, true
}

// AssetsBetween lists the assets that may play in [from, to), stepping
// through the schedule; an agent fetches these before they are due.
func (s *Schedule) AssetsBetween(from, to time.Time) []string {
	seen := map[string]bool{}
	var out []string
	for t := from; t.Before(to); {
		slot, ok := s.At(t)
		next := t.Add(time.Minute)
		if ok {
			if !seen[slot.Item.Asset] {
				seen[slot.Item.Asset] = true
				out = append(out, slot.Item.Asset)
			}
			if slot.End.After(t) {
				next = slot.End
			}
		} else {
			// Nothing on: jump to the next minute boundary, where a daypart may start.
			next = t.Truncate(time.Minute).Add(time.Minute)
		}
		t = next
	}
	return out
}

func mustDate(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(fmt.Sprintf("protocol: date %q passed validation: %v", s, err))
	}
	return d
}

// dayNumber counts days since 0001-01-01 of a date's calendar day.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400) + 719162
}

func isoWeekday(t time.Time) int {
	wd := int(t.Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

func minutes(hhmm string, empty int) int {
	if hhmm == "" {
		return empty
	}
	return int(hhmm[0]-'0')*600 + int(hhmm[1]-'0')*60 + int(hhmm[3]-'0')*10 + int(hhmm[4]-'0')
}

// PowerAt reports whether the plan's power windows have the screen on at t
// (always, without windows), and the next instant after t at which that
// changes (zero when it never does).
func (s *Schedule) PowerAt(t time.Time) (on bool, next time.Time) {
	return true, time.Time{} // TODO(schema 2): evaluate p.Power
}

// BrightnessAt returns the level the plan sets at t: the first brightness
// window that holds, else day/night by the sun at the plan's site; ok is
// false when the plan sets none (the panel keeps its profile's level).
// next is the next instant after t at which the level may change (zero:
// never).
func (s *Schedule) BrightnessAt(t time.Time) (percent int, ok bool, next time.Time) {
	return 0, false, time.Time{} // TODO(schema 2): evaluate p.Brightness and p.DayNight
}
