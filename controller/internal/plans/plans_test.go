package plans

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/seed"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/testdb"
	"github.com/pano-signage/pano/protocol"
)

// renditions is a fake pipeline: every revision has a rendition per
// geometry unless it is listed in missing.
type renditions struct {
	mu      sync.Mutex
	missing map[int64]bool
}

func (r *renditions) find(_ context.Context, rev int64, w, h int, fit string) (protocol.Asset, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.missing[rev] {
		return protocol.Asset{}, store.ErrNotFound
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%dx%d/%s", rev, w, h, fit)))
	return protocol.Asset{SHA256: hex.EncodeToString(sum[:]), Kind: protocol.AssetImage, Bytes: 100}, nil
}

type pushes struct {
	mu    sync.Mutex
	ids   []int64
	plans map[int64]hub.Plan // display → the newest pushed
}

func (p *pushes) PushPlan(_ context.Context, id int64, plan hub.Plan) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = append(p.ids, id)
	if p.plans == nil {
		p.plans = map[int64]hub.Plan{}
	}
	p.plans[id] = plan
	return nil
}

func setup(t *testing.T) (*Service, *store.Store, *renditions) {
	t.Helper()
	ctx := context.Background()
	st := testdb.Open(t, t.TempDir())
	fast := auth.Params{Memory: 1024, Time: 1, Threads: 1}
	if _, err := seed.Demo(ctx, st, fast); err != nil {
		t.Fatal(err)
	}
	r := &renditions{missing: map[int64]bool{}}
	return New(st, r.find, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{}), st, r
}

func displayNamed(t *testing.T, st *store.Store, name string) store.Display {
	t.Helper()
	ds, err := st.Displays(context.Background(), store.DisplayFilter{Q: name})
	if err != nil || len(ds) != 1 {
		t.Fatalf("display %s: %v %v", name, ds, err)
	}
	return ds[0]
}

func TestCompileFromSchedulesAndRevisionOnlyOnChange(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	d := displayNamed(t, st, "trung-tam-phuong") // the ward centre group has the demo rotation
	p, changed, err := svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !changed || p.Revision != 1 || len(p.Entries) != 1 || len(p.Playlists) != 1 || len(p.Assets) != 3 {
		t.Fatalf("first compile: changed %v, plan %+v", changed, p)
	}
	e := p.Entries[0]
	if e.From != "00:00" || e.Until != "24:00" || e.Weekdays != nil || e.Priority != 10 || e.StartDate == "" {
		t.Fatalf("entry %+v", e)
	}
	if p.Panel != (protocol.Panel{Width: d.Width, Height: d.Height}) || p.TimeZone != "Asia/Ho_Chi_Minh" {
		t.Fatalf("plan header %+v", p)
	}
	if _, err := protocol.Compile(p); err != nil {
		t.Fatalf("compiled plan does not validate: %v", err)
	}

	// Nothing changed: same revision.
	p2, changed, err := svc.Compile(ctx, d.ID)
	if err != nil || changed || p2.Revision != 1 {
		t.Fatalf("second compile: changed %v revision %d err %v", changed, p2.Revision, err)
	}

	// A schedule change makes revision 2.
	scheds, _ := st.Schedules(ctx, store.ScheduleFilter{})
	sc := scheds[0]
	sc.Priority = 20
	sc.Weekdays = 0b0011111 // Monday to Friday
	if _, err := st.UpdateSchedule(ctx, store.System, sc); err != nil {
		t.Fatal(err)
	}
	p3, changed, err := svc.Compile(ctx, d.ID)
	if err != nil || !changed || p3.Revision != 2 {
		t.Fatalf("after a schedule change: changed %v revision %d err %v", changed, p3.Revision, err)
	}
	if got := fmt.Sprint(p3.Entries[0].Weekdays); got != "[1 2 3 4 5]" || p3.Entries[0].Priority != 20 {
		t.Fatalf("entry after change %+v", p3.Entries[0])
	}
}

