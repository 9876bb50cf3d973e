package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustCompile(t testing.TB, p *Plan) *Schedule {
	t.Helper()
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tp(v time.Time) *time.Time { return &v }

// clock formats an instant as HH:MM:SS in the plan's zone.
func clock(s *Schedule, v time.Time) string { return v.In(s.Location()).Format(time.TimeOnly) }

func TestDaypartsSeveralWindowsAndAcrossMidnight(t *testing.T) {
	p := testPlan()
	p.Entries = []Entry{{ID: 1, Playlist: 2, Weekdays: []int{5}, // Fridays
		Dayparts: []Daypart{{From: "06:30", Until: "08:30"}, {From: "16:30", Until: "19:00"}, {From: "23:00", Until: "01:00"}}}}
	s := mustCompile(t, p)
	for _, tc := range []struct {
		when       string
		ok         bool
		start, end string // the slot
	}{
		{"2026-11-27 06:29:59", false, "", ""},
		{"2026-11-27 06:30:00", true, "2026-11-27 06:30:00", "2026-11-27 06:30:20"},
		{"2026-11-27 08:29:59", true, "2026-11-27 08:29:40", "2026-11-27 08:30:00"},
		{"2026-11-27 08:30:00", false, "", ""},
		{"2026-11-27 16:30:05", true, "2026-11-27 16:30:00", "2026-11-27 16:30:20"},
		{"2026-11-27 23:00:00", true, "2026-11-27 23:00:00", "2026-11-27 23:00:20"},
		{"2026-11-28 00:59:59", true, "2026-11-28 00:59:40", "2026-11-28 01:00:00"}, // Saturday morning: Friday's window
		{"2026-11-28 01:00:00", false, "", ""},
		{"2026-11-28 06:30:00", false, "", ""}, // Saturday
		{"2026-11-27 00:30:00", false, "", ""}, // Friday morning: Thursday opened nothing
	} {
		slot, ok := s.At(at(tc.when))
		if ok != tc.ok {
			t.Errorf("%s: ok = %v", tc.when, ok)
			continue
		}
		if ok && (!slot.Start.Equal(at(tc.start)) || !slot.End.Equal(at(tc.end))) {
			t.Errorf("%s: slot %v–%v, want %s–%s", tc.when, slot.Start, slot.End, tc.start, tc.end)
		}
	}
}

func TestItemValidity(t *testing.T) {
	p := testPlan()
	// Playlist 1: a 10 s, b 5 s, c 15 s. b is valid from 06:01:00 until 06:02:00.
	p.Playlists[0].Items[1].NotBefore = tp(at("2026-11-28 06:01:00"))
	p.Playlists[0].Items[1].NotAfter = tp(at("2026-11-28 06:02:00"))
	p.Entries = p.Entries[:1] // 06:00–22:00 every day
	s := mustCompile(t, p)
	for _, tc := range []struct {
		when       string
		item       int64
		start, end string
	}{
		// Before: a loop of a and c, 25 s, from 06:00.
		{"06:00:00", 11, "06:00:00", "06:00:10"},
		{"06:00:12", 13, "06:00:10", "06:00:25"},
		{"06:00:50", 11, "06:00:50", "06:01:00"},
		// c would run 06:00:50+10 = 06:01:00 … 06:01:15: cut at b's bound.
		{"06:00:59", 11, "06:00:50", "06:01:00"},
		// From 06:01 the loop is 30 s again, anchored at 06:00: 06:01:00 is a.
		{"06:01:00", 11, "06:01:00", "06:01:10"},
		{"06:01:12", 12, "06:01:10", "06:01:15"},
		{"06:01:59", 13, "06:01:45", "06:02:00"},
		// After: 25 s loop from 06:00; 06:02:00 is 120 s = 4×25+20: c
		// (06:01:50–06:02:05), cut at the bound where it begins.
		{"06:02:00", 13, "06:02:00", "06:02:05"},
		{"06:02:05", 11, "06:02:05", "06:02:15"},
	} {
		slot, ok := s.At(at("2026-11-28 " + tc.when))
		if !ok || slot.Item.ID != tc.item || clock(s, slot.Start) != tc.start || clock(s, slot.End) != tc.end {
			t.Errorf("%s: item %d %s–%s (ok %v), want %d %s–%s", tc.when, slot.Item.ID, clock(s, slot.Start), clock(s, slot.End), ok, tc.item, tc.start, tc.end)
		}
	}
	// An entry with no valid item gives way.
	p = testPlan()
	p.Playlists[1].Items[0].NotAfter = tp(at("2026-11-27 07:10:00"))
	s = mustCompile(t, p)
	if slot, _ := s.At(at("2026-11-27 07:09:59")); slot.Entry != 200 {
		t.Errorf("before expiry: entry %d", slot.Entry)
	}
	if slot, _ := s.At(at("2026-11-27 07:10:00")); slot.Entry != 100 {
		t.Errorf("after expiry: entry %d, want 100", slot.Entry)
	}
	if slot, _ := s.At(at("2026-11-27 07:09:59")); !slot.End.Equal(at("2026-11-27 07:10:00")) {
		t.Errorf("slot before expiry ends %v", slot.End)
	}
}

// sharePlan has two entries of one priority open all day: A (playlist 1,
// 30 s loop) weight wa, B (playlist 2, 20 s loop) weight wb.
func sharePlan(wa, wb int) *Plan {
	p := testPlan()
	p.Entries = []Entry{
		{ID: 7, Playlist: 2, Priority: 5, Weight: wb},
		{ID: 3, Playlist: 1, Priority: 5, Weight: wa},
	}
	return p
}

func TestShareOfVoiceInterleavesByWeight(t *testing.T) {
	s := mustCompile(t, sharePlan(2, 1))
	// Super-cycle: A B A = 30+20+30 = 80 s from midnight.
	var got []string
	for tt := at("2026-11-28 00:00:00"); tt.Before(at("2026-11-28 00:04:00")); {
		slot, ok := s.At(tt)
		if !ok {
			t.Fatal("nothing at", tt)
		}
		if slot.Index == 0 {
			got = append(got, fmt.Sprint(slot.Entry))
		}
		tt = slot.End
	}
	// Smooth weighted round robin: A B A, A B A … (never two loops of B
	// in a row, nor more than two of A).
	if strings.Join(got, " ") != "3 7 3 3 7 3 3 7 3" {
		t.Fatalf("loops %v", got)
	}
	// 3:2 is interleaved (A B A B A), not A A A B B.
	s = mustCompile(t, sharePlan(3, 2))
	got = got[:0]
	for tt := at("2026-11-28 00:00:00"); len(got) < 10; {
		slot, _ := s.At(tt)
		if slot.Index == 0 {
			got = append(got, fmt.Sprint(slot.Entry))
		}
		tt = slot.End
	}
	if strings.Join(got, " ") != "3 7 3 7 3 3 7 3 7 3" {
		t.Fatalf("3:2 loops %v", got)
	}
}

func TestShareOfVoiceOverADay(t *testing.T) {
	for _, w := range [][2]int{{1, 1}, {2, 1}, {5, 3}, {1, 7}} {
		s := mustCompile(t, sharePlan(w[0], w[1]))
		var ms [2]int64
		var loops [2]int
		from := at("2026-11-28 00:00:00")
		for tt := from; tt.Before(from.Add(24 * time.Hour)); {
			slot, _ := s.At(tt)
			k := 0
			if slot.Entry == 7 {
				k = 1
			}
			if slot.Index == 0 {
				loops[k]++
			}
			ms[k] += slot.End.Sub(tt).Milliseconds()
			tt = slot.End
		}
		// Each entry's loops are within one loop of its share of all the
		// loops played (the day ends mid super-cycle).
		n := float64(loops[0] + loops[1])
		for k := range 2 {
			want := n * float64(w[k]) / float64(w[0]+w[1])
			if d := float64(loops[k]) - want; d <= -1 || d >= 1 {
				t.Errorf("weights %v: entry %d played %d loops of %v, want %.2f ± 1", w, k, loops[k], n, want)
			}
		}
		if ms[0]+ms[1] != 86400_000 {
			t.Errorf("weights %v: %d ms covered", w, ms[0]+ms[1])
		}
	}
}

func TestShareOfVoiceAnchorsWhenTheGroupForms(t *testing.T) {
	p := sharePlan(1, 1)
	p.Entries[0].From = "10:00"
	s := mustCompile(t, p)
	// Before 10:00, entry 3 alone, anchored at midnight (30 s loops).
	if slot, _ := s.At(at("2026-11-28 09:59:59")); slot.Entry != 3 || clock(s, slot.Start) != "09:59:45" || clock(s, slot.End) != "10:00:00" {
		t.Errorf("before: %+v", slot)
	}
	// From 10:00 the group {3, 7} starts its super-cycle: 3's loop first.
	if slot, _ := s.At(at("2026-11-28 10:00:00")); slot.Entry != 3 || slot.Index != 0 || clock(s, slot.Start) != "10:00:00" {
		t.Errorf("at 10:00: %+v", slot)
	}
	if slot, _ := s.At(at("2026-11-28 10:00:30")); slot.Entry != 7 || clock(s, slot.End) != "10:00:50" {
		t.Errorf("at 10:00:30: %+v", slot)
	}
	open := s.Open(at("2026-11-28 10:00:30"))
	if len(open) != 2 || !open[0].Plays || !open[1].Plays || open[0].Entry != 3 {
		t.Errorf("open %+v", open)
	}
}

func TestShareOfVoicePlayable(t *testing.T) {
	s := mustCompile(t, sharePlan(1, 1))
	// 00:00:30–00:00:50 is entry 7's loop (its one item, e). Without e,
	// entry 3 plays that loop from its own start: a.
	noE := func(a string) bool { return a != sha('e') }
	slot, ok := s.AtPlayable(at("2026-11-28 00:00:35"), noE)
	if !ok || slot.Entry != 3 || slot.Item.ID != 11 || clock(s, slot.Start) != "00:00:30" || clock(s, slot.End) != "00:00:40" {
		t.Fatalf("given loop: %+v", slot)
	}
	slot, _ = s.AtPlayable(at("2026-11-28 00:00:45"), noE) // c, cut at the loop's end
	if slot.Item.ID != 13 || clock(s, slot.Start) != "00:00:45" || clock(s, slot.End) != "00:00:50" {
		t.Fatalf("given loop, later: %+v", slot)
	}
	// Nothing playable in the group: the lower priority plays.
	p := sharePlan(1, 1)
	p.Entries = append(p.Entries, Entry{ID: 9, Playlist: 2, Priority: 1})
	p.Playlists = append(p.Playlists, Playlist{ID: 3, Items: []Item{{ID: 31, Asset: sha('c'), DurationMS: 1000}}})
	p.Entries[2].Playlist = 3
	s = mustCompile(t, p)
	onlyC := func(a string) bool { return a == sha('c') }
	slot, ok = s.AtPlayable(at("2026-11-28 00:00:35"), onlyC)
	if !ok || slot.Item.Asset != sha('c') {
		t.Fatalf("fall through: %+v %v", slot, ok)
	}
	none := func(a string) bool { return a == sha('x') }
	if _, ok := s.AtPlayable(at("2026-11-28 00:00:35"), none); ok {
		t.Fatal("nothing playable, yet a slot")
	}
}

func TestTransitionsAtBoundariesAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		zone, day, from, until string
		hours                  float64 // length of the window that day
	}{
		{"Europe/Berlin", "2026-03-29", "01:00", "05:00", 3},      // spring forward 02:00 → 03:00
		{"Europe/Berlin", "2026-10-25", "01:00", "05:00", 5},      // fall back 03:00 → 02:00
		{"Europe/Berlin", "2026-03-29", "02:30", "06:00", 3},      // opens in the gap: at the jump (03:00)
		{"America/New_York", "2026-11-01", "01:30", "03:00", 2.5}, // opens at the first 01:30
		{"America/New_York", "2026-03-07", "22:00", "03:00", 4},   // across midnight into spring forward
		{"Asia/Ho_Chi_Minh", "2026-12-31", "22:00", "02:00", 4},   // across the year's end
	} {
		p := testPlan()
		p.TimeZone = tc.zone
		p.Entries = []Entry{{ID: 1, Playlist: 2, From: tc.from, Until: tc.until, StartDate: tc.day, EndDate: tc.day}}
		s := mustCompile(t, p)
		loc := s.Location()
		day, _ := time.ParseInLocation(time.DateOnly, tc.day, loc)
		next := s.NextChange(day, day.Add(48*time.Hour))
		end := s.NextChange(next, day.Add(48*time.Hour))
		if got := end.Sub(next).Hours(); got != tc.hours {
			t.Errorf("%s %s %s–%s: window %v – %v, %v h, want %v", tc.zone, tc.day, tc.from, tc.until, next, end, got, tc.hours)
		}
		for _, b := range []time.Time{next, end} {
			_, before := s.At(b.Add(-time.Millisecond))
			_, after := s.At(b)
			if before == after {
				t.Errorf("%s: no change at %v", tc.zone, b)
			}
		}
		if slot, ok := s.At(next); !ok || !slot.Start.Equal(next) {
			t.Errorf("%s: first slot %+v", tc.zone, slot)
		}
	}
}

