package protocol

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Schedule is a plan compiled for evaluation. It is immutable and safe for
// concurrent use.
//
// The rules, exactly (times are taken to the millisecond):
//
//   - An entry's window holds at t when t is in one of its daily windows
//     (Dayparts, or From/Until) opened on a day its dates and weekdays
//     allow, and in [NotBefore, NotAfter). If two of its windows hold, the
//     one that opened first counts. A window across midnight belongs to the
//     day it opens on.
//   - An item is valid at t when t is in [NotBefore, NotAfter). An entry's
//     loop at t is the items valid at t, in playlist order; its cycle is
//     their total duration. An entry whose window holds but that has no
//     valid item at t is out, as if closed.
//   - At t, of the entries in (open, with a valid item), those of the
//     highest priority form the group that plays. Its members, by id, take
//     turns loop by loop: smooth weighted round robin over their weights
//     (0 = 1) gives a super-cycle of Σw loops (2:1 → A A B, then again;
//     3:2 → A B A B A), each loop as long as its member's cycle at t. The
//     super-cycles run from the group's anchor: the latest window start
//     among its members (the instant the group formed). One member alone is
//     the plain rotation anchored at its window's start.
//   - A slot is cut where it would straddle a validity bound of a member's
//     items, the end of a member's window, or the group's anchor.
//   - AtPlayable: an unplayable item gives its time to the next playable
//     item of the same loop (Skipped counts the items passed over); a
//     member with nothing playable gives its loop to the next member by id
//     that has something (placed in that member's rotation from the loop's
//     start); a group with nothing playable gives way to the next lower
//     priority that has something open.
type Schedule struct {
	plan    *Plan
	loc     *time.Location
	entries []compiledEntry // by priority, highest first; then by ID
	power   []daily
	wakes   [][2]int64 // [NotBefore, NotAfter) of waking entries, ms
	bright  []brightWindow
}

type compiledEntry struct {
	e      Entry
	weight int64
	items  []Item
	days   daily
	nb, na int64   // the entry's NotBefore/NotAfter, ms; open: MinInt64/MaxInt64
	bounds []int64 // item validity bounds, sorted, distinct
	epochs []epoch // len(bounds)+1: epochs[k] is [bounds[k-1], bounds[k])
}

// epoch is a stretch of time in which the same items of an entry are valid.
type epoch struct {
	start, end int64 // ms; open: MinInt64/MaxInt64
	idx        []int // indexes of the valid items in the playlist
	offsets    []int64
	cycle      int64 // 0: no item is valid
}

type brightWindow struct {
	daily
	percent int
}

// Slot says what is on screen at an instant.
type Slot struct {
	Entry    int64 // schedule entry ID: the group member whose loop it is
	Playlist int64
	Index    int // item index within the playlist
	Item     Item
	Start    time.Time // when this item started (anchored to the window), or a bound that cut it
	End      time.Time // when it ends: the item's end, or a bound that cuts it
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
		ce := compiledEntry{e: e, weight: int64(max(e.Weight, 1)), items: playlists[e.Playlist].Items,
			days: newDaily(e.Weekdays), nb: msOr(e.NotBefore, math.MinInt64), na: msOr(e.NotAfter, math.MaxInt64)}
		if len(ce.items) == 0 {
			continue
		}
		if e.StartDate != "" {
			ce.days.first = dayNumber(mustDate(e.StartDate))
		}
		if e.EndDate != "" {
			ce.days.last = dayNumber(mustDate(e.EndDate))
		}
		if len(e.Dayparts) == 0 {
			ce.days.parts = []part{{minutes(e.From, 0), minutes(e.Until, 24*60)}}
		}
		for _, dp := range e.Dayparts {
			ce.days.parts = append(ce.days.parts, part{minutes(dp.From, 0), minutes(dp.Until, 24*60)})
		}
		ce.compileEpochs()
		s.entries = append(s.entries, ce)
		if e.Wake {
			s.wakes = append(s.wakes, [2]int64{ce.nb, ce.na})
		}
	}
	sort.SliceStable(s.entries, func(i, j int) bool {
		a, b := s.entries[i].e, s.entries[j].e
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		return a.ID < b.ID
	})
	for _, w := range p.Power {
		s.power = append(s.power, windowDaily(w))
	}
	for _, b := range p.Brightness {
		s.bright = append(s.bright, brightWindow{windowDaily(b.Window), b.Percent})
	}
	return s, nil
}