func TestItemsWithoutRenditionWaitOutsideThePlan(t *testing.T) {
	ctx := context.Background()
	svc, st, r := setup(t)
	d := displayNamed(t, st, "trung-tam-phuong")
	_, scheds, _ := st.PlanSources(ctx, d.ID)
	first := scheds[0].Items[0].RevisionID
	r.missing[first] = true
	p, _, err := svc.Compile(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Assets) != 2 || len(p.Playlists[0].Items) != 2 {
		t.Fatalf("plan with one unrendered item: %+v", p)
	}
	for _, it := range scheds[0].Items {
		r.missing[it.RevisionID] = true
	}
	p, _, _ = svc.Compile(ctx, d.ID)
	if len(p.Entries) != 0 || len(p.Assets) != 0 {
		t.Fatalf("plan with nothing rendered: %+v", p)
	}
	clear(r.missing)
	p, changed, _ := svc.Compile(ctx, d.ID)
	if !changed || len(p.Assets) != 3 {
		t.Fatalf("after the renditions: changed %v, plan %+v", changed, p)
	}
}

func TestRefreshPushesOnlyChangedPlans(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	push := &pushes{}
	svc.SetPusher(push)
	if err := svc.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	ids, _ := st.DisplayIDs(ctx)
	if len(push.ids) != len(ids) {
		t.Fatalf("first refresh pushed %v, want every display %v", push.ids, ids)
	}
	push.ids = nil
	if err := svc.RefreshAll(ctx); err != nil || len(push.ids) != 0 {
		t.Fatalf("second refresh pushed %v (%v)", push.ids, err)
	}
	d := displayNamed(t, st, "truong-hoc")
	d.Width = 96
	if _, err := st.UpdateDisplay(ctx, store.System, d); err != nil {
		t.Fatal(err)
	}
	if err := svc.RefreshAll(ctx); err != nil || fmt.Sprint(push.ids) != fmt.Sprint([]int64{d.ID}) {
		t.Fatalf("after a resize pushed %v, want [%d] (%v)", push.ids, d.ID, err)
	}
}

func TestUrgentNoticeOverridesEveryDisplayUntilCancelled(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	ms, _, err := st.ListMedia(ctx, store.MediaFilter{Status: store.StatusApproved})
	if err != nil || len(ms) == 0 {
		t.Fatal(err)
	}
	n, err := st.CreateUrgentNotice(ctx, store.System, ms[0].ID, nil, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := st.DisplayIDs(ctx)
	for _, id := range ids {
		p, _, err := svc.Compile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s, err := protocol.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		slot, ok := s.At(time.Now())
		if !ok || slot.Entry != -n.ID || slot.Item.Media != ms[0].ID {
			t.Fatalf("display %d plays %+v, want the urgent notice", id, slot)
		}
	}
	if _, err := st.CancelUrgentNotice(ctx, store.System, n.ID); err != nil {
		t.Fatal(err)
	}
	p, changed, _ := svc.Compile(ctx, ids[0])
	for _, e := range p.Entries {
		if e.ID < 0 || !changed {
			t.Fatalf("after cancel: changed %v, entries %+v", changed, p.Entries)
		}
	}
	if _, err := st.CancelUrgentNotice(ctx, store.System, n.ID); err == nil {
		t.Fatal("cancelled twice")
	}
	draft, _ := st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: ms[0].UnitID, Title: "nháp", Kind: store.KindText, Body: "x"})
	if _, err := st.CreateUrgentNotice(ctx, store.System, draft.ID, nil, time.Minute); err == nil {
		t.Fatal("a draft was sent as an urgent notice")
	}
}

