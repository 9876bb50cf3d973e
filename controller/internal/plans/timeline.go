package plans

import (
	"fmt"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// Span is a stretch of time in which one schedule entry plays, or a group
// of entries of equal priority that share it by weight: one block per
// group and window (a daypart on one day, or an urgent notice's interval),
// cut where a higher priority takes over.
type Span struct {
	Start, End time.Time
	// The entry that plays, or the first of those that share the span
	// (lowest id): the plan's entry id (a schedule id, or minus an urgent
	// notice's id) and playlist (minus the urgent notice's id for one).
	Entry    int64
	Playlist int64
	Priority int
	Weight   int // 1 when the entry has none
	// Window is that entry's whole window, of which the span is a part.
	WindowStart, WindowEnd time.Time
	// Shares lists, by id, the entries that share the span by weight (share
	// of voice) when there are two or more; empty when one plays alone.
	Shares []Share
	// Overlapped lists the entries whose windows were open during the span
	// too (with an item valid), and lost to it: when (within the span) and
	// which.
	Overlapped []Overlap
	// Items is what played, item by item (only when asked for).
	Items []ItemSpan

	windows []time.Time // each member's window start: a new one is a new span
}

// Share is an entry of a span shared by weight.
type Share struct {
	Entry    int64
	Playlist int64
	Priority int
	Weight   int
}

// Overlap is an entry that would have played in [Start, End) but lost.
type Overlap struct {
	Start, End time.Time
	Entry      int64
	Playlist   int64
	Priority   int
	Weight     int
}

// ItemSpan is one item of a rotation on screen, [Start, End).
type ItemSpan struct {
	Start, End time.Time
	Index      int // in the playlist
	Media      int64
	Entry      int64 // whose loop it is (in a shared span, the entries alternate)
	Playlist   int64
}

// MaxTimelineItems bounds the item-level detail of one timeline.
const MaxTimelineItems = 20000

// Timeline says what the plan plays in [from, to), as the agents' own
// evaluator decides it, never re-deriving the priority, date, weekday,
// daypart, validity or share-of-voice rules: time is cut where the
// evaluator says an entry's window may open or close or an item's
// validity may change (Schedule.NextChange), and each piece is described
// by the evaluator's view of it (Schedule.Open: the open entries and the
// group that plays), merged while the group and its windows stay the same.
// Daylight-saving days are the evaluator's too (a window opens at the
// instant its wall clock reads its start).
//
// With items, each span is filled in by stepping the plan from slot end to
// slot end (Schedule.At), at most MaxTimelineItems in all: truncated says
// that the budget ran out before the last span was filled (the spans after
// that point have fewer items than play, or none).
func Timeline(p *protocol.Plan, from, to time.Time, items bool) (spans []Span, truncated bool, err error) {
	return timeline(p, from, to, items, MaxTimelineItems)
}

// compile compiles a preview (which has no revision yet).
func compile(p *protocol.Plan) (*protocol.Schedule, error) {
	plan := *p
	plan.Revision = max(plan.Revision, 1)
	s, err := protocol.Compile(&plan)
	if err != nil {
		return nil, fmt.Errorf("plans: timeline: %w", err)
	}
	return s, nil
}

// timeline is Timeline with a budget of items (a test sets a small one).
func timeline(p *protocol.Plan, from, to time.Time, items bool, budget int) ([]Span, bool, error) {
	if !to.After(from) {
		return nil, false, fmt.Errorf("plans: timeline: %s is not after %s", to, from)
	}
	sched, err := compile(p)
	if err != nil {
		return nil, false, err
	}
	var out []Span
	for a := from; a.Before(to); {
		b := sched.NextChange(a, to)
		var members, lost []protocol.OpenEntry
		for _, o := range sched.Open(a) {
			switch {
			case o.Plays:
				members = append(members, o)
			case o.Valid:
				lost = append(lost, o)
			}
		}
		if len(members) == 0 {
			a = b
			continue
		}
		var last *Span
		if n := len(out); n > 0 && out[n-1].End.Equal(a) && sameGroup(&out[n-1], members) {
			last = &out[n-1]
		} else {
			m := members[0]
			out = append(out, Span{Start: a, Entry: m.Entry, Playlist: m.Playlist, Priority: m.Priority, Weight: m.Weight,
				WindowStart: m.Start, WindowEnd: m.End})
			last = &out[len(out)-1]
			for _, m := range members {
				last.windows = append(last.windows, m.Start)
				if len(members) > 1 {
					last.Shares = append(last.Shares, Share{Entry: m.Entry, Playlist: m.Playlist, Priority: m.Priority, Weight: m.Weight})
				}
			}
		}
		last.End = b
		for _, o := range lost {
			ov := last.Overlapped
			merged := false
			for k := len(ov) - 1; k >= 0 && ov[k].End.Equal(a); k-- {
				if ov[k].Entry == o.Entry {
					ov[k].End, merged = b, true
					break
				}
			}
			if !merged {
				last.Overlapped = append(last.Overlapped, Overlap{Start: a, End: b, Entry: o.Entry, Playlist: o.Playlist, Priority: o.Priority, Weight: o.Weight})
			}
		}
		a = b
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
			sl, ok := sched.At(t)
			if !ok || !sp.has(sl.Entry) || !sl.End.After(t) {
				return nil, false, fmt.Errorf("plans: timeline: at %s the evaluator plays entry %d (%v), the span is entry %d's", t, sl.Entry, ok, sp.Entry)
			}
			end := minTime(sl.End, sp.End)
			sp.Items = append(sp.Items, ItemSpan{Start: t, End: end, Index: sl.Index, Media: sl.Item.Media, Entry: sl.Entry, Playlist: sl.Playlist})
			t = end
		}
	}
	return out, false, nil
}

