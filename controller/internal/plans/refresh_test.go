package plans

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/pgtest"
	"github.com/pano-signage/pano/controller/internal/store/storetest"

	_ "github.com/mattn/go-sqlite3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// groupDisplays lists the fleet's displays in group g.
func (f *fleet) groupDisplays(t *testing.T, g int) []int64 {
	t.Helper()
	ds, err := f.st.Displays(context.Background(), store.DisplayFilter{GroupID: f.groups[g]})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids
}

// pushed returns the displays pushed to since the last call, sorted, and
// forgets them.
func (f *fleet) pushed() []int64 {
	f.push.mu.Lock()
	defer f.push.mu.Unlock()
	ids := slices.Clone(f.push.ids)
	f.push.ids = nil
	slices.Sort(ids)
	return ids
}

// compiles reads the service's pano_plan_compiles_total.
func (f *fleet) compiles() int {
	reg := prometheus.NewRegistry()
	reg.MustRegister(f.svc.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "pano_plan_compiles_total" {
			return int(mf.GetMetric()[0].GetCounter().GetValue())
		}
	}
	panic("no pano_plan_compiles_total")
}

// A change to one group's schedule compiles that group's displays only,
// and each of them gets its new plan; moving the schedule to another group
// recompiles both groups (the old one's from what its plans were read from).
func TestChangeToOneGroupsScheduleCompilesOnlyItsDisplays(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 30)
	f.pushed()
	g0, g1 := f.groupDisplays(t, 0), f.groupDisplays(t, 1)
	if len(g0) != 3 || len(g1) != 3 {
		t.Fatalf("groups of %v and %v displays, want 3 each", g0, g1)
	}
	sc := f.scheds[0]
	sc.Priority = 42
	if _, err := f.st.UpdateSchedule(ctx, store.System, sc); err != nil {
		t.Fatal(err)
	}
	before := f.compiles()
	if err := f.svc.refreshChanged(ctx, []change{{"schedule", sc.ID}}); err != nil {
		t.Fatal(err)
	}
	if n := f.compiles() - before; n != len(g0) {
		t.Fatalf("%d plans compiled for a change to one group's schedule, want its %d displays", n, len(g0))
	}
	if got := f.pushed(); !slices.Equal(got, g0) {
		t.Fatalf("pushed to %v, want the group's displays %v", got, g0)
	}
	for _, id := range g0 {
		var p protocol.Plan
		f.push.mu.Lock()
		err := json.Unmarshal(f.push.plans[id].JSON, &p)
		f.push.mu.Unlock()
		if err != nil || len(p.Entries) != 1 || p.Entries[0].Priority != 42 {
			t.Fatalf("display %d was pushed %+v (%v), want its schedule at priority 42", id, p.Entries, err)
		}
	}

	// Moved to group 1: group 0 loses it, group 1 gains it.
	sc.GroupID = &f.groups[1]
	if _, err := f.st.UpdateSchedule(ctx, store.System, sc); err != nil {
		t.Fatal(err)
	}
	before = f.compiles()
	if err := f.svc.refreshChanged(ctx, []change{{"schedule", sc.ID}}); err != nil {
		t.Fatal(err)
	}
	both := slices.Sorted(slices.Values(append(slices.Clone(g0), g1...)))
	if n := f.compiles() - before; n != len(both) {
		t.Fatalf("%d plans compiled after moving the schedule, want both groups' %d", n, len(both))
	}
	if got := f.pushed(); !slices.Equal(got, both) {
		t.Fatalf("pushed to %v, want both groups' displays %v", got, both)
	}
	for _, id := range g0 {
		p, _, err := f.svc.Compile(ctx, id)
		if err != nil || len(p.Entries) != 0 {
			t.Fatalf("display %d of the group the schedule left still has %+v (%v)", id, p.Entries, err)
		}
	}

	// Deleted: the store no longer links it to any display; the plans
	// read from it are recompiled.
	if err := f.st.DeleteSchedule(ctx, store.System, sc.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.refreshChanged(ctx, []change{{"schedule", sc.ID}}); err != nil {
		t.Fatal(err)
	}
	if got := f.pushed(); !slices.Equal(got, g1) {
		t.Fatalf("deleting the schedule pushed to %v, want group 1's displays %v", got, g1)
	}
}

// Each kind of change reaches the displays whose plans it changes: an
// urgent notice for one group, a display of its own, a new approved
// rotation of the group's playlist.
func TestTargetedRefreshReachesEveryAffectedDisplay(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 20)
	f.pushed()
	g2 := f.groupDisplays(t, 2)
	n, err := f.st.CreateUrgentNotice(ctx, store.System, f.media, &f.groups[2], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	before := f.compiles()
	if err := f.svc.refreshChanged(ctx, []change{{"urgent_notice", n.ID}}); err != nil {
		t.Fatal(err)
	}
	if got := f.pushed(); !slices.Equal(got, g2) || f.compiles()-before != len(g2) {
		t.Fatalf("an urgent notice for one group pushed to %v after %d compiles, want %v", got, f.compiles()-before, g2)
	}
	if _, err := f.st.CancelUrgentNotice(ctx, store.System, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.refreshChanged(ctx, []change{{"urgent_notice", n.ID}}); err != nil {
		t.Fatal(err)
	}
	if got := f.pushed(); !slices.Equal(got, g2) {
		t.Fatalf("cancelling it pushed to %v, want %v", got, g2)
	}
	d, err := f.st.Display(ctx, g2[0])
	if err != nil {
		t.Fatal(err)
	}
	d.Width = 64
	if _, err := f.st.UpdateDisplay(ctx, store.System, d); err != nil {
		t.Fatal(err)
	}
	before = f.compiles()
	if err := f.svc.refreshChanged(ctx, []change{{"display", d.ID}}); err != nil {
		t.Fatal(err)
	}
	if got := f.pushed(); !slices.Equal(got, []int64{d.ID}) || f.compiles()-before != 1 {
		t.Fatalf("resizing one display pushed to %v after %d compiles", got, f.compiles()-before)
	}
}

// A compile that changes nothing never takes the store's writer: with
// another process holding SQLite's write lock, refreshing every unchanged
// plan still completes.
func TestUnchangedPlansTakeNoWriteLock(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 10)
	storetest.LockWriter(t, filepath.Join(f.dir, store.FileName)) // until the test ends
	// Bounds the wait on a writer, should one be taken (not a speed test).
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := f.svc.RefreshAll(wctx); err != nil {
		t.Fatalf("refreshing unchanged plans with the writer busy: %v", err)
	}
	ids, _ := f.st.DisplayIDs(ctx)
	for _, id := range ids {
		if _, changed, err := f.svc.Compile(wctx, id); err != nil || changed {
			t.Fatalf("compile of display %d with the writer busy: changed %v, %v", id, changed, err)
		}
	}
}

