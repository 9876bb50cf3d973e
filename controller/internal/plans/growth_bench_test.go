package plans

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/seed"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// How the plan service's costs grow (issue 14, docs/PERFORMANCE.md "How
// the costs grow"): with the rules one display's plan reads, with the
// displays a change reaches and with the plan history kept. scripts/bench.sh
// runs them with -benchtime 3x and prints their lines; the sub-benchmarks'
// names say the size.

// wardRules is the demo's store with one more display, in a group of its
// own, whose plan reads n schedules.
type wardRules struct {
	svc     *Service
	st      *store.Store
	display int64
	scheds  []store.Schedule
}

// newWardRules schedules n rules the way a ward's office makes them: each
// its own rotation of one to four notices (every fifth rule plays the
// rotation of the one before in another window, as a morning and an
// evening slot do), a tenth aimed at the display itself and the rest at
// its group; all day every day, weekday rush hours in two dayparts, a
// campaign's date range on weekends, or evenings across midnight with a
// weight; priorities 10–50. The notices are n/2 (at least four), every
// third in the demo's campaign, every seventh valid for a few months only.
func newWardRules(tb testing.TB, n int) *wardRules {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := seed.Demo(ctx, st, auth.Params{Memory: 1024, Time: 1, Threads: 1}); err != nil {
		tb.Fatal(err)
	}
	r := &renditions{missing: map[int64]bool{}}
	svc := New(st, r.find, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	grp, err := st.CreateGroup(ctx, store.System, "nhóm nhiều lịch")
	if err != nil {
		tb.Fatal(err)
	}
	d, err := st.CreateDisplay(ctx, store.System, store.Display{Name: "nhieu-lich", Width: 192, Height: 96, Fit: "contain", Profile: "virtual", GroupID: &grp.ID})
	if err != nil {
		tb.Fatal(err)
	}
	units, err := st.Units(ctx, "")
	if err != nil || len(units) == 0 {
		tb.Fatalf("units: %v %v", units, err)
	}
	camps, err := st.Campaigns(ctx, "")
	if err != nil || len(camps) == 0 {
		tb.Fatalf("campaigns: %v %v", camps, err)
	}
	unit, camp := units[0].ID, camps[0].ID
	media := make([]int64, max(4, n/2))
	for i := range media {
		nm := store.NewMedia{UnitID: unit, Title: fmt.Sprintf("Thông báo %d", i), Kind: store.KindText,
			Body: fmt.Sprintf("Thông báo số %d của phường", i)}
		if i%3 == 0 {
			nm.CampaignID = &camp
		}
		if i%7 == 0 {
			nm.ValidFrom, nm.ValidUntil = "2026-12-01", "2027-03-31"
		}
		m, err := st.CreateMedia(ctx, store.System, nm)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.SubmitMedia(ctx, store.System, m.ID); err != nil {
			tb.Fatal(err)
		}
		if _, err := st.ApproveMedia(ctx, store.System, m.ID); err != nil {
			tb.Fatal(err)
		}
		media[i] = m.ID
	}
	w := &wardRules{svc: svc, st: st, display: d.ID}
	var playlist int64
	for i := 0; i < n; i++ {
		if i%5 != 4 {
			var items []store.PlaylistItem
			for k := 0; k <= i%4; k++ {
				items = append(items, store.PlaylistItem{MediaID: media[(3*i+k)%len(media)], DurationMS: int64(8_000 + 2_000*k)})
			}
			pl, err := st.CreatePlaylist(ctx, store.System, store.NewPlaylist{UnitID: unit, Name: fmt.Sprintf("Lịch %d", i), Items: items})
			if err != nil {
				tb.Fatal(err)
			}
			if _, err := st.SubmitPlaylist(ctx, store.System, pl.ID); err != nil {
				tb.Fatal(err)
			}
			if _, err := st.ApprovePlaylist(ctx, store.System, pl.ID); err != nil {
				tb.Fatal(err)
			}
			playlist = pl.ID
		}
		sc := store.Schedule{PlaylistID: playlist, GroupID: &grp.ID, Weekdays: 127, Priority: 10 + 10*(i%5)}
		if i%10 == 9 {
			sc.GroupID, sc.DisplayID = nil, &d.ID
		}
		switch i % 4 {
		case 0:
			sc.StartTime, sc.EndTime = "00:00", "24:00"
		case 1:
			sc.Weekdays = 0x1F // Monday to Friday
			sc.Dayparts = []protocol.Daypart{{From: "06:30", Until: "08:30"}, {From: "16:30", Until: "19:00"}}
		case 2:
			sc.Weekdays = 0x60 // Saturday and Sunday
			sc.StartsOn, sc.EndsOn = "2026-12-01", "2027-02-28"
			sc.StartTime, sc.EndTime = "09:00", "12:00"
		case 3:
			sc.StartTime, sc.EndTime, sc.Weight = "20:00", "02:00", 2
		}
		got, err := st.CreateSchedule(ctx, store.System, sc)
		if err != nil {
			tb.Fatal(err)
		}
		w.scheds = append(w.scheds, got)
	}
	if _, _, err := svc.Compile(ctx, d.ID); err != nil {
		tb.Fatal(err)
	}
	return w
}

// BenchmarkPlanGrowth: one display whose plan reads 10, 100 and 1,000
// rules. op=build is compiling it (reading its sources, assembling,
// digesting, checking and encoding: what a refresh does for a display
// whose plan changed); op=store is that and storing it under a new
// revision, after one of its rules changed priority.
func BenchmarkPlanGrowth(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			w := newWardRules(b, n)
			cur, err := w.svc.current(ctx, w.display)
			if err != nil {
				b.Fatal(err)
			}
			kib := float64(len(cur.json)) / 1024
			b.Run("op=build", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					// A stored digest that differs makes the build check
					// and encode the plan, as for a change, without a
					// change in the store.
					w.svc.pmu.Lock()
					sp := w.svc.stored[w.display]
					sp.digest = "stale"
					w.svc.stored[w.display] = sp
					w.svc.pmu.Unlock()
					b.StartTimer()
					bs := w.svc.build(ctx, []int64{w.display}, newMemo(w.svc.rend))
					if bs[0].err != nil || !bs[0].changed || len(bs[0].plan.Entries) != n {
						b.Fatalf("build: err %v, changed %v, %d entries of %d", bs[0].err, bs[0].changed, len(bs[0].plan.Entries), n)
					}
				}
				b.StopTimer()
				// The next compile finds the stored plan's digest again.
				w.svc.forget(w.display)
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/compile")
				b.ReportMetric(kib, "plan_kib")
			})
			toggle := 0 // across the runs of op=store, so that each is a change
			b.Run("op=store", func(b *testing.B) {
				b.ReportAllocs()
				sc := w.scheds[0]
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					toggle++
					sc.Priority = 10 + toggle%2
					if _, err := w.st.UpdateSchedule(ctx, store.System, sc); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if _, changed, err := w.svc.Compile(ctx, w.display); err != nil || !changed {
						b.Fatalf("compile: changed %v, %v", changed, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/compile")
			})
		})
	}
}