func TestPowerWindows(t *testing.T) {
	p := testPlan()
	p.Power = []Window{{From: "05:30", Until: "23:00"}}
	s := mustCompile(t, p)
	for _, tc := range []struct {
		when, next string
		on         bool
	}{
		{"2026-11-28 05:29:59", "2026-11-28 05:30:00", false},
		{"2026-11-28 05:30:00", "2026-11-28 23:00:00", true},
		{"2026-11-28 23:00:00", "2026-11-29 05:30:00", false},
		{"2026-12-31 23:59:59", "2027-01-01 05:30:00", false},
	} {
		on, next := s.PowerAt(at(tc.when))
		if on != tc.on || !next.Equal(at(tc.next)) {
			t.Errorf("%s: on %v next %v, want %v %s", tc.when, on, next, tc.on, tc.next)
		}
	}
	// Overlapping windows and one across midnight on Fridays: off only Friday 03:00–04:00.
	p.Power = []Window{{From: "04:00", Until: "03:00"}, {Weekdays: []int{5}, From: "02:00", Until: "03:00"}}
	s = mustCompile(t, p)
	on, next := s.PowerAt(at("2026-11-27 02:30:00"))
	if !on || !next.Equal(at("2026-11-27 03:00:00")) {
		t.Errorf("Friday 02:30: %v %v", on, next)
	}
	on, next = s.PowerAt(at("2026-11-27 03:00:00"))
	if on || !next.Equal(at("2026-11-27 04:00:00")) {
		t.Errorf("Friday 03:00: %v %v", on, next)
	}
	// Across Berlin's spring-forward night: off 23:00–05:30 is an hour shorter.
	p.TimeZone = "Europe/Berlin"
	p.Power = []Window{{From: "05:30", Until: "23:00"}}
	s = mustCompile(t, p)
	off := time.Date(2026, 3, 28, 23, 0, 0, 0, s.Location())
	if on, next := s.PowerAt(off); on || next.Sub(off) != 5*time.Hour+30*time.Minute {
		t.Errorf("Berlin 28 March 23:00: on %v, back on %v", on, next)
	}
	if on, _ := s.PowerAt(off.Add(-time.Millisecond)); !on {
		t.Error("Berlin 28 March 22:59:59.999: off")
	}
	p.TimeZone = "Asia/Ho_Chi_Minh"
	// Always on.
	p.Power = []Window{{From: "00:00", Until: "24:00"}}
	s = mustCompile(t, p)
	if on, next := s.PowerAt(at("2026-11-27 03:00:00")); !on || !next.IsZero() {
		t.Errorf("all day: %v %v", on, next)
	}
	p.Power = nil
	s = mustCompile(t, p)
	if on, next := s.PowerAt(at("2026-11-27 03:00:00")); !on || !next.IsZero() {
		t.Errorf("no windows: %v %v", on, next)
	}
}