// sameGroup reports whether members are the span's entries, in the same
// windows.
func sameGroup(sp *Span, members []protocol.OpenEntry) bool {
	if len(members) != len(sp.windows) || (len(members) == 1 && members[0].Entry != sp.Entry) {
		return false
	}
	for i, m := range members {
		if (len(sp.Shares) > 0 && sp.Shares[i].Entry != m.Entry) || !sp.windows[i].Equal(m.Start) {
			return false
		}
	}
	return true
}

// has reports whether entry plays in the span.
func (sp *Span) has(entry int64) bool {
	if entry == sp.Entry {
		return true
	}
	for _, s := range sp.Shares {
		if s.Entry == entry {
			return true
		}
	}
	return false
}

// PowerSpan is a stretch of time in which the screen is on, or off.
type PowerSpan struct {
	Start, End time.Time
	On         bool
}

// LevelSpan is a stretch of time at one brightness level: Source is
// protocol.LevelWindow, LevelDay, LevelNight or LevelProfile (then Percent
// means nothing: the panel keeps its own level).
type LevelSpan struct {
	Start, End time.Time
	Percent    int
	Source     string
}

// SunDay is sunrise and sunset on one local date; both zero on a polar
// day or night.
type SunDay struct {
	Date       string // YYYY-MM-DD
	Rise, Set  time.Time
	PolarDay   bool
	PolarNight bool
}

// Device is what the plan does to the screen itself in [from, to): power
// and brightness, each covering the span without gaps (adjacent pieces
// merged), from the evaluator's PowerAt and BrightnessBy; and, when the
// plan has a site, sunrise and sunset for each local date.
type Device struct {
	Power      []PowerSpan
	Brightness []LevelSpan
	Sun        []SunDay
}

// DeviceTimeline computes Device for p over [from, to).
func DeviceTimeline(p *protocol.Plan, from, to time.Time) (Device, error) {
	var d Device
	if !to.After(from) {
		return d, fmt.Errorf("plans: timeline: %s is not after %s", to, from)
	}
	sched, err := compile(p)
	if err != nil {
		return d, err
	}
	for t := from; t.Before(to); {
		on, next := sched.PowerAt(t)
		end := to
		if !next.IsZero() && next.Before(to) {
			end = next
		}
		if n := len(d.Power); n > 0 && d.Power[n-1].On == on {
			d.Power[n-1].End = end
		} else {
			d.Power = append(d.Power, PowerSpan{Start: t, End: end, On: on})
		}
		t = end
	}
	for t := from; t.Before(to); {
		pc, src, next := sched.BrightnessBy(t)
		if src == protocol.LevelProfile {
			pc = 0
		}
		end := to
		if !next.IsZero() && next.Before(to) {
			end = next
		}
		if n := len(d.Brightness); n > 0 && d.Brightness[n-1].Percent == pc && d.Brightness[n-1].Source == src {
			d.Brightness[n-1].End = end
		} else {
			d.Brightness = append(d.Brightness, LevelSpan{Start: t, End: end, Percent: pc, Source: src})
		}
		t = end
	}
	if p.Site != nil {
		loc := sched.Location()
		last := to.Add(-time.Nanosecond).In(loc)
		for day := from.In(loc); ; day = day.AddDate(0, 0, 1) {
			y, m, dd := day.Date()
			if ly, lm, ld := last.Date(); y > ly || (y == ly && (m > lm || (m == lm && dd > ld))) {
				break
			}
			s := protocol.SunOn(*p.Site, y, m, dd)
			d.Sun = append(d.Sun, SunDay{Date: fmt.Sprintf("%04d-%02d-%02d", y, m, dd), Rise: s.Rise, Set: s.Set, PolarDay: s.PolarDay, PolarNight: s.PolarNight})
		}
	}
	return d, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