// BenchmarkRefreshGrowth: 10 to 10,000 displays in ten groups (newFleet).
// change=all is an urgent notice to every display, sent or cancelled in
// turn: each refresh stores and pushes a new plan to every display (the
// demo's three too).
// change=group is one group's schedule changing priority: a tenth of the
// displays get a new plan.
func BenchmarkRefreshGrowth(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("displays=%d", n), func(b *testing.B) {
			// A fleet each: a group's change measured right after four
			// changes to all 10,000 displays took twice as long as on a
			// fleet of its own (the plan history's weight, which
			// BenchmarkRefreshHistoryGrowth measures).
			f, fg := newFleet(b, n), newFleet(b, n)
			all, err := f.st.DisplayIDs(ctx) // n and the demo's three
			if err != nil {
				b.Fatal(err)
			}
			b.Run("change=all", func(b *testing.B) { f.benchRefresh(b, len(all), f.noticeToggle(b)) })
			b.Run("change=group", func(b *testing.B) { fg.benchRefresh(b, n/len(fg.groups), fg.groupToggle(b)) })
		})
	}
}

// benchRefresh times the refresh after each change (made with the timer
// stopped) and checks that it pushed a new plan to the reached displays.
func (f *fleet) benchRefresh(b *testing.B, reached int, change func() (objectType string, id int64)) {
	ctx := context.Background()
	// One refresh first, untimed: the first after a fleet is made costs
	// twice as much or more (checkpointing its making, cold caches).
	typ, id := change()
	if err := f.refresh(ctx, typ, id); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		typ, id = change()
		f.push.mu.Lock()
		before := len(f.push.ids)
		f.push.mu.Unlock()
		b.StartTimer()
		if err := f.refresh(ctx, typ, id); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		f.push.mu.Lock()
		pushed := len(f.push.ids) - before
		f.push.mu.Unlock()
		if pushed != reached {
			b.Fatalf("a refresh pushed %d plans, want %d", pushed, reached)
		}
		b.StartTimer()
	}
	ms := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(ms, "ms/refresh")
	b.ReportMetric(ms*1000/float64(reached), "us/display")
	b.ReportMetric(float64(reached), "reached")
}

// BenchmarkRefreshHistoryGrowth: one group's change on 10,000 displays
// (change=group of BenchmarkRefreshGrowth) as the plan history grows: with
// 1, 5, 11 and 21 revisions of every display stored (an urgent notice to
// all, sent and cancelled, adds two). The store keeps a revision 30 days
// after it is replaced (store.PlanHistoryKeep), so a fleet whose plans
// change daily holds 30 and more.
func BenchmarkRefreshHistoryGrowth(b *testing.B) {
	ctx := context.Background()
	f := newFleet(b, 10000)
	notice, group := f.noticeToggle(b), f.groupToggle(b)
	revisions := 1
	for _, want := range []int{1, 5, 11, 21} {
		for ; revisions < want; revisions++ {
			typ, id := notice()
			if err := f.refresh(ctx, typ, id); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("revisions=%d", want), func(b *testing.B) {
			f.benchRefresh(b, 10000/len(f.groups), group)
			fi, err := os.Stat(filepath.Join(f.dir, store.FileName))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(fi.Size())/(1<<20), "db_MiB")
		})
	}
}