// TestUrgentNoticeWakesAScreenThatIsOff: a waking entry (an urgent
// notice) lights the screen in the power windows' off hours, for its
// interval, and plays; PowerAt's next instants are its bounds.
func TestUrgentNoticeWakesAScreenThatIsOff(t *testing.T) {
	p := testPlan()
	p.Power = []Window{{From: "05:30", Until: "23:00"}}
	nb, na := at("2026-11-28 01:00:00"), at("2026-11-28 01:20:00")
	p.Playlists = append(p.Playlists, Playlist{ID: -9, Items: []Item{{ID: 1, Asset: sha('e'), DurationMS: 10_000}}})
	p.Entries = append(p.Entries, Entry{ID: -9, Playlist: -9, Priority: 1000, NotBefore: &nb, NotAfter: &na, Wake: true})
	s := mustCompile(t, p)
	for _, tc := range []struct {
		when, next string
		on         bool
	}{
		{"2026-11-28 00:30:00", "2026-11-28 01:00:00", false},
		{"2026-11-28 01:00:00", "2026-11-28 01:20:00", true},
		{"2026-11-28 01:19:59", "2026-11-28 01:20:00", true},
		{"2026-11-28 01:20:00", "2026-11-28 05:30:00", false},
		{"2026-11-28 12:00:00", "2026-11-28 23:00:00", true},
	} {
		on, next := s.PowerAt(at(tc.when))
		if on != tc.on || !next.Equal(at(tc.next)) {
			t.Errorf("%s: on %v next %v, want %v %s", tc.when, on, next, tc.on, tc.next)
		}
	}
	if sl, ok := s.At(at("2026-11-28 01:05:00")); !ok || sl.Entry != -9 {
		t.Errorf("01:05: %+v %v, want the urgent notice", sl, ok)
	}
	// Without Wake the notice waits for the power window like the rest.
	p.Entries[len(p.Entries)-1].Wake = false
	if on, _ := mustCompile(t, p).PowerAt(at("2026-11-28 01:05:00")); on {
		t.Error("a notice that does not wake lit the screen")
	}
	// A waking entry needs its interval, and says schema 2.
	p.Entries[len(p.Entries)-1].Wake, p.Entries[len(p.Entries)-1].NotAfter = true, nil
	if err := p.Validate(); err == nil {
		t.Error("a waking entry without not_after passed validation")
	}
	p.Entries[len(p.Entries)-1].NotAfter = &na
	if p.Power = nil; p.NeededSchema() != 2 {
		t.Error("wake does not need schema 2")
	}
}

