package plans

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/seed"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// fleet is a controller's store with n displays in ten groups of their own,
// each group scheduled one of the demo's approved rotations.
type fleet struct {
	svc    *Service
	st     *store.Store
	dir    string // the data directory
	push   *pushes
	groups []int64
	scheds []store.Schedule    // one per group, in groups' order
	media  int64               // an approved media, for urgent notices
	notice *store.UrgentNotice // live, if noticeToggle sent one
}

func newFleet(tb testing.TB, n int) *fleet {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := seed.Demo(ctx, st, auth.Params{Memory: 1024, Time: 1, Threads: 1}); err != nil {
		tb.Fatal(err)
	}
	pls, _, err := st.ListPlaylists(ctx, store.PlaylistFilter{Status: store.StatusApproved})
	if err != nil || len(pls) == 0 {
		tb.Fatalf("demo playlists: %v %v", pls, err)
	}
	ms, _, err := st.ListMedia(ctx, store.MediaFilter{Status: store.StatusApproved})
	if err != nil || len(ms) == 0 {
		tb.Fatalf("demo media: %v %v", ms, err)
	}
	f := &fleet{st: st, dir: dir, push: &pushes{}, media: ms[0].ID}
	for g := 0; g < 10; g++ {
		grp, err := st.CreateGroup(ctx, store.System, fmt.Sprintf("nhóm %d", g))
		if err != nil {
			tb.Fatal(err)
		}
		sc, err := st.CreateSchedule(ctx, store.System, store.Schedule{PlaylistID: pls[g%len(pls)].ID, GroupID: &grp.ID,
			Weekdays: 127, StartTime: "00:00", EndTime: "24:00", Priority: 10})
		if err != nil {
			tb.Fatal(err)
		}
		f.groups, f.scheds = append(f.groups, grp.ID), append(f.scheds, sc)
	}
	for i := 0; i < n; i++ {
		g := f.groups[i%len(f.groups)]
		if _, err := st.CreateDisplay(ctx, store.System, store.Display{Name: fmt.Sprintf("man-hinh-%05d", i),
			Width: 192, Height: 96, Fit: "contain", Profile: "virtual", GroupID: &g}); err != nil {
			tb.Fatal(err)
		}
	}
	// Renditions are looked up in the store as the controller does (an
	// indexed read each), then stood in for: the fleet has no pipeline.
	r := &renditions{missing: map[int64]bool{}}
	rend := func(ctx context.Context, rev int64, w, h int, fit string) (protocol.Asset, error) {
		_, _ = st.RenditionFor(ctx, rev, w, h, fit)
		return r.find(ctx, rev, w, h, fit)
	}
	f.svc = New(st, rend, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	f.svc.SetPusher(f.push)
	if err := f.svc.RefreshAll(ctx); err != nil {
		tb.Fatal(err)
	}
	return f
}

// BenchmarkRefreshAllDisplaysChange: an urgent notice to every display is
// sent, then cancelled; each refresh compiles, stores and pushes 1,000 new
// plans (and the demo's three).
func BenchmarkRefreshAllDisplaysChange(b *testing.B) {
	f := newFleet(b, 1000)
	f.benchRefresh(b, 1003, f.noticeToggle(b))
}

// BenchmarkRefreshOneGroupChange: one group's schedule (a tenth of the
// displays) changes priority; each refresh brings 100 displays a new plan.
func BenchmarkRefreshOneGroupChange(b *testing.B) {
	f := newFleet(b, 1000)
	f.benchRefresh(b, 100, f.groupToggle(b))
}

// noticeToggle is a change that reaches every display: an urgent notice to
// all, sent, then cancelled at the next call, in turn (the fleet keeps
// which, so that every benchmark run goes on from the last).
func (f *fleet) noticeToggle(tb testing.TB) func() (objectType string, id int64) {
	return func() (string, int64) {
		ctx := context.Background()
		if f.notice == nil {
			n, err := f.st.CreateUrgentNotice(ctx, store.System, f.media, nil, time.Hour)
			if err != nil {
				tb.Fatal(err)
			}
			f.notice = &n
			return "urgent_notice", n.ID
		}
		id := f.notice.ID
		if _, err := f.st.CancelUrgentNotice(ctx, store.System, id); err != nil {
			tb.Fatal(err)
		}
		f.notice = nil
		return "urgent_notice", id
	}
}

// groupToggle is a change that reaches one group (a tenth of the displays):
// its schedule's priority, 11 and 10 in turn.
func (f *fleet) groupToggle(tb testing.TB) func() (objectType string, id int64) {
	return func() (string, int64) {
		sc := &f.scheds[0]
		sc.Priority = 21 - sc.Priority // 10 ↔ 11
		if _, err := f.st.UpdateSchedule(context.Background(), store.System, *sc); err != nil {
			tb.Fatal(err)
		}
		return "schedule", sc.ID
	}
}

// refresh runs the refresh a change of objectType id brings.
func (f *fleet) refresh(ctx context.Context, objectType string, id int64) error {
	return f.svc.refreshChanged(ctx, []change{{objectType, id}})
}

// BenchmarkRefreshAllUnchanged: the hourly refresh when nothing changed
// compiles 1,000 plans and stores none.
func BenchmarkRefreshAllUnchanged(b *testing.B) {
	ctx := context.Background()
	f := newFleet(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.svc.RefreshAll(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshUrgentNotice10000: issue 14's case, an urgent notice to
// every one of 10,000 displays, then its cancellation; each refresh
// compiles, stores and pushes 10,000 new plans (and the demo's three).
func BenchmarkRefreshUrgentNotice10000(b *testing.B) {
	f := newFleet(b, 10000)
	f.benchRefresh(b, 10003, f.noticeToggle(b))
}
