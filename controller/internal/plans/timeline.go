package plans

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// Span is a stretch of time in which one schedule entry plays: one block
// per entry and window (a daypart on one day, or an urgent notice's
// interval), cut where a higher priority entry takes over.
type Span struct {
	Start, End time.Time
	Entry      int64 // the plan's entry id: a schedule id, or minus an urgent notice's id
	Playlist   int64 // the plan's playlist id (minus the urgent notice's id for one)
	Priority   int
	// Window is the entry's whole window, of which the span is a part.
	WindowStart, WindowEnd time.Time
	// Overlapped lists the entries whose windows were open during the span
	// too, and lost to this one: when (within the span) and which.
	Overlapped []Overlap
	// Items is what played, item by item (only when asked for).
	Items []ItemSpan
}

// Overlap is an entry that would have played in [Start, End) but lost.
type Overlap struct {
	Start, End time.Time
	Entry      int64
	Playlist   int64
	Priority   int
}

// ItemSpan is one item of a rotation on screen, [Start, End).
type ItemSpan struct {
	Start, End time.Time
	Index      int // in the playlist
	Media      int64
}

// MaxTimelineItems bounds the item-level detail of one timeline.
const MaxTimelineItems = 20000

// Timeline says what the plan plays in [from, to), as the agents' own
// evaluator (protocol.Schedule.At) decides it: the winner at every instant
// is the evaluator's answer, never a re-derivation of the priority, date,
// weekday and daypart rules.
//
// To find windows rather than items, it evaluates a copy of the plan in
// which every playlist is one item longer than any window (48 h): At then
// reports, for the entry that wins, the window's start and end. Each entry
// evaluated alone the same way gives its own windows, which are the
// overlaps. Time is stepped from window end to window end; while an entry
// is off, to the next instant its window can open (its from time of day on
// the next day that has one, or its not_before), where the evaluator is
// asked again. That assumes wall clocks do not skip an entry's from time
// (no daylight saving in the plan's zone, as in Asia/Ho_Chi_Minh).
//
// With items, each span is filled in by stepping the real plan from slot
// end to slot end, at most MaxTimelineItems in all: truncated says that
// the budget ran out before the last span was filled (the spans after
// that point have fewer items than play, or none).
func Timeline(p *protocol.Plan, from, to time.Time, items bool) (spans []Span, truncated bool, err error) {
	return timeline(p, from, to, items, MaxTimelineItems)
}