func TestBrightness(t *testing.T) {
	p := testPlan()
	if _, ok, next := mustCompile(t, p).BrightnessAt(at("2026-11-28 12:00:00")); ok || !next.IsZero() {
		t.Fatal("no brightness rules, yet a level")
	}
	p.Site = &Site{Latitude: 21.0285, Longitude: 105.8542} // Hà Nội
	p.DayNight = &DayNight{Day: 100, Night: 40}
	p.Brightness = []BrightnessWindow{{Window: Window{From: "22:00", Until: "05:00"}, Percent: 20}}
	s := mustCompile(t, p)
	sun := SunOn(*p.Site, 2026, 11, 28)
	pc, src, next := s.BrightnessBy(at("2026-11-28 12:00:00"))
	if pc != 100 || src != LevelDay || !next.Equal(sun.Set) {
		t.Errorf("noon: %d %s %v, want 100 day %v", pc, src, next, sun.Set)
	}
	pc, src, next = s.BrightnessBy(sun.Set)
	if pc != 40 || src != LevelNight || !next.Equal(at("2026-11-28 22:00:00")) {
		t.Errorf("sunset: %d %s %v", pc, src, next)
	}
	pc, src, next = s.BrightnessBy(at("2026-11-28 23:00:00"))
	if pc != 20 || src != LevelWindow || !next.Equal(at("2026-11-29 05:00:00")) {
		t.Errorf("night window: %d %s %v", pc, src, next)
	}
	rise := SunOn(*p.Site, 2026, 11, 29).Rise
	pc, _, next = s.BrightnessBy(at("2026-11-29 05:00:00"))
	if pc != 40 || !next.Equal(rise) {
		t.Errorf("05:00: %d next %v, want %v", pc, next, rise)
	}
	// Polar night in Tromsø: night all day, and a next to look again.
	p.TimeZone = "Europe/Oslo"
	p.Site = &Site{Latitude: 69.6492, Longitude: 18.9553}
	p.Brightness = nil
	s = mustCompile(t, p)
	pc, src, next = s.BrightnessBy(time.Date(2026, 12, 21, 11, 0, 0, 0, time.UTC))
	if pc != 40 || src != LevelNight || next.IsZero() {
		t.Errorf("polar night: %d %s %v", pc, src, next)
	}
}

