package player

import (
	"image/color"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// TestOfflineWeekFollowsThePlan: an agent with no controller plays a week
// from its plan on its own clock — dayparts, share of voice, item validity,
// an urgent notice's interval, power windows, brightness windows and
// day/night by the sun — and at every instant where anything changes (and
// a millisecond before it) the panel shows what the evaluator says: the
// item, off or on, the level, and the pixels that follow from them.
func TestOfflineWeekFollowsThePlan(t *testing.T) {
	r := newRig(t, protocol.FallbackBlack)
	colours := []color.RGBA{red, green, blue, {R: 200, G: 200, A: 255}, {G: 180, B: 180, A: 255}, {R: 160, B: 160, A: 255}}
	shas := append([]string(nil), r.shas...)
	for _, c := range colours[3:] {
		shas = append(shas, solidPNG(t, r.dir, 8, 4, c))
	}
	colourOf := map[int64]color.RGBA{}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	monday := time.Date(2026, 11, 23, 0, 0, 0, 0, loc) // a Monday
	at := func(day int, hh, mm int) *time.Time {
		t := time.Date(2026, 11, 23+day, hh, mm, 0, 0, loc)
		return &t
	}
	item := func(id int64, k int, minutes int64) protocol.Item {
		colourOf[id] = colours[k]
		return protocol.Item{ID: id, Media: 100 + id, Asset: shas[k], DurationMS: minutes * 60_000}
	}
	expiring := item(22, 4, 11)
	expiring.NotAfter = at(3, 12, 0) // Thursday noon
	later := item(23, 5, 13)
	later.NotBefore = at(2, 9, 0) // from Wednesday 09:00
	sp := &switchPanel{Virtual: r.v, clk: r.clk}
	r.withPlan(t, sp, func(p *protocol.Plan) {
		p.Playlists = []protocol.Playlist{
			{ID: 1, Items: []protocol.Item{item(11, 0, 7), item(12, 1, 5)}},  // main street
			{ID: 2, Items: []protocol.Item{item(21, 2, 9), expiring, later}}, // school
			{ID: 3, Items: []protocol.Item{item(31, 3, 17)}},                 // ward news, all day
			{ID: 4, Items: []protocol.Item{item(41, 0, 1), item(42, 2, 1)}},  // an urgent notice
		}
		p.Entries = []protocol.Entry{
			{ID: 1, Playlist: 1, Priority: 20, Weekdays: []int{1, 2, 3, 4, 5},
				Dayparts: []protocol.Daypart{{From: "06:30", Until: "08:30"}, {From: "16:30", Until: "19:00"}}},
			{ID: 2, Playlist: 2, Priority: 20, Weight: 2, Weekdays: []int{1, 2, 3, 4, 5},
				Dayparts: []protocol.Daypart{{From: "07:00", Until: "11:00"}, {From: "13:30", Until: "16:30"}}},
			{ID: 3, Playlist: 3, Priority: 10},
			{ID: 4, Playlist: 4, Priority: 100, NotBefore: at(4, 14, 10), NotAfter: at(4, 15, 40)},
		}
		p.Assets = nil
		for _, sha := range shas {
			p.Assets = append(p.Assets, protocol.Asset{SHA256: sha, Kind: protocol.AssetImage, Bytes: 1})
		}
		p.Power = []protocol.Window{{From: "05:30", Until: "23:00"}, {Weekdays: []int{6}, From: "23:00", Until: "24:00"}}
		p.Site = &protocol.Site{Latitude: 21.0285, Longitude: 105.8542} // Hà Nội
		p.Brightness = []protocol.BrightnessWindow{{Window: protocol.Window{From: "21:00", Until: "23:00"}, Percent: 30}}
		p.DayNight = &protocol.DayNight{Day: 100, Night: 55}
	})
	r.p.SetBaseBrightness(80)
	sched := r.p.Schedule()

	check := func(now time.Time) {
		t.Helper()
		r.clk.mu.Lock()
		r.clk.t = now
		r.clk.mu.Unlock()
		r.p.step(now)
		st := r.p.Status()
		on, _ := sched.PowerAt(now)
		level, ok, _ := sched.BrightnessAt(now)
		if !ok {
			level = 80
		}
		slot, playing := sched.At(now)
		want := color.RGBA{A: 255}
		var wantItem int64
		if on && playing {
			wantItem = slot.Item.ID
			c := colourOf[wantItem]
			want = color.RGBA{uint8(int(c.R) * level / 100), uint8(int(c.G) * level / 100), uint8(int(c.B) * level / 100), 255}
		}
		if st.PowerOff != !on || st.Brightness != level || st.CurrentItem != wantItem || r.pixel(5, 2) != want {
			t.Fatalf("%s: power off %v, level %d, item %d, pixel %v; the evaluator says off %v, level %d, item %d, pixel %v",
				now.Format("Mon 2006-01-02 15:04:05.000"), st.PowerOff, st.Brightness, st.CurrentItem, r.pixel(5, 2), !on, level, wantItem, want)
		}
	}

	end := monday.AddDate(0, 0, 7)
	var steps, offs, items, levels int
	seen := map[int64][]time.Time{} // item → when it came on
	lastItem, lastLevel, lastOn := int64(-1), -1, true
	for now := monday; now.Before(end); {
		check(now)
		steps++
		on, powerNext := sched.PowerAt(now)
		level, _, levelNext := sched.BrightnessAt(now)
		slot, playing := sched.At(now)
		if on != lastOn && !on {
			offs++
		}
		if playing && on && slot.Item.ID != lastItem {
			items++
			seen[slot.Item.ID] = append(seen[slot.Item.ID], now)
		}
		if level != lastLevel {
			levels++
		}
		lastOn, lastLevel = on, level
		if playing && on {
			lastItem = slot.Item.ID
		} else {
			lastItem = -1
		}
		// The next instant anything may change, as the evaluator says: a
		// slot's end, the next power or brightness change, an entry's
		// window or an item's validity opening or closing.
		next := sched.NextChange(now, end)
		for _, n := range []time.Time{slot.End, powerNext, levelNext} {
			if (playing || n != slot.End) && n.After(now) && n.Before(next) {
				next = n
			}
		}
		check(next.Add(-time.Millisecond)) // still what was
		now = next
	}
	// What the plan means, said once more in plain terms, so a week of
	// agreement is not a week of nothing: the expiring item stops, the
	// later one starts, the urgent notice keeps to its interval, and the
	// two weekday rotations share their overlap.
	within := func(id int64, from, until *time.Time) {
		t.Helper()
		if len(seen[id]) == 0 {
			t.Fatalf("item %d never played", id)
		}
		for _, at := range seen[id] {
			if (from != nil && at.Before(*from)) || (until != nil && !at.Before(*until)) {
				t.Fatalf("item %d played at %s, outside its validity", id, at.Format("Mon 15:04"))
			}
		}
	}
	within(22, nil, expiring.NotAfter)
	within(23, later.NotBefore, nil)
	within(41, at(4, 14, 10), at(4, 15, 40))
	shared := map[int64]bool{}
	for _, id := range []int64{11, 12, 21, 22, 23} {
		for _, at := range seen[id] {
			if at.Weekday() == time.Tuesday && at.In(loc).Hour() == 7 {
				shared[id/10] = true
			}
		}
	}
	if !shared[1] || !shared[2] {
		t.Fatalf("Tuesday 07:00–08:00: rotations played %v, want both", shared)
	}
	_, drawnOffs := sp.counts()
	t.Logf("a week in %d instants: %d items shown, %d power-offs, %d level changes", steps, items, offs, levels)
	if drawnOffs != offs || offs < 7 || levels < 14 || items < 300 {
		t.Fatalf("%d offs told to the panel for %d by the plan; %d level changes, %d items: the week is not what the plan says", drawnOffs, offs, levels, items)
	}
}
