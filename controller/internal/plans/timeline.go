package plans

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// DisplayPreview returns the plan the display gets from the store as it is
// now: assembled by the same code as Compile, but neither stored nor pushed
// (storing a revision here would keep RefreshAll from pushing it). It can
// run ahead of the stored plan by the refresh debounce.
func (s *Service) DisplayPreview(ctx context.Context, displayID int64) (*protocol.Plan, error) {
	d, scheds, err := s.st.PlanSources(ctx, displayID)
	if err != nil {
		return nil, err
	}
	return s.assemble(ctx, d, scheds, s.rend)
}

// GroupPreview returns a plan of the group's own entries: the schedules
// that target the group and the live urgent notices for it (or for every
// screen), not the entries of single displays in it.
//
// When the group has displays, the plan is assembled for the one with the
// lowest id, with its panel's renditions: exactly the part of that screen's
// plan that comes from the group (an item not yet rendered for it is left
// out, as on the screen). A group without displays has no panel, so the
// plan is assembled with stand-in assets for every approved item: no agent
// ever gets it, it only lets the calendar show a group being set up. The
// returned display id is 0 then.
func (s *Service) GroupPreview(ctx context.Context, groupID int64) (*protocol.Plan, int64, error) {
	scheds, err := s.st.GroupPlanSources(ctx, groupID)
	if err != nil {
		return nil, 0, err
	}
	ds, err := s.st.Displays(ctx, store.DisplayFilter{GroupID: groupID})
	if err != nil {
		return nil, 0, err
	}
	if len(ds) == 0 {
		gid := groupID
		p, err := s.assemble(ctx, store.Display{Width: 1, Height: 1, GroupID: &gid}, scheds, standIn)
		return p, 0, err
	}
	d := slices.MinFunc(ds, func(a, b store.Display) int { return int(a.ID - b.ID) })
	// Assembled as for no display in particular: the display's panel, but
	// not the urgent notices aimed at that one screen by name, which the
	// group's other screens never play.
	anyone := d
	anyone.ID = 0
	p, err := s.assemble(ctx, anyone, scheds, s.rend)
	return p, d.ID, err
}

// standIn is a rendition function for a plan no panel plays: every
// revision has an asset named after it.
func standIn(_ context.Context, revisionID int64, _, _ int, _ string) (protocol.Asset, error) {
	sum := sha256.Sum256([]byte("pano stand-in rendition " + strconv.FormatInt(revisionID, 10)))
	return protocol.Asset{SHA256: hex.EncodeToString(sum[:]), Kind: protocol.AssetImage, Bytes: 1}, nil
}

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
// end to slot end, at most MaxTimelineItems in all.
func Timeline(p *protocol.Plan, from, to time.Time, items bool) ([]Span, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("plans: timeline: %s is not after %s", to, from)
	}
	plan := *p
	plan.Revision = max(plan.Revision, 1) // a preview has no revision yet
	full, err := protocol.Compile(&plan)
	if err != nil {
		return nil, fmt.Errorf("plans: timeline: %w", err)
	}
	windows, err := protocol.Compile(windowPlan(&plan, plan.Entries))
	if err != nil {
		return nil, fmt.Errorf("plans: timeline: %w", err)
	}
	loc := full.Location()

	// Every entry's windows in [from, to), each from the evaluator.
	type window struct{ start, end time.Time }
	open := map[int64][]window{}
	cuts := []time.Time{from, to}
	for _, e := range plan.Entries {
		alone, err := protocol.Compile(windowPlan(&plan, []protocol.Entry{e}))
		if err != nil {
			return nil, fmt.Errorf("plans: timeline: entry %d: %w", e.ID, err)
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
	// throughout; ask the evaluator at the start of each piece.
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
			if o.ID == e.ID {
				continue
			}
			for _, w := range open[o.ID] {
				if w.start.After(a) || !w.end.After(a) {
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
	}
	if items {
		budget := MaxTimelineItems
		for i := range out {
			sp := &out[i]
			for t := sp.Start; t.Before(sp.End) && budget > 0; budget-- {
				sl, ok := full.At(t)
				if !ok || sl.Entry != sp.Entry || !sl.End.After(t) {
					return nil, fmt.Errorf("plans: timeline: at %s the evaluator plays entry %d (%v), the window plan says %d", t, sl.Entry, ok, sp.Entry)
				}
				end := minTime(sl.End, sp.End)
				sp.Items = append(sp.Items, ItemSpan{Start: t, End: end, Index: sl.Index, Media: sl.Item.Media})
				t = end
			}
		}
	}
	return out, nil
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
