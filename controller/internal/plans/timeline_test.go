package plans

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// weekPlan is a plan with entries of several priorities and dayparts:
//
//	1  all day, every day, priority 10 (the demo's kind of entry)
//	2  Mon–Fri 07:00–11:00, priority 50: wins over 1 on weekday mornings
//	3  Sat–Sun 20:00–02:00 (across midnight), priority 5: always loses to 1
//	4  Monday 07:30–08:00, priority 50: ties with 2, which has the lower id
//	5  Wednesday 09:00–12:00 on one date only, priority 80: wins over 2, then over 1
//	-9 an urgent notice from Tuesday 14:03:20 to 14:20:05, priority 1000
func weekPlan(t testing.TB, loc *time.Location) *protocol.Plan {
	t.Helper()
	p := &protocol.Plan{Schema: protocol.PlanSchema, Revision: 3, TimeZone: loc.String(), Panel: protocol.Panel{Width: 64, Height: 32}, Fallback: protocol.FallbackBlack}
	durations := map[int64][]int64{1: {10_000, 10_000, 10_000}, 2: {7_000, 13_000}, 3: {5_000}, 4: {9_000, 4_000}, 5: {11_000}, -9: {10_000}}
	for _, id := range []int64{1, 2, 3, 4, 5, -9} {
		pl := protocol.Playlist{ID: id}
		for i, d := range durations[id] {
			a := sha(fmt.Sprint(id, i))
			p.Assets = append(p.Assets, protocol.Asset{SHA256: a, Kind: protocol.AssetImage, Bytes: 1})
			pl.Items = append(pl.Items, protocol.Item{ID: int64(i + 1), Media: id*100 + int64(i), Asset: a, DurationMS: d})
		}
		p.Playlists = append(p.Playlists, pl)
	}
	nb := time.Date(2026, 11, 24, 14, 3, 20, 0, loc)
	na := time.Date(2026, 11, 24, 14, 20, 5, 0, loc)
	p.Entries = []protocol.Entry{
		{ID: 1, Playlist: 1, Priority: 10, From: "00:00", Until: "24:00"},
		{ID: 2, Playlist: 2, Priority: 50, Weekdays: []int{1, 2, 3, 4, 5}, From: "07:00", Until: "11:00"},
		{ID: 3, Playlist: 3, Priority: 5, Weekdays: []int{6, 7}, From: "20:00", Until: "02:00"},
		{ID: 4, Playlist: 4, Priority: 50, Weekdays: []int{1}, From: "07:30", Until: "08:00"},
		{ID: 5, Playlist: 5, Priority: 80, StartDate: "2026-11-25", EndDate: "2026-11-25", From: "09:00", Until: "12:00"},
		{ID: -9, Playlist: -9, Priority: 1000, NotBefore: &nb, NotAfter: &na},
	}
	return p
}

func spanAt(spans []Span, t time.Time) (Span, bool) {
	for _, s := range spans {
		if !t.Before(s.Start) && t.Before(s.End) {
			return s, true
		}
	}
	return Span{}, false
}