func TestDeterministicAndCovered(t *testing.T) {
	// Two agents: each decodes the plan from the wire and compiles its own.
	data, err := json.Marshal(propertyPlan("Europe/Berlin"))
	if err != nil {
		t.Fatal(err)
	}
	var pa, pb Plan
	if err := json.Unmarshal(data, &pa); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pb); err != nil {
		t.Fatal(err)
	}
	a, b := mustCompile(t, &pa), mustCompile(t, &pb)
	from := time.Date(2026, 3, 27, 0, 0, 0, 0, a.Location())
	to := from.Add(4 * 24 * time.Hour)
	for tt := from; tt.Before(to); tt = tt.Add(37 * time.Second) {
		sa, oka := a.At(tt)
		sb, okb := b.At(tt)
		if oka != okb || sa.Entry != sb.Entry || sa.Index != sb.Index || !sa.Start.Equal(sb.Start) || !sa.End.Equal(sb.End) {
			t.Fatalf("%v: %+v vs %+v", tt, sa, sb)
		}
		checkSlot(t, a, tt, sa, oka)
	}
}

// TestOpenAgainstANaiveReading checks the evaluator's windows against a
// plain reading of the rules (in zones without daylight saving, where
// time.Date is exact): an entry is open at t if one of its windows, opened
// on t's local date or the day before on an allowed weekday and date,
// holds t; the slot's entry has the highest priority among open entries
// with a valid item.
func TestOpenAgainstANaiveReading(t *testing.T) {
	for _, zone := range []string{"Asia/Ho_Chi_Minh", "UTC"} {
		p := propertyPlan(zone)
		// Entries 2 and 4 have nothing valid until Friday 12:00 UTC.
		p.Playlists[1].Items[0].NotBefore = tp(time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC))
		s := mustCompile(t, p)
		loc := s.Location()
		from := time.Date(2026, 3, 26, 0, 0, 0, 0, loc)
		for tt := from; tt.Before(from.Add(5 * 24 * time.Hour)); tt = tt.Add(59*time.Second + 300*time.Millisecond) {
			want := map[int64]bool{}
			best, any := 0, false
			for _, e := range p.Entries {
				if naiveOpen(e, tt, loc) {
					want[e.ID] = true
					if valid := naiveValid(p, e, tt); valid && (!any || e.Priority > best) {
						best, any = e.Priority, true
					}
				}
			}
			got := map[int64]bool{}
			for _, o := range s.Open(tt) {
				got[o.Entry] = true
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s %v: open %v, want %v", zone, tt, got, want)
			}
			slot, ok := s.At(tt)
			if ok != any {
				t.Fatalf("%s %v: ok %v", zone, tt, ok)
			}
			for _, e := range p.Entries {
				if ok && e.ID == slot.Entry && e.Priority != best {
					t.Fatalf("%s %v: entry %d of priority %d plays, the best open is %d", zone, tt, e.ID, e.Priority, best)
				}
			}
		}
	}
}