// An agent's hello is served the stored plan as stored, without compiling.
func TestHelloServesTheStoredPlanWithoutCompiling(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 10)
	ids, _ := f.st.DisplayIDs(ctx)
	before := f.compiles()
	for _, id := range ids {
		p, err := f.svc.Plan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		row, err := f.st.DisplayPlan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Revision != row.Revision || string(p.JSON) != string(row.Plan) {
			t.Fatalf("display %d: served revision %d, stored %d (or other bytes)", id, p.Revision, row.Revision)
		}
	}
	if n := f.compiles() - before; n != 0 {
		t.Fatalf("%d plans compiled to serve %d hellos, want 0", n, len(ids))
	}
}

// What a refresh shares between displays changes no plan: each plan it
// stores is the one the display's preview (assembled from the store
// directly) gives, with schedules of its own, of its group, power rules of
// its own and its group's, and urgent notices for every display, a group
// and one display by name.
func TestSharedReadsMakeTheSamePlans(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 20)
	g := f.groupDisplays(t, 3)
	if _, err := f.st.CreateSchedule(ctx, store.System, store.Schedule{PlaylistID: f.scheds[5].PlaylistID, DisplayID: &g[0],
		Weekdays: 127, StartTime: "06:00", EndTime: "22:00", Priority: 50}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetGroupPowerBrightness(ctx, store.System, f.groups[3], &store.PowerBrightness{Power: []protocol.Window{{From: "05:30", Until: "23:00"}}}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetDisplayPowerBrightness(ctx, store.System, g[1], &store.PowerBrightness{Power: []protocol.Window{{From: "07:00", Until: "21:00"}}}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []store.UrgentTarget{{EveryDisplay: true}, {GroupIDs: []int64{f.groups[3]}}, {DisplayIDs: []int64{g[0]}}} {
		if _, err := f.st.SendUrgentNotice(ctx, store.System, f.media, to, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	ids, _ := f.st.DisplayIDs(ctx)
	for _, id := range ids {
		row, err := f.st.DisplayPlan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want, err := f.svc.DisplayPreview(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		digest, _ := digestOf(want)
		if row.Digest != digest {
			t.Fatalf("display %d: the refresh stored\n%s\nthe preview assembles %+v", id, row.Plan, want)
		}
	}
}

// A display made under the id of one just deleted (SQLite reuses the
// highest) gets a plan of its own, not the deleted display's, even when
// both changes reach the service before it refreshes.
func TestDisplayMadeUnderADeletedOnesIDGetsItsOwnPlan(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := setup(t)
	old, err := st.CreateDisplay(ctx, store.System, store.Display{Name: "cu", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{96, 128} { // three revisions
		if _, _, err := svc.Compile(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		old.Width = w
		if _, err := st.UpdateDisplay(ctx, store.System, old); err != nil {
			t.Fatal(err)
		}
		svc.Changed("display", old.ID)
	}
	if _, _, err := svc.Compile(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.Plan(ctx, old.ID); err != nil || p.Revision != 3 {
		t.Fatalf("the old display's plan: revision %d, %v; want 3", p.Revision, err)
	}
	if err := st.DeleteDisplay(ctx, store.System, old.ID); err != nil {
		t.Fatal(err)
	}
	svc.Changed("display", old.ID)
	made, err := st.CreateDisplay(ctx, store.System, store.Display{Name: "moi", Width: 192, Height: 96, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	if made.ID != old.ID && pgtest.Wanted() {
		t.Logf("PostgreSQL never gives a deleted row's id again (a sequence): the case cannot happen")
		return
	}
	if made.ID != old.ID {
		t.Fatalf("the new display got id %d, not the deleted %d: the test shows nothing", made.ID, old.ID)
	}
	svc.Changed("display", made.ID)
	if _, _, err := svc.Compile(ctx, made.ID); err != nil {
		t.Fatal(err)
	}
	p, err := svc.Plan(ctx, made.ID)
	var plan protocol.Plan
	if err == nil {
		err = json.Unmarshal(p.JSON, &plan)
	}
	if err != nil || p.Revision != 1 || plan.Revision != 1 || plan.Panel.Width != 192 {
		t.Fatalf("the new display is served revision %d (a plan of revision %d for a panel %d wide), %v; want its own: revision 1, 192 wide",
			p.Revision, plan.Revision, plan.Panel.Width, err)
	}
}