func windowDaily(w Window) daily {
	d := newDaily(w.Weekdays)
	d.parts = []part{{minutes(w.From, 0), minutes(w.Until, 24*60)}}
	return d
}

func msOr(t *time.Time, open int64) int64 {
	if t == nil {
		return open
	}
	return t.UnixMilli()
}

// compileEpochs cuts time at every item validity bound and lists, for each
// piece, the items valid throughout it.
func (ce *compiledEntry) compileEpochs() {
	seen := map[int64]bool{}
	for _, it := range ce.items {
		for _, b := range []*time.Time{it.NotBefore, it.NotAfter} {
			if b != nil && !seen[b.UnixMilli()] {
				seen[b.UnixMilli()] = true
				ce.bounds = append(ce.bounds, b.UnixMilli())
			}
		}
	}
	sort.Slice(ce.bounds, func(i, j int) bool { return ce.bounds[i] < ce.bounds[j] })
	for k := 0; k <= len(ce.bounds); k++ {
		ep := epoch{start: math.MinInt64, end: math.MaxInt64}
		if k > 0 {
			ep.start = ce.bounds[k-1]
		}
		if k < len(ce.bounds) {
			ep.end = ce.bounds[k]
		}
		for i, it := range ce.items {
			if msOr(it.NotBefore, math.MinInt64) <= ep.start && ep.end <= msOr(it.NotAfter, math.MaxInt64) {
				ep.idx = append(ep.idx, i)
				ep.offsets = append(ep.offsets, ep.cycle)
				ep.cycle += it.DurationMS
			}
		}
		ce.epochs = append(ce.epochs, ep)
	}
}

// epochAt is the epoch that holds at tm.
func (ce *compiledEntry) epochAt(tm int64) *epoch {
	return &ce.epochs[upper(ce.bounds, tm)]
}

