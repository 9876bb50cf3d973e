package protocol

import (
	"strings"
	"testing"
	"time"
)

func sha(c byte) string { return strings.Repeat(string(c), 64) }

func testPlan() *Plan {
	return &Plan{
		Schema: PlanSchema, Revision: 1, DisplayID: 3, TimeZone: "Asia/Ho_Chi_Minh",
		Panel: Panel{Width: 64, Height: 32}, Fallback: FallbackBlack,
		Assets: []Asset{
			{SHA256: sha('a'), Kind: AssetImage, Bytes: 10},
			{SHA256: sha('b'), Kind: AssetImage, Bytes: 10},
			{SHA256: sha('c'), Kind: AssetImage, Bytes: 10},
			{SHA256: sha('e'), Kind: AssetImage, Bytes: 10},
		},
		Playlists: []Playlist{
			{ID: 1, Items: []Item{
				{ID: 11, Asset: sha('a'), DurationMS: 10_000},
				{ID: 12, Asset: sha('b'), DurationMS: 5_000},
				{ID: 13, Asset: sha('c'), DurationMS: 15_000},
			}},
			{ID: 2, Items: []Item{{ID: 21, Asset: sha('e'), DurationMS: 20_000}}},
		},
		Entries: []Entry{
			{ID: 100, Playlist: 1, Priority: 10, From: "06:00", Until: "22:00"},
			// Mornings on school days, a higher-priority rotation.
			{ID: 200, Playlist: 2, Priority: 50, Weekdays: []int{1, 2, 3, 4, 5}, From: "07:00", Until: "07:30",
				StartDate: "2026-11-01", EndDate: "2026-12-31"},
		},
	}
}

var hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEvaluateRotationIsAnchoredToTheWindow(t *testing.T) {
	s, err := Compile(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		when  string
		ok    bool
		entry int64
		item  int64
		start string
		end   string
	}{
		{"2026-11-28 05:59:59", false, 0, 0, "", ""}, // Saturday, before the daypart
		{"2026-11-28 06:00:00", true, 100, 11, "06:00:00", "06:00:10"},
		{"2026-11-28 06:00:12", true, 100, 12, "06:00:10", "06:00:15"},
		{"2026-11-28 06:00:29", true, 100, 13, "06:00:15", "06:00:30"},
		{"2026-11-28 06:00:30", true, 100, 11, "06:00:30", "06:00:40"}, // the loop
		{"2026-11-28 07:10:00", true, 100, 11, "07:10:00", "07:10:10"}, // Saturday: no school entry
		{"2026-11-27 07:10:00", true, 200, 21, "07:10:00", "07:10:20"}, // Friday: school entry wins
		{"2026-11-27 07:29:50", true, 200, 21, "07:29:40", "07:30:00"}, // cut at the window's end
		{"2026-11-27 07:30:00", true, 100, 11, "07:30:00", "07:30:10"},
		{"2027-01-04 07:10:00", true, 100, 11, "07:10:00", "07:10:10"}, // after the school entry's end date
		{"2026-11-28 21:59:59", true, 100, 13, "21:59:45", "22:00:00"},
		{"2026-11-28 22:00:00", false, 0, 0, "", ""},
	} {
		slot, ok := s.At(at(tc.when))
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.when, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		day := tc.when[:11]
		if slot.Entry != tc.entry || slot.Item.ID != tc.item || !slot.Start.Equal(at(day+tc.start)) || !slot.End.Equal(at(day+tc.end)) {
			t.Errorf("%s: got entry %d item %d %s–%s, want entry %d item %d %s–%s", tc.when,
				slot.Entry, slot.Item.ID, slot.Start.In(hcm).Format(time.TimeOnly), slot.End.In(hcm).Format(time.TimeOnly),
				tc.entry, tc.item, tc.start, tc.end)
		}
	}
}

func TestEvaluateIsTheSameInEveryZone(t *testing.T) {
	s, _ := Compile(testPlan())
	// 06:00:12 in Hồ Chí Minh City is 23:00:12 UTC the day before.
	utc := time.Date(2026, 11, 27, 23, 0, 12, 0, time.UTC)
	a, okA := s.At(utc)
	b, okB := s.At(at("2026-11-28 06:00:12"))
	if !okA || !okB || a != b || a.Item.ID != 12 {
		t.Fatalf("UTC %+v vs local %+v", a, b)
	}
}

func TestEvaluateAcrossMidnight(t *testing.T) {
	p := testPlan()
	p.Entries = []Entry{{ID: 1, Playlist: 2, From: "22:00", Until: "02:00", Weekdays: []int{6}}} // Saturday night
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for when, want := range map[string]bool{
		"2026-11-28 21:59:00": false,
		"2026-11-28 23:00:00": true,
		"2026-11-29 01:59:59": true, // Sunday morning: the window began on Saturday
		"2026-11-29 02:00:00": false,
		"2026-11-29 23:00:00": false, // Sunday night
	} {
		slot, ok := s.At(at(when))
		if ok != want {
			t.Errorf("%s: ok = %v, want %v", when, ok, want)
		}
		if ok && !slot.Start.Before(at(when).Add(time.Millisecond)) {
			t.Errorf("%s: slot starts %v, after the instant", when, slot.Start)
		}
	}
}