func naiveOpen(e Entry, tt time.Time, loc *time.Location) bool {
	parts := e.Dayparts
	if len(parts) == 0 {
		parts = []Daypart{{From: e.From, Until: e.Until}}
	}
	l := tt.In(loc)
	for back := 0; back <= 1; back++ {
		day := time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, loc)
		ds := day.Format(time.DateOnly)
		if (e.StartDate != "" && ds < e.StartDate) || (e.EndDate != "" && ds > e.EndDate) {
			continue
		}
		wd := (int(day.Weekday())+6)%7 + 1
		if len(e.Weekdays) > 0 && !slicesContains(e.Weekdays, wd) {
			continue
		}
		for _, dp := range parts {
			f, u := minutes(dp.From, 0), minutes(dp.Until, 1440)
			start := day.Add(time.Duration(f) * time.Minute)
			end := day.Add(time.Duration(u) * time.Minute)
			if u <= f {
				end = end.Add(24 * time.Hour)
			}
			if !tt.Before(start) && tt.Before(end) {
				return true
			}
		}
	}
	return false
}

func naiveValid(p *Plan, e Entry, tt time.Time) bool {
	for _, pl := range p.Playlists {
		if pl.ID != e.Playlist {
			continue
		}
		for _, it := range pl.Items {
			if (it.NotBefore == nil || !tt.Before(*it.NotBefore)) && (it.NotAfter == nil || tt.Before(*it.NotAfter)) {
				return true
			}
		}
	}
	return false
}