// upper is the number of elements of sorted a that are ≤ v.
func upper(a []int64, v int64) int {
	lo, hi := 0, len(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m] <= v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// window is the entry's window that holds at tm, narrowed to its
// NotBefore/NotAfter.
func (ce *compiledEntry) window(tm int64, lt day, loc *time.Location) (start, end int64, ok bool) {
	if tm < ce.nb || tm >= ce.na {
		return 0, 0, false
	}
	start, end, ok = ce.days.window(tm, lt, loc)
	return max(start, ce.nb), min(end, ce.na), ok
}

// Plan returns the plan the schedule was compiled from.
func (s *Schedule) Plan() *Plan { return s.plan }

// Location is the plan's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// member is an entry of the group that plays at an instant.
type member struct {
	ce         *compiledEntry
	ep         *epoch
	start, end int64 // its window
}

// groupAt collects into buf the group of entries[i:j] (one priority) that
// is in at tm, and returns it with j, where the next priority starts.
func (s *Schedule) groupAt(tm int64, lt day, i int, buf []member) ([]member, int) {
	j := i
	for ; j < len(s.entries) && s.entries[j].e.Priority == s.entries[i].e.Priority; j++ {
		ce := &s.entries[j]
		start, end, ok := ce.window(tm, lt, s.loc)
		if !ok {
			continue
		}
		if ep := ce.epochAt(tm); ep.cycle > 0 {
			buf = append(buf, member{ce: ce, ep: ep, start: start, end: end})
		}
	}
	return buf, j
}

// At returns what is on screen at t, or false when no entry applies.
func (s *Schedule) At(t time.Time) (Slot, bool) {
	return s.AtPlayable(t, nil)
}

// AtPlayable is At, but an item for which playable returns false gives its
// time to the next playable item of the same loop; a member with nothing
// playable gives its loop to the next member; a group with nothing
// playable gives way to the next priority. A nil playable accepts all.
func (s *Schedule) AtPlayable(t time.Time, playable func(asset string) bool) (Slot, bool) {
	tm := t.UnixMilli()
	lt := localDay(tm, s.loc)
	var buf [16]member
	for i := 0; i < len(s.entries); {
		var g []member
		g, i = s.groupAt(tm, lt, i, buf[:0])
		if len(g) == 0 {
			continue
		}
		if slot, ok := s.groupSlot(tm, g, playable); ok {
			return slot, true
		}
	}
	return Slot{}, false
}

// groupSlot places tm in the group's super-cycle.
func (s *Schedule) groupSlot(tm int64, g []member, playable func(string) bool) (Slot, bool) {
	anchor, end := int64(math.MinInt64), int64(math.MaxInt64)
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	var super, weights int64
	for _, m := range g {
		anchor, end = max(anchor, m.start), min(end, m.end)
		lo, hi = max(lo, m.ep.start), min(hi, m.ep.end)
		super += m.ce.weight * m.ep.cycle
		weights += m.ce.weight
	}
	// Which member's loop holds tm, and where that loop starts.
	who, loopStart := 0, int64(0)
	if len(g) == 1 {
		c := g[0].ep.cycle
		loopStart = tm - (tm-anchor)%c
	} else {
		pos := (tm - anchor) % super
		base := tm - pos
		var cur [16]int64
		cw := cur[:0]
		for range g {
			cw = append(cw, 0)
		}
		var acc int64
		for {
			// Smooth weighted round robin: every member gains its weight,
			// the one with the most credit (the lowest id on a tie) plays
			// a loop and pays the total.
			best := 0
			for k := range g {
				cw[k] += g[k].ce.weight
				if cw[k] > cw[best] {
					best = k
				}
			}
			who = best
			cw[who] -= weights
			acc += g[who].ep.cycle
			if acc > pos {
				loopStart = base + acc - g[who].ep.cycle
				break
			}
		}
	}
	loopEnd := loopStart + g[who].ep.cycle
	skipped := 0
	for r := range g {
		m := &g[(who+r)%len(g)]
		ep := m.ep
		rel := tm - loopStart
		if r > 0 { // a loop given by a member with nothing playable
			rel %= ep.cycle
		}
		k := upper(ep.offsets, rel) - 1
		itemStart := tm - rel + ep.offsets[k]
		for n := 0; n < len(ep.idx); n++ {
			i := ep.idx[(k+n)%len(ep.idx)]
			if playable != nil && !playable(m.ce.items[i].Asset) {
				skipped++
				continue
			}
			// The item plays in the time of the one at k (itself, unless
			// that one was passed over).
			start := max(itemStart, lo, anchor, loopStart)
			stop := min(itemStart+m.ce.items[ep.idx[k]].DurationMS, loopEnd, hi, end)
			return Slot{
				Entry: m.ce.e.ID, Playlist: m.ce.e.Playlist, Index: i, Item: m.ce.items[i],
				Start: time.UnixMilli(start).In(s.loc), End: time.UnixMilli(stop).In(s.loc), Skipped: skipped,
			}, true
		}
	}
	return Slot{}, false
}

// AssetsBetween lists the assets that may play in [from, to): first in the
// order they play (stepping through the schedule), then the other items,
// valid at some point of the span, of every entry met on the way (as a
// group member, or under an unplayable item's fallbacks). An agent fetches
// these before they are due.
func (s *Schedule) AssetsBetween(from, to time.Time) []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	met := map[*compiledEntry]bool{}
	var order []*compiledEntry
	var buf [16]member
	for t := from; t.Before(to); {
		tm := t.UnixMilli()
		lt := localDay(tm, s.loc)
		for i := 0; i < len(s.entries); {
			var g []member
			g, i = s.groupAt(tm, lt, i, buf[:0])
			for _, m := range g {
				if !met[m.ce] {
					met[m.ce] = true
					order = append(order, m.ce)
				}
			}
			if len(g) > 0 {
				break
			}
		}
		slot, ok := s.At(t)
		next := t.Truncate(time.Minute).Add(time.Minute) // where a daypart may start
		if ok {
			add(slot.Item.Asset)
			if slot.End.After(t) {
				next = slot.End
			}
		}
		t = next
	}
	fm, tom := from.UnixMilli(), to.UnixMilli()
	for _, ce := range order {
		for _, it := range ce.items {
			if msOr(it.NotBefore, math.MinInt64) < tom && msOr(it.NotAfter, math.MaxInt64) > fm {
				add(it.Asset)
			}
		}
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
	return civilDays(y, m, d)
}

func minutes(hhmm string, empty int) int {
	if hhmm == "" {
		return empty
	}
	return int(hhmm[0]-'0')*600 + int(hhmm[1]-'0')*60 + int(hhmm[3]-'0')*10 + int(hhmm[4]-'0')
}