func TestEvaluateSkipsUnplayableItems(t *testing.T) {
	s, _ := Compile(testPlan())
	missingB := func(a string) bool { return a != sha('b') }
	slot, ok := s.AtPlayable(at("2026-11-28 06:00:12"), missingB)
	if !ok || slot.Item.ID != 13 || slot.Skipped != 1 || !slot.End.Equal(at("2026-11-28 06:00:15")) {
		t.Fatalf("slot %+v", slot)
	}
	// Nothing of the school rotation is playable: the lower entry plays.
	noE := func(a string) bool { return a != sha('e') }
	slot, ok = s.AtPlayable(at("2026-11-27 07:10:00"), noE)
	if !ok || slot.Entry != 100 {
		t.Fatalf("slot %+v", slot)
	}
	// Nothing at all.
	if _, ok := s.AtPlayable(at("2026-11-27 07:10:00"), func(string) bool { return false }); ok {
		t.Fatal("a slot with nothing playable")
	}
}

func TestAssetsBetween(t *testing.T) {
	s, _ := Compile(testPlan())
	got := s.AssetsBetween(at("2026-11-27 05:00:00"), at("2026-11-27 06:00:20"))
	if strings.Join(got, ",") != sha('a')+","+sha('b')+","+sha('c') {
		t.Fatalf("assets %v", got)
	}
	got = s.AssetsBetween(at("2026-11-26 00:00:00"), at("2026-11-28 00:00:00"))
	if len(got) != 4 {
		t.Fatalf("48 h: %d assets, want 4", len(got))
	}
}

func TestPlanValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(p *Plan)
		want   string
	}{
		{"schema", func(p *Plan) { p.Schema = PlanSchema + 1 }, "is not supported"},
		{"schema too old", func(p *Plan) { p.Schema = 0 }, "is not supported"},
		{"schema 1 with weights", func(p *Plan) { p.Schema = 1; p.Entries[0].Weight = 2 }, "uses what schema 2 added"},
		{"zone", func(p *Plan) { p.TimeZone = "Mars/Olympus" }, "not an IANA zone"},
		{"fallback", func(p *Plan) { p.Fallback = "white" }, `fallback "white"`},
		{"unknown asset", func(p *Plan) { p.Playlists[0].Items[0].Asset = sha('f') }, "which the plan does not list"},
		{"bad hash", func(p *Plan) { p.Assets[0].SHA256 = "ABC" }, "not a lowercase hex SHA-256"},
		{"unknown playlist", func(p *Plan) { p.Entries[0].Playlist = 9 }, "playlist 9"},
		{"bad date", func(p *Plan) { p.Entries[1].EndDate = "31/12/2026" }, "not YYYY-MM-DD"},
		{"bad time", func(p *Plan) { p.Entries[0].From = "6:00" }, `"6:00" is not HH:MM`},
		{"bad weekday", func(p *Plan) { p.Entries[1].Weekdays = []int{0} }, "weekday 0"},
		{"short item", func(p *Plan) { p.Playlists[0].Items[0].DurationMS = 5 }, "shorter than 100 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPlan()
			tc.break_(p)
			_, err := Compile(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func BenchmarkScheduleAt(b *testing.B) {
	s, _ := Compile(testPlan())
	t0 := at("2026-11-27 07:10:00")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.At(t0.Add(time.Duration(i) * time.Millisecond))
	}
}

func TestBoundedEntryOverridesAndAnchorsAtItsStart(t *testing.T) {
	p := testPlan()
	from, until := at("2026-11-28 09:00:07"), at("2026-11-28 09:30:00")
	p.Entries = append(p.Entries, Entry{ID: -1, Playlist: 2, Priority: 1000, NotBefore: &from, NotAfter: &until})
	s, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for when, want := range map[string]int64{
		"2026-11-28 09:00:06": 100, // before: the normal rotation
		"2026-11-28 09:00:07": -1,  // the urgent entry, from its start
		"2026-11-28 09:29:59": -1,
		"2026-11-28 09:30:00": 100, // expired
	} {
		slot, ok := s.At(at(when))
		if !ok || slot.Entry != want {
			t.Errorf("%s: entry %d, want %d", when, slot.Entry, want)
		}
	}
	slot, _ := s.At(at("2026-11-28 09:00:30"))
	if !slot.Start.Equal(at("2026-11-28 09:00:27")) { // 20 s items from 09:00:07
		t.Errorf("urgent rotation anchored at %v, want 09:00:27", slot.Start.In(hcm))
	}
	bad := testPlan()
	bad.Entries[0].NotBefore, bad.Entries[0].NotAfter = &until, &from
	if _, err := Compile(bad); err == nil || !strings.Contains(err.Error(), "not_after must be after not_before") {
		t.Fatalf("reversed bounds: %v", err)
	}
}