// TestUrgentNoticeReachesOnlyItsTargets: a notice aimed at one group and
// one display by name plays on exactly their displays; one whose only
// group is deleted reaches nothing, never every display.
func TestUrgentNoticeReachesOnlyItsTargets(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	ms, _, err := st.ListMedia(ctx, store.MediaFilter{Status: store.StatusApproved})
	if err != nil || len(ms) == 0 {
		t.Fatal(err)
	}
	ds, err := st.Displays(ctx, store.DisplayFilter{})
	if err != nil || len(ds) != 3 || ds[0].GroupID == nil {
		t.Fatalf("displays: %+v, %v", ds, err)
	}
	// Every demo display is in a group of its own.
	n, err := st.SendUrgentNotice(ctx, store.System, ms[0].ID, store.UrgentTarget{GroupIDs: []int64{*ds[0].GroupID}, DisplayIDs: []int64{ds[1].ID}}, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n.Displays != 2 || n.EveryDisplay || n.GroupID != nil {
		t.Fatalf("notice: %+v", n)
	}
	urgentOn := func(d store.Display) bool {
		t.Helper()
		p, _, err := svc.Compile(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		s, err := protocol.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		slot, ok := s.At(time.Now())
		return ok && slot.Entry == -n.ID
	}
	for i, want := range []bool{true, true, false} {
		if got := urgentOn(ds[i]); got != want {
			t.Errorf("display %s plays the notice: %v, want %v", ds[i].Name, got, want)
		}
	}
	if err := st.DeleteGroup(ctx, store.System, *ds[2].GroupID); err != nil {
		t.Fatal(err)
	}
	only, err := st.SendUrgentNotice(ctx, store.System, ms[0].ID, store.UrgentTarget{GroupIDs: []int64{*ds[0].GroupID}}, 30*time.Minute)
	if err != nil || only.GroupID == nil || *only.GroupID != *ds[0].GroupID {
		t.Fatalf("one-group notice: %+v, %v", only, err)
	}
	if _, err := st.CancelUrgentNotice(ctx, store.System, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteGroup(ctx, store.System, *ds[0].GroupID); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		d, err := st.Display(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if urgentOn(d) {
			t.Errorf("display %s plays a notice whose group was deleted", d.Name)
		}
		p, _, _ := svc.Compile(ctx, d.ID)
		for _, e := range p.Entries {
			if e.ID < 0 {
				t.Errorf("display %s: urgent entry %+v left", d.Name, e)
			}
		}
	}
}

func TestAffects(t *testing.T) {
	for typ, want := range map[string]bool{"schedule": true, "media": true, "urgent_notice": true, "display": true, "user": false, "api_token": false, "unit": false} {
		if Affects(typ) != want {
			t.Errorf("Affects(%q) = %v", typ, !want)
		}
	}
}

// TestUrgentNoticeWakesScreensThatAreOff: where a display has power
// windows, its urgent notices wake it (a warning at night reaches the
// street); where it has none, the plan says nothing new (schema 1).
func TestUrgentNoticeWakesScreensThatAreOff(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	ms, _, err := st.ListMedia(ctx, store.MediaFilter{Status: store.StatusApproved})
	if err != nil || len(ms) == 0 {
		t.Fatal(err)
	}
	ids, _ := st.DisplayIDs(ctx)
	off := &store.PowerBrightness{Power: []protocol.Window{{From: "05:30", Until: "05:31"}}} // off nearly all day
	if err := st.SetDisplayPowerBrightness(ctx, store.System, ids[0], off); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUrgentNotice(ctx, store.System, ms[0].ID, nil, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:2] {
		p, _, err := svc.Compile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s, err := protocol.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		on, _ := s.PowerAt(time.Now())
		wakes := id == ids[0]
		for _, e := range p.Entries {
			if e.ID < 0 && e.Wake != wakes {
				t.Fatalf("display %d: urgent entry wake = %v, want %v", id, e.Wake, wakes)
			}
		}
		if !on {
			t.Fatalf("display %d is off during an urgent notice", id)
		}
		if !wakes && p.Schema != 1 {
			t.Fatalf("display %d without power windows got schema %d", id, p.Schema)
		}
	}
}

// TestFollowerServesTheLeadersLatestPlan: a replica that does not lead
// compiles nothing on changes and gives an agent the plan the leading
// replica stored last, not one it saw earlier; taking the lead, it
// compiles again.
func TestFollowerServesTheLeadersLatestPlan(t *testing.T) {
	ctx := context.Background()
	lead, st, r := setup(t)
	follower := New(st, r.find, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	follower.SetLeader(false)
	d := displayNamed(t, st, "truong-hoc")
	if err := lead.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := follower.Plan(ctx, d.ID)
	if err != nil || first.Revision == 0 {
		t.Fatalf("follower's plan: %+v %v", first, err)
	}
	d.Width = 96
	if _, err := st.UpdateDisplay(ctx, store.System, d); err != nil {
		t.Fatal(err)
	}
	follower.Changed("display", d.ID)
	follower.Kick()
	follower.mu.Lock()
	queued := len(follower.changes) > 0 || follower.full
	follower.mu.Unlock()
	if queued {
		t.Fatal("a follower queued a recompile")
	}
	if err := lead.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	now, err := follower.Plan(ctx, d.ID)
	if err != nil || now.Revision != first.Revision+1 {
		t.Fatalf("follower gives revision %d (%v), want the leader's %d", now.Revision, err, first.Revision+1)
	}
	follower.SetLeader(true)
	follower.mu.Lock()
	full := follower.full
	follower.mu.Unlock()
	if !full {
		t.Fatal("taking the lead asked for no refresh")
	}
}