func TestTimelineAgreesWithTheEvaluator(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	p := weekPlan(t, loc)
	from := time.Date(2026, 11, 23, 0, 0, 0, 0, loc) // a Monday
	to := from.AddDate(0, 0, 7)
	spans, _, err := Timeline(p, from, to, false)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := protocol.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Each entry alone, with its real items: open at t when At answers.
	alone := map[int64]*protocol.Schedule{}
	for _, e := range p.Entries {
		q := *p
		q.Entries = []protocol.Entry{e}
		if alone[e.ID], err = protocol.Compile(&q); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("samples", func(t *testing.T) {
		n := 0
		for at := from; at.Before(to); at = at.Add(37*time.Second + 130*time.Millisecond) {
			n++
			want, ok := sched.At(at)
			got, found := spanAt(spans, at)
			if ok != found || (ok && !got.has(want.Entry)) {
				t.Fatalf("at %s: evaluator plays entry %d (%v), timeline says %d (%v)", at, want.Entry, ok, got.Entry, found)
			}
			var open, lost []int64
			for id, s := range alone {
				if _, on := s.At(at); on && !got.has(id) {
					open = append(open, id)
				}
			}
			for _, o := range got.Overlapped {
				if !at.Before(o.Start) && at.Before(o.End) {
					lost = append(lost, o.Entry)
				}
			}
			slices.Sort(open)
			slices.Sort(lost)
			if !slices.Equal(open, lost) {
				t.Fatalf("at %s: entries open besides the winner %v, timeline lists as overlapped %v", at, open, lost)
			}
		}
		if n < 16000 {
			t.Fatalf("only %d samples", n)
		}
	})

	t.Run("blocks", func(t *testing.T) {
		mon := func(d, h, m int) time.Time { return time.Date(2026, 11, 23+d, h, m, 0, 0, loc) }
		cases := []struct {
			name       string
			at         time.Time
			entry      int64
			start, end time.Time
			lost       []int64
		}{
			{"all day entry on Monday night, over Sunday's evening entry until 02:00", mon(0, 3, 0), 1, mon(0, 0, 0), mon(0, 7, 0), []int64{3}},
			{"weekday mornings win over all day", mon(0, 7, 15), 2, mon(0, 7, 0), mon(0, 7, 30), []int64{1}},
			{"equal priorities share: the span is the lower id's", mon(0, 7, 45), 2, mon(0, 7, 30), mon(0, 8, 0), []int64{1}},
			{"entry 2 alone again after 08:00", mon(0, 9, 0), 2, mon(0, 8, 0), mon(0, 11, 0), []int64{1}},
			{"back to the all day entry after 11:00", mon(0, 12, 0), 1, mon(0, 11, 0), mon(1, 0, 0), nil},
			{"the urgent notice cuts the day", mon(1, 14, 10), -9, time.Date(2026, 11, 24, 14, 3, 20, 0, loc), time.Date(2026, 11, 24, 14, 20, 5, 0, loc), []int64{1}},
			{"the day resumes after the urgent notice", mon(1, 15, 0), 1, time.Date(2026, 11, 24, 14, 20, 5, 0, loc), mon(2, 0, 0), nil},
			{"the one-date entry interrupts weekday mornings", mon(2, 8, 0), 2, mon(2, 7, 0), mon(2, 9, 0), []int64{1}},
			{"the one-date entry wins over both", mon(2, 10, 0), 5, mon(2, 9, 0), mon(2, 12, 0), []int64{1, 2}},
			{"Saturday evening: the low priority entry loses", mon(5, 21, 0), 1, mon(5, 0, 0), mon(6, 0, 0), []int64{3}},
		}
		for _, c := range cases {
			s, ok := spanAt(spans, c.at)
			if !ok || s.Entry != c.entry || !s.Start.Equal(c.start) || !s.End.Equal(c.end) {
				t.Errorf("%s: got entry %d [%s, %s) (%v), want %d [%s, %s)", c.name, s.Entry, s.Start, s.End, ok, c.entry, c.start, c.end)
				continue
			}
			var lost []int64
			for _, o := range s.Overlapped {
				if !slices.Contains(lost, o.Entry) {
					lost = append(lost, o.Entry)
				}
			}
			slices.Sort(lost)
			if !slices.Equal(lost, c.lost) {
				t.Errorf("%s: overlapped %v, want %v", c.name, lost, c.lost)
			}
		}
		// One block per group and window: Monday is five blocks (1, 2,
		// 2 sharing with 4, 2, 1).
		var monday []int64
		for _, s := range spans {
			if s.Start.Before(mon(1, 0, 0)) {
				monday = append(monday, s.Entry)
			}
		}
		if !slices.Equal(monday, []int64{1, 2, 2, 2, 1}) {
			t.Errorf("Monday's blocks are entries %v, want [1 2 2 2 1]", monday)
		}
		shared, _ := spanAt(spans, mon(0, 7, 45))
		if len(shared.Shares) != 2 || shared.Shares[0].Entry != 2 || shared.Shares[1].Entry != 4 || shared.Shares[1].Weight != 1 {
			t.Errorf("Monday 07:30–08:00 shares %+v, want entries 2 and 4", shared.Shares)
		}
		if alone, _ := spanAt(spans, mon(0, 9, 0)); len(alone.Shares) != 0 {
			t.Errorf("entry 2 alone has shares %+v", alone.Shares)
		}
		// Entry 3 never plays but is shown where it loses, across midnight.
		for _, s := range spans {
			if s.Entry == 3 {
				t.Errorf("entry 3 wins at %s", s.Start)
			}
		}
		sun, _ := spanAt(spans, mon(6, 1, 0))
		if o := sun.Overlapped; len(o) != 2 || o[0].Entry != 3 || !o[0].Start.Equal(mon(6, 0, 0)) || !o[0].End.Equal(mon(6, 2, 0)) ||
			o[1].Entry != 3 || !o[1].Start.Equal(mon(6, 20, 0)) || !o[1].End.Equal(mon(7, 0, 0)) {
			t.Errorf("Sunday: overlapped %+v, want entry 3 from 00:00 to 02:00 and from 20:00", o)
		}
	})

	t.Run("items", func(t *testing.T) {
		dayFrom := time.Date(2026, 11, 24, 6, 0, 0, 0, loc)
		dayTo := dayFrom.Add(12 * time.Hour)
		spans, truncated, err := Timeline(p, dayFrom, dayTo, true)
		if err != nil || truncated {
			t.Fatalf("truncated %v, %v", truncated, err)
		}
		n := 0
		for _, s := range spans {
			prev := s.Start
			for _, it := range s.Items {
				if !it.Start.Equal(prev) || !it.End.After(it.Start) {
					t.Fatalf("entry %d: item at %s does not follow %s", s.Entry, it.Start, prev)
				}
				prev = it.End
				for _, at := range []time.Time{it.Start, it.End.Add(-time.Millisecond)} {
					want, ok := sched.At(at)
					if !ok || want.Entry != it.Entry || !s.has(it.Entry) || want.Index != it.Index || want.Item.Media != it.Media {
						t.Fatalf("at %s: evaluator plays entry %d item %d (media %d), timeline says entry %d item %d (media %d)",
							at, want.Entry, want.Index, want.Item.Media, s.Entry, it.Index, it.Media)
					}
				}
				n++
			}
			if !prev.Equal(s.End) {
				t.Fatalf("entry %d: items end at %s, the span at %s", s.Entry, prev, s.End)
			}
		}
		if n < 12*360 {
			t.Fatalf("%d items in 12 hours of 10 s slides", n)
		}
	})
}

// TestTimelineSaysWhenItemsRunOut: item detail stops at the budget, and
// says so, rather than answering a short list as if it were all.
func TestTimelineSaysWhenItemsRunOut(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	p := weekPlan(t, loc)
	day := time.Date(2026, 11, 24, 6, 0, 0, 0, loc)
	count := func(spans []Span) (n int) {
		for _, s := range spans {
			n += len(s.Items)
		}
		return n
	}
	all, truncated, err := timeline(p, day, day.Add(time.Hour), true, MaxTimelineItems)
	if err != nil || truncated {
		t.Fatalf("an hour of 10 s slides: truncated %v, %v", truncated, err)
	}
	n := count(all)
	for _, c := range []struct {
		budget    int
		truncated bool
	}{{n, false}, {n + 1, false}, {n - 1, true}, {1, true}} {
		spans, truncated, err := timeline(p, day, day.Add(time.Hour), true, c.budget)
		if err != nil || truncated != c.truncated {
			t.Errorf("budget %d of %d items: truncated %v (%v), want %v", c.budget, n, truncated, err, c.truncated)
		}
		if got := count(spans); got != min(n, c.budget) {
			t.Errorf("budget %d of %d items: %d items", c.budget, n, got)
		}
	}

	// The real budget, on a day of one-second slides (86,400 of them).
	fast := &protocol.Plan{Schema: protocol.PlanSchema, Revision: 1, TimeZone: loc.String(), Panel: protocol.Panel{Width: 64, Height: 32}, Fallback: protocol.FallbackBlack,
		Assets:    []protocol.Asset{{SHA256: sha("fast"), Kind: protocol.AssetImage, Bytes: 1}},
		Playlists: []protocol.Playlist{{ID: 1, Items: []protocol.Item{{ID: 1, Media: 7, Asset: sha("fast"), DurationMS: 1000}}}},
		Entries:   []protocol.Entry{{ID: 1, Playlist: 1, Priority: 10, From: "00:00", Until: "24:00"}},
	}
	midnight := time.Date(2026, 11, 24, 0, 0, 0, 0, loc)
	spans, truncated, err := Timeline(fast, midnight, midnight.Add(24*time.Hour), true)
	if err != nil || !truncated || len(spans) != 1 || count(spans) != MaxTimelineItems {
		t.Fatalf("a day of 1 s slides: truncated %v, %d spans, %d items (%v); want truncated at %d", truncated, len(spans), count(spans), err, MaxTimelineItems)
	}
	if last := spans[0].Items[MaxTimelineItems-1]; !last.End.Equal(midnight.Add(MaxTimelineItems * time.Second)) {
		t.Fatalf("the items stop at %s", last.End)
	}
}

func TestTimelineOfDemoDisplayAndGroup(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	d := displayNamed(t, st, "truong-hoc")
	g := *d.GroupID
	scheds, err := st.Schedules(ctx, store.ScheduleFilter{GroupID: g})
	if err != nil || len(scheds) != 1 {
		t.Fatalf("demo schedules of the school group: %v %v", scheds, err)
	}
	demo := scheds[0]
	ap := store.Actor{Name: "test"}
	// Weekday mornings for the school's display alone, above the demo's entry.
	mine, err := st.CreateSchedule(ctx, ap, store.Schedule{PlaylistID: demo.PlaylistID, DisplayID: &d.ID, StartsOn: demo.StartsOn, EndsOn: demo.EndsOn,
		Weekdays: 0x1F, StartTime: "07:00", EndTime: "11:00", Priority: 40})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Now().In(loc)
	monday := time.Date(now.Year(), now.Month(), now.Day()-(int(now.Weekday())+6)%7, 0, 0, 0, 0, loc)
	at := monday.Add(8 * time.Hour)

	p, err := svc.DisplayPreview(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	spans, _, err := Timeline(p, monday, monday.AddDate(0, 0, 7), false)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := spanAt(spans, at)
	if !ok || s.Entry != mine.ID || len(s.Overlapped) != 1 || s.Overlapped[0].Entry != demo.ID {
		t.Fatalf("display on Monday 08:00: %+v (%v), want entry %d over the demo's %d", s, ok, mine.ID, demo.ID)
	}

	// The group's calendar holds the group's entries only.
	gp, shown, err := svc.GroupPreview(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if shown != d.ID {
		t.Fatalf("group preview made for display %d, want %d", shown, d.ID)
	}
	spans, _, err = Timeline(gp, monday, monday.AddDate(0, 0, 7), false)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := spanAt(spans, at); !ok || s.Entry != demo.ID || len(s.Overlapped) != 0 {
		t.Fatalf("group on Monday 08:00: %+v (%v), want the demo's entry %d alone", s, ok, demo.ID)
	}

	// A group without displays still has a calendar.
	empty, err := st.CreateGroup(ctx, ap, "Nhóm trống")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSchedule(ctx, ap, store.Schedule{PlaylistID: demo.PlaylistID, GroupID: &empty.ID, StartsOn: demo.StartsOn, EndsOn: demo.EndsOn,
		Weekdays: 0x7F, StartTime: "18:00", EndTime: "22:00", Priority: 20}); err != nil {
		t.Fatal(err)
	}
	ep, shown, err := svc.GroupPreview(ctx, empty.ID)
	if err != nil || shown != 0 {
		t.Fatalf("empty group preview: display %d, %v", shown, err)
	}
	spans, _, err = Timeline(ep, monday, monday.AddDate(0, 0, 1), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 1 || !spans[0].Start.Equal(monday.Add(18*time.Hour)) || !spans[0].End.Equal(monday.Add(22*time.Hour)) || len(spans[0].Items) != 4*3600/10 {
		t.Fatalf("empty group: %d spans, want one 18:00–22:00 of 10 s items: %+v", len(spans), spans)
	}
	if _, _, err := svc.GroupPreview(ctx, 9999); err == nil {
		t.Fatal("a missing group has a preview")
	}
}

// BenchmarkTimelineMonth is the longest span the API allows, on a plan of
// the test's six entries.
func BenchmarkTimelineMonth(b *testing.B) {
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	p := weekPlan(b, loc)
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	for i := 0; i < b.N; i++ {
		if _, _, err := Timeline(p, from, from.AddDate(0, 0, 31), false); err != nil {
			b.Fatal(err)
		}
	}
}
