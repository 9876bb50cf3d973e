package plans

import (
	"fmt"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// groupWeek is a group's week with ten entries: dayparts (one across
// midnight), weights sharing a window, item validity, an urgent notice,
// power windows and brightness by window and by the sun.
func groupWeek(t testing.TB, zone string) *protocol.Plan {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	p := &protocol.Plan{Schema: protocol.PlanSchema, Revision: 1, TimeZone: zone, Panel: protocol.Panel{Width: 64, Height: 32}, Fallback: protocol.FallbackBlack,
		Site:       &protocol.Site{Latitude: 21.0285, Longitude: 105.8542},
		Power:      []protocol.Window{{From: "05:30", Until: "23:00"}},
		Brightness: []protocol.BrightnessWindow{{Window: protocol.Window{Weekdays: []int{6, 7}, From: "18:00", Until: "21:00"}, Percent: 60}},
		DayNight:   &protocol.DayNight{Day: 100, Night: 40},
	}
	for id := int64(1); id <= 10; id++ {
		pl := protocol.Playlist{ID: id}
		for i := range 1 + id%3 {
			a := sha(fmt.Sprint(id, i))
			p.Assets = append(p.Assets, protocol.Asset{SHA256: a, Kind: protocol.AssetImage, Bytes: 1})
			it := protocol.Item{ID: id*10 + i, Media: id*100 + i, Asset: a, DurationMS: 5_000 + 1_000*id + 3_000*i}
			if id == 3 && i == 1 {
				nb := time.Date(2026, 3, 25, 12, 0, 0, 0, loc)
				it.NotBefore = &nb
			}
			pl.Items = append(pl.Items, it)
		}
		p.Playlists = append(p.Playlists, pl)
	}
	nb := time.Date(2026, 3, 26, 14, 3, 20, 0, loc)
	na := time.Date(2026, 3, 26, 14, 20, 5, 0, loc)
	p.Entries = []protocol.Entry{
		{ID: 1, Playlist: 1, Priority: 10},
		{ID: 2, Playlist: 2, Priority: 40, Weight: 2, Weekdays: []int{1, 2, 3, 4, 5}, Dayparts: []protocol.Daypart{{From: "06:30", Until: "08:30"}, {From: "16:30", Until: "19:00"}}},
		{ID: 3, Playlist: 3, Priority: 40, Weight: 1, Weekdays: []int{1, 2, 3, 4, 5}, From: "07:00", Until: "11:30"},
		{ID: 4, Playlist: 4, Priority: 30, Weekdays: []int{1, 2, 3, 4, 5}, From: "07:00", Until: "17:00"},
		{ID: 5, Playlist: 5, Priority: 20, Weekdays: []int{6, 7}, Dayparts: []protocol.Daypart{{From: "20:00", Until: "02:00"}, {From: "09:00", Until: "12:00"}}},
		{ID: 6, Playlist: 6, Priority: 20, Weight: 3, Weekdays: []int{6, 7}, From: "10:00", Until: "14:00"},
		{ID: 7, Playlist: 7, Priority: 50, StartDate: "2026-03-28", EndDate: "2026-03-29", From: "01:00", Until: "04:00"},
		{ID: 8, Playlist: 8, Priority: 15, Dayparts: []protocol.Daypart{{From: "12:00", Until: "13:00"}, {From: "22:00", Until: "23:30"}}},
		{ID: 9, Playlist: 9, Priority: 15, Weight: 4, From: "12:30", Until: "12:45"},
		{ID: -10, Playlist: 10, Priority: 1000, NotBefore: &nb, NotAfter: &na},
	}
	return p
}

// agrees checks a timeline against the evaluator at many instants: the
// span holds the entry At plays, and an item span says the same item.
func agrees(t *testing.T, p *protocol.Plan, from, to time.Time, step time.Duration) []Span {
	t.Helper()
	spans, _, err := Timeline(p, from, to, false)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := protocol.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for at := from; at.Before(to); at = at.Add(step) {
		want, ok := sched.At(at)
		got, found := spanAt(spans, at)
		if ok != found || (ok && !got.has(want.Entry)) {
			t.Fatalf("at %s: evaluator plays entry %d (%v), timeline says %d %+v (%v)", at, want.Entry, ok, got.Entry, got.Shares, found)
		}
	}
	for i := 1; i < len(spans); i++ {
		if spans[i].Start.Before(spans[i-1].End) || !spans[i].Start.Before(spans[i].End) {
			t.Fatalf("spans %d and %d: %v–%v then %v–%v", i-1, i, spans[i-1].Start, spans[i-1].End, spans[i].Start, spans[i].End)
		}
	}
	return spans
}

func TestTimelineSchema2Week(t *testing.T) {
	for _, zone := range []string{"Asia/Ho_Chi_Minh", "Europe/Berlin"} {
		t.Run(zone, func(t *testing.T) {
			p := groupWeek(t, zone)
			loc, _ := time.LoadLocation(zone)
			from := time.Date(2026, 3, 23, 0, 0, 0, 0, loc) // Monday; Berlin springs forward on Sunday the 29th
			spans := agrees(t, p, from, from.AddDate(0, 0, 7), 13*time.Second+170*time.Millisecond)
			// Saturday night's window across midnight belongs to Saturday:
			// entry 5 plays Sunday 00:00–01:00, then 7 (higher) from 01:00.
			sun := func(h, m int) time.Time { return time.Date(2026, 3, 29, h, m, 0, 0, loc) }
			s, _ := spanAt(spans, sun(0, 30))
			if s.Entry != 5 || !s.WindowStart.Equal(time.Date(2026, 3, 28, 20, 0, 0, 0, loc)) || !s.End.Equal(sun(1, 0)) {
				t.Errorf("Sunday 00:30: %+v", s)
			}
			s, _ = spanAt(spans, sun(3, 30))
			if s.Entry != 7 || !s.Start.Equal(sun(1, 0)) || !s.End.Equal(sun(4, 0)) {
				t.Errorf("Sunday 03:30: entry %d %v–%v", s.Entry, s.Start, s.End)
			}
			if zone == "Europe/Berlin" && s.End.Sub(s.Start) != 2*time.Hour {
				t.Errorf("Berlin's spring-forward night: 01:00–04:00 lasts %v, want 2 h", s.End.Sub(s.Start))
			}
			// Weekday 07:00–08:30: 2 and 3 share (2:1); 16:30–19:00 is 2's alone.
			s, _ = spanAt(spans, time.Date(2026, 3, 24, 7, 30, 0, 0, loc))
			if len(s.Shares) != 2 || s.Shares[0].Entry != 2 || s.Shares[0].Weight != 2 || s.Shares[1].Entry != 3 ||
				!s.Start.Equal(time.Date(2026, 3, 24, 7, 0, 0, 0, loc)) || !s.End.Equal(time.Date(2026, 3, 24, 8, 30, 0, 0, loc)) {
				t.Errorf("Tuesday 07:30: %+v", s)
			}
			if len(s.Overlapped) != 2 || s.Overlapped[0].Entry != 4 || s.Overlapped[1].Entry != 1 {
				t.Errorf("Tuesday 07:30 overlapped %+v", s.Overlapped)
			}
			s, _ = spanAt(spans, time.Date(2026, 3, 24, 17, 0, 0, 0, loc))
			if s.Entry != 2 || len(s.Shares) != 0 {
				t.Errorf("Tuesday 17:00: %+v", s)
			}
		})
	}
}

func TestTimelineSharedItemsAlternate(t *testing.T) {
	p := groupWeek(t, "Asia/Ho_Chi_Minh")
	loc, _ := time.LoadLocation(p.TimeZone)
	from := time.Date(2026, 3, 24, 7, 0, 0, 0, loc)
	spans, truncated, err := Timeline(p, from, from.Add(90*time.Minute), true)
	if err != nil || truncated || len(spans) != 1 {
		t.Fatalf("%d spans, %v %v", len(spans), truncated, err)
	}
	// Entry 2's loop is 7+10 = 17 s, entry 3's 8 s before 12:00 (its second
	// item is not valid yet): weights 2:1, loops 2 3 2, 2 3 2 …
	var loops []int64
	var ms = map[int64]time.Duration{}
	for _, it := range spans[0].Items {
		if it.Index == 0 {
			loops = append(loops, it.Entry)
		}
		ms[it.Entry] += it.End.Sub(it.Start)
		if it.Playlist != it.Entry { // playlists and entries share ids in this plan
			t.Fatalf("item %+v", it)
		}
	}
	if fmt.Sprint(loops[:6]) != "[2 3 2 2 3 2]" {
		t.Errorf("loops %v", loops[:6])
	}
	n2, n3 := 0, 0
	for _, e := range loops {
		if e == 2 {
			n2++
		} else {
			n3++
		}
	}
	if n2 < 2*n3-2 || n2 > 2*n3+2 {
		t.Errorf("%d loops of 2, %d of 3: not 2:1", n2, n3)
	}
}

func TestDeviceTimeline(t *testing.T) {
	p := groupWeek(t, "Asia/Ho_Chi_Minh")
	loc, _ := time.LoadLocation(p.TimeZone)
	from := time.Date(2026, 3, 27, 0, 0, 0, 0, loc) // Friday
	to := from.AddDate(0, 0, 2)
	d, err := DeviceTimeline(p, from, to)
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, h, m int) time.Time { return time.Date(2026, 3, 27+day, h, m, 0, 0, loc) }
	want := []PowerSpan{{from, at(0, 5, 30), false}, {at(0, 5, 30), at(0, 23, 0), true}, {at(0, 23, 0), at(1, 5, 30), false}, {at(1, 5, 30), at(1, 23, 0), true}, {at(1, 23, 0), to, false}}
	if fmt.Sprint(d.Power) != fmt.Sprint(want) {
		t.Errorf("power %v\nwant %v", d.Power, want)
	}
	if len(d.Sun) != 2 || d.Sun[0].Date != "2026-03-27" || d.Sun[1].Date != "2026-03-28" {
		t.Fatalf("sun %+v", d.Sun)
	}
	// Friday: night, day from sunrise, night from sunset; Saturday's
	// 18:00–21:00 window at 60 % comes before sunset (18:09) and outlasts
	// it: day until 18:00, then the window, then night.
	sat := d.Sun[1]
	var got []string
	for i, b := range d.Brightness {
		if i > 0 && !b.Start.Equal(d.Brightness[i-1].End) {
			t.Fatalf("gap before %+v", b)
		}
		got = append(got, fmt.Sprintf("%s %d", b.Source, b.Percent))
	}
	if fmt.Sprint(got) != "[night 40 day 100 night 40 day 100 window 60 night 40]" {
		t.Errorf("brightness %v", got)
	}
	if !d.Brightness[len(d.Brightness)-1].End.Equal(to) || !d.Brightness[3].Start.Equal(sat.Rise) ||
		!d.Brightness[4].Start.Equal(at(1, 18, 0)) || !d.Brightness[5].Start.Equal(at(1, 21, 0)) || !d.Brightness[2].Start.Equal(d.Sun[0].Set) {
		t.Errorf("brightness %+v, Saturday's sun %+v", d.Brightness, sat)
	}
	// No rules: one piece each.
	q := *p
	q.Power, q.Brightness, q.DayNight, q.Site = nil, nil, nil, nil
	d, _ = DeviceTimeline(&q, from, to)
	if len(d.Power) != 1 || !d.Power[0].On || len(d.Brightness) != 1 || d.Brightness[0].Source != protocol.LevelProfile || d.Sun != nil {
		t.Errorf("no rules: %+v", d)
	}
}

// BenchmarkTimelineWeek is a group's week (ten entries with dayparts and
// weights, power and brightness windows): spans, power, brightness and sun,
// as the API computes them. scripts/bench.sh prints its figure.
func BenchmarkTimelineWeek(b *testing.B) {
	p := groupWeek(b, "Asia/Ho_Chi_Minh")
	loc, _ := time.LoadLocation(p.TimeZone)
	from := time.Date(2026, 3, 23, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 7)
	for b.Loop() {
		if _, _, err := Timeline(p, from, to, false); err != nil {
			b.Fatal(err)
		}
		if _, err := DeviceTimeline(p, from, to); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/week")
	b.ReportMetric(1, "displays")
}