func slicesContains(a []int, v int) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// propertyPlan has dayparts, weights, validity, and midnights.
func propertyPlan(zone string) *Plan {
	p := testPlan()
	p.TimeZone = zone
	p.Playlists[0].Items[2].NotBefore = tp(time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC))
	p.Playlists[0].Items[2].NotAfter = tp(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC))
	p.Entries = []Entry{
		{ID: 1, Playlist: 1, Priority: 1},
		{ID: 2, Playlist: 2, Priority: 5, Weight: 2, Dayparts: []Daypart{{From: "06:00", Until: "09:00"}, {From: "22:30", Until: "02:30"}}},
		{ID: 3, Playlist: 1, Priority: 5, Weight: 1, Weekdays: []int{6, 7}, From: "01:00", Until: "12:00"},
		{ID: 4, Playlist: 2, Priority: 9, StartDate: "2026-03-29", EndDate: "2026-03-29", From: "02:15", Until: "03:15"},
	}
	return p
}

// checkSlot: the slot holds t, and its entry has the highest priority of
// the open entries that have a valid item.
func checkSlot(t *testing.T, s *Schedule, tt time.Time, slot Slot, ok bool) {
	t.Helper()
	open := s.Open(tt)
	best, any := -1<<31, false
	for _, o := range open {
		if o.Valid && (!any || o.Priority > best) {
			best, any = o.Priority, true
		}
	}
	if ok != any {
		t.Fatalf("%v: ok %v, open %+v", tt, ok, open)
	}
	if !ok {
		return
	}
	if slot.Start.After(tt) || !slot.End.After(tt) || !slot.Start.Before(slot.End) {
		t.Fatalf("%v: slot %v–%v does not hold it", tt, slot.Start, slot.End)
	}
	found := false
	for _, o := range open {
		if o.Entry == slot.Entry {
			found = o.Priority == best && o.Plays
		}
	}
	if !found {
		t.Fatalf("%v: entry %d plays, open %+v", tt, slot.Entry, open)
	}
}

func TestMonthAndYearEnds(t *testing.T) {
	p := testPlan()
	p.Entries = []Entry{
		{ID: 1, Playlist: 1, Priority: 1},
		{ID: 2, Playlist: 2, Priority: 2, StartDate: "2026-12-31", EndDate: "2026-12-31", From: "23:00", Until: "01:00"},
		{ID: 3, Playlist: 2, Priority: 2, StartDate: "2027-02-28", EndDate: "2027-02-28", Dayparts: []Daypart{{From: "23:59", Until: "00:01"}}},
	}
	s := mustCompile(t, p)
	for when, want := range map[string]int64{
		"2026-12-31 22:59:59": 1, "2026-12-31 23:00:00": 2, "2027-01-01 00:59:59": 2, "2027-01-01 01:00:00": 1,
		"2027-02-28 23:58:59": 1, "2027-02-28 23:59:00": 3, "2027-03-01 00:00:59": 3, "2027-03-01 00:01:00": 1,
	} {
		if slot, _ := s.At(at(when)); slot.Entry != want {
			t.Errorf("%s: entry %d, want %d", when, slot.Entry, want)
		}
	}
}