// timeline is Timeline with a budget of items (a test sets a small one).
func timeline(p *protocol.Plan, from, to time.Time, items bool, budget int) ([]Span, bool, error) {
	if !to.After(from) {
		return nil, false, fmt.Errorf("plans: timeline: %s is not after %s", to, from)
	}
	plan := *p
	plan.Revision = max(plan.Revision, 1) // a preview has no revision yet
	full, err := protocol.Compile(&plan)
	if err != nil {
		return nil, false, fmt.Errorf("plans: timeline: %w", err)
	}
	windows, err := protocol.Compile(windowPlan(&plan, plan.Entries))
	if err != nil {
		return nil, false, fmt.Errorf("plans: timeline: %w", err)
	}
	loc := full.Location()

	// Every entry's windows in [from, to), each from the evaluator.
	type window struct{ start, end time.Time }
	open := map[int64][]window{}
	cuts := []time.Time{from, to}
	for _, e := range plan.Entries {
		alone, err := protocol.Compile(windowPlan(&plan, []protocol.Entry{e}))
		if err != nil {
			return nil, false, fmt.Errorf("plans: timeline: entry %d: %w", e.ID, err)
		}
		for t := from; t.Before(to); {
			if sl, ok := alone.At(t); ok && sl.End.After(t) {
				open[e.ID] = append(open[e.ID], window{sl.Start, sl.End})
				cuts = append(cuts, sl.Start, sl.End)
				t = sl.End
				continue
			}
			t = nextOpening(e, t, loc)
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Before(cuts[j]) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })

	byID := map[int64]protocol.Entry{}
	for _, e := range plan.Entries {
		byID[e.ID] = e
	}
	// Between two cuts no window opens or closes, so the winner is the same
	// throughout; ask the evaluator at the start of each piece. The pieces
	// come in time order and each entry's windows are in time order and
	// disjoint, so one index per entry sweeps its windows once: the work
	// is O(pieces × entries + windows).
	next := make(map[int64]int, len(plan.Entries))
	var out []Span
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		if a.Before(from) || !a.Before(to) {
			continue
		}
		b = minTime(b, to)
		win, ok := windows.At(a)
		if !ok {
			continue
		}
		e := byID[win.Entry]
		var last *Span
		if n := len(out); n > 0 {
			last = &out[n-1]
		}
		if last == nil || last.Entry != e.ID || !last.End.Equal(a) || !last.WindowStart.Equal(win.Start) {
			out = append(out, Span{Start: a, Entry: e.ID, Playlist: e.Playlist, Priority: e.Priority, WindowStart: win.Start, WindowEnd: win.End})
			last = &out[len(out)-1]
		}
		last.End = b
		for _, o := range plan.Entries {
			ws := open[o.ID]
			k := next[o.ID]
			for k < len(ws) && !ws[k].end.After(a) {
				k++
			}
			next[o.ID] = k
			if o.ID == e.ID || k == len(ws) || ws[k].start.After(a) {
				continue
			}
			n := len(last.Overlapped)
			if n > 0 && last.Overlapped[n-1].Entry == o.ID && last.Overlapped[n-1].End.Equal(a) {
				last.Overlapped[n-1].End = b
			} else {
				last.Overlapped = append(last.Overlapped, Overlap{Start: a, End: b, Entry: o.ID, Playlist: o.Playlist, Priority: o.Priority})
			}
		}
	}
	if !items {
		return out, false, nil
	}
	for i := range out {
		sp := &out[i]
		for t := sp.Start; t.Before(sp.End); {
			if budget <= 0 {
				return out, true, nil
			}
			budget--
			sl, ok := full.At(t)
			if !ok || sl.Entry != sp.Entry || !sl.End.After(t) {
				return nil, false, fmt.Errorf("plans: timeline: at %s the evaluator plays entry %d (%v), the window plan says %d", t, sl.Entry, ok, sp.Entry)
			}
			end := minTime(sl.End, sp.End)
			sp.Items = append(sp.Items, ItemSpan{Start: t, End: end, Index: sl.Index, Media: sl.Item.Media})
			t = end
		}
	}
	return out, false, nil
}

// windowLength is longer than any window (a daypart is at most a day,
// 25 h across a daylight saving change), so a slot of the window plan ends
// where its window does.
const windowLength = 48 * time.Hour

// windowPlan is p with only the given entries and every playlist turned
// into one item of windowLength: evaluating it gives windows, not items.
// Which entry wins does not depend on items (an entry with an empty
// playlist stays out, as in p).
func windowPlan(p *protocol.Plan, entries []protocol.Entry) *protocol.Plan {
	q := *p
	q.Entries = entries
	q.Playlists = make([]protocol.Playlist, len(p.Playlists))
	for i, pl := range p.Playlists {
		q.Playlists[i] = protocol.Playlist{ID: pl.ID, Name: pl.Name}
		if len(pl.Items) > 0 {
			it := pl.Items[0]
			it.DurationMS = windowLength.Milliseconds()
			q.Playlists[i].Items = []protocol.Item{it}
		}
	}
	return &q
}

// nextOpening is the next instant after t at which e's window may open:
// its from time of day (tomorrow's, if today's has passed) or its
// not_before. The evaluator says whether it does.
func nextOpening(e protocol.Entry, t time.Time, loc *time.Location) time.Time {
	h, m := 0, 0
	if e.From != "" {
		h, m = int(e.From[0]-'0')*10+int(e.From[1]-'0'), int(e.From[3]-'0')*10+int(e.From[4]-'0')
	}
	l := t.In(loc)
	next := time.Date(l.Year(), l.Month(), l.Day(), h, m, 0, 0, loc)
	if !next.After(t) {
		next = time.Date(l.Year(), l.Month(), l.Day()+1, h, m, 0, 0, loc)
	}
	if nb := e.NotBefore; nb != nil && nb.After(t) && nb.Before(next) {
		next = *nb
	}
	return next
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
