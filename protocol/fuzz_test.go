package protocol

import (
	"fmt"
	"testing"
	"time"
)

// fuzzPlan builds a valid plan from bytes: a few playlists and entries
// with dayparts, weights, priorities, weekdays, dates, and item validity,
// in a zone with or without daylight saving.
func fuzzPlan(data []byte) *Plan {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	zones := []string{"Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York", "UTC"}
	base := time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC)
	p := testPlan()
	p.TimeZone = zones[next()%len(zones)]
	hm := func() string { v := next() % 96; return fmt.Sprintf("%02d:%02d", v/4, v%4*15) }
	p.Playlists, p.Entries = nil, nil
	for pl := int64(1); pl <= int64(1+next()%3); pl++ {
		var items []Item
		for i := 0; i < 1+next()%4; i++ {
			it := Item{ID: pl*10 + int64(i), Asset: sha("abce"[i%4]), DurationMS: int64(100 + next()*997)}
			if v := next(); v%3 == 0 {
				it.NotBefore = tp(base.Add(time.Duration(v) * 17 * time.Minute))
			}
			if v := next(); v%3 == 0 {
				it.NotAfter = tp(base.Add(time.Duration(v+1) * 29 * time.Minute))
				if it.NotBefore != nil && !it.NotAfter.After(*it.NotBefore) {
					it.NotAfter = nil
				}
			}
			items = append(items, it)
		}
		p.Playlists = append(p.Playlists, Playlist{ID: pl, Items: items})
	}
	for id := int64(1); id <= int64(1+next()%5); id++ {
		e := Entry{ID: id, Playlist: int64(1 + next()%len(p.Playlists)), Priority: next() % 3, Weight: next() % 4}
		switch next() % 3 {
		case 0: // all day
		case 1:
			e.From, e.Until = hm(), hm()
		case 2:
			for range 1 + next()%3 {
				if f, u := hm(), hm(); f != u {
					e.Dayparts = append(e.Dayparts, Daypart{From: f, Until: u})
				}
			}
		}
		if v := next(); v%4 == 0 {
			e.Weekdays = []int{1 + v%7, 1 + (v/7)%7}
		}
		if v := next(); v%5 == 0 {
			d := base.AddDate(0, 0, v%4).Format(time.DateOnly)
			e.StartDate, e.EndDate = d, d
		}
		p.Entries = append(p.Entries, e)
	}
	// Power and brightness windows, day/night at a site, a waking entry.
	for range next() % 3 {
		if f, u := hm(), hm(); f != u {
			p.Power = append(p.Power, Window{From: f, Until: u})
		}
	}
	for range next() % 3 {
		if f, u := hm(), hm(); f != u {
			p.Brightness = append(p.Brightness, BrightnessWindow{Window: Window{From: f, Until: u}, Percent: next() % 101})
		}
	}
	if v := next(); v%2 == 0 {
		p.Site = &Site{Latitude: float64(v%180) - 89.5, Longitude: float64(next()%360) - 179.5}
		p.DayNight = &DayNight{Day: 100, Night: next() % 101}
	}
	if v := next(); v%3 == 0 && len(p.Playlists) > 0 {
		nb, na := base.Add(time.Duration(v)*7*time.Minute), base.Add(time.Duration(v+30)*7*time.Minute)
		p.Entries = append(p.Entries, Entry{ID: 99, Playlist: 1, Priority: 1000, NotBefore: &nb, NotAfter: &na, Wake: true})
	}
	return p
}

func FuzzEvaluate(f *testing.F) {
	for _, seed := range []string{
		"", "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a",
		"\x01\x02\x03\x00\x03\x01\x05\x09\x02\x01\x02\x02\x02\x30\x50\x40\x60\x00\x01\x01\x02\x01\x10\x20\x04\x05",
		"\x02\x01\x01\x06\x03\x06\x02\x00\x00\x04\x01\x01\x02\x5c\x18\x02\x00\x00\x01\x02\x01\x01\x02\x01\x58\x1c\x00\x00",
		"\x03\x02\x02\x01\x01\x00\x00\x01\x01\x00\x00\x04\x02\x02\x03\x02\x08\x20\x5f\x04\x00\x00\x02\x02\x01\x01\x01\x00\x00",
	} {
		f.Add([]byte(seed), uint32(3600), uint32(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, start, step uint32) {
		p := fuzzPlan(data)
		s, err := Compile(p)
		if err != nil {
			t.Fatalf("the builder made an invalid plan: %v", err)
		}
		t0 := time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC).Add(time.Duration(start%(4*86400)) * time.Second)
		for i := range 200 {
			tt := t0.Add(time.Duration(i) * (time.Duration(step%7200)*time.Second + 1234*time.Millisecond))
			slot, ok := s.At(tt)
			checkSlot(t, s, tt, slot, ok)
			// next is when the answer changes: after t, the answer stands
			// until just before it, and differs at it.
			on, next := s.PowerAt(tt)
			if !next.IsZero() {
				if !next.After(tt) {
					t.Fatalf("power next %v not after %v", next, tt)
				}
				if still, _ := s.PowerAt(next.Add(-time.Millisecond)); still != on {
					t.Fatalf("power changed before its next %v", next)
				}
				if then, _ := s.PowerAt(next); then == on {
					t.Fatalf("power at its next %v is still %v", next, on)
				}
			}
			level, src, bnext := s.BrightnessBy(tt)
			if level < 0 || level > 100 {
				t.Fatalf("brightness %d at %v", level, tt)
			}
			if !bnext.IsZero() {
				if !bnext.After(tt) {
					t.Fatalf("brightness next %v not after %v", bnext, tt)
				}
				if l, s2, _ := s.BrightnessBy(bnext.Add(-time.Millisecond)); l != level || s2 != src {
					t.Fatalf("brightness changed before its next %v", bnext)
				}
			}
			if c := s.NextChange(tt, tt.Add(48*time.Hour)); !c.After(tt) {
				t.Fatalf("NextChange %v not after %v", c, tt)
			}
		}
	})
}