func TestAssetsBetweenIncludesLaterValidityAndMembers(t *testing.T) {
	p := sharePlan(1, 1)
	p.Playlists[0].Items[2].NotBefore = tp(at("2026-11-28 06:00:00"))
	s := mustCompile(t, p)
	got := s.AssetsBetween(at("2026-11-28 05:00:00"), at("2026-11-28 05:00:01"))
	if len(got) != 3 { // a, b (3's loop at 05:00), e (member 7); c from 06:00 is later
		t.Errorf("1 s: %d assets %v", len(got), got)
	}
	got = s.AssetsBetween(at("2026-11-28 05:00:00"), at("2026-11-28 07:00:00"))
	if len(got) != 4 {
		t.Errorf("2 h: %d assets", len(got))
	}
}

func TestCivilDays(t *testing.T) {
	for d := time.Date(1999, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2031; d = d.AddDate(0, 0, 1) {
		dn := int(d.Unix()/86400) + 719162
		if got := civilDays(d.Date()); got != dn {
			t.Fatalf("%v: %d, want %d", d, got, dn)
		}
		wd := int(d.Weekday())
		if wd == 0 {
			wd = 7
		}
		if weekdayOf(dn) != wd {
			t.Fatalf("%v: weekday %d, want %d", d, weekdayOf(dn), wd)
		}
	}
}

func BenchmarkAt(b *testing.B) {
	s, _ := Compile(propertyPlan("Asia/Ho_Chi_Minh"))
	t0 := time.Date(2026, 3, 28, 7, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.At(t0.Add(time.Duration(i) * 997 * time.Millisecond))
	}
}

func TestAtDoesNotAllocate(t *testing.T) {
	s := mustCompile(t, propertyPlan("Europe/Berlin"))
	t0 := time.Date(2026, 3, 28, 7, 0, 0, 0, time.UTC)
	i := 0
	if n := testing.AllocsPerRun(1000, func() { s.At(t0.Add(time.Duration(i) * 7 * time.Second)); i++ }); n != 0 {
		t.Fatalf("At allocates %v times", n)
	}
}

// TestEqualPrioritiesThatMayMeetNeedSchemaTwo: schema 1 agents gave an
// overlap of equal priorities to the lower id, schema 2 agents share it;
// a plan in which that can happen must not be written as schema 1.
func TestEqualPrioritiesThatMayMeetNeedSchemaTwo(t *testing.T) {
	t1, t2, t3 := at("2026-11-28 08:00:00"), at("2026-11-28 09:00:00"), at("2026-11-28 10:00:00")
	for _, tc := range []struct {
		name string
		a, b Entry
		want int
	}{
		{"different priorities", Entry{ID: 1, Priority: 10}, Entry{ID: 2, Priority: 20}, 1},
		{"same priority, open dates", Entry{ID: 1}, Entry{ID: 2, From: "08:00", Until: "09:00"}, 2},
		{"same priority, months apart", Entry{ID: 1, EndDate: "2026-11-30"}, Entry{ID: 2, StartDate: "2027-01-01"}, 1},
		{"same priority, the next day (a window across midnight reaches it)", Entry{ID: 1, EndDate: "2026-11-30", From: "22:00", Until: "02:00"}, Entry{ID: 2, StartDate: "2026-12-01"}, 2},
		{"urgent notices one after the other", Entry{ID: -1, NotBefore: &t1, NotAfter: &t2}, Entry{ID: -2, NotBefore: &t2, NotAfter: &t3}, 1},
		{"urgent notices at once", Entry{ID: -1, NotBefore: &t1, NotAfter: &t3}, Entry{ID: -2, NotBefore: &t2, NotAfter: &t3}, 2},
	} {
		p := Plan{Entries: []Entry{tc.a, tc.b}}
		if got := p.NeededSchema(); got != tc.want {
			t.Errorf("%s: schema %d, want %d", tc.name, got, tc.want)
		}
	}
}
