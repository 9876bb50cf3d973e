package plans

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// TestSharedPlansAreTheBytesOfTheirOwn: displays whose plans differ only
// in their id get them from one shared encoding; each display's stored
// (and pushed) bytes are exactly those of its own plan assembled and
// encoded alone, and the ones with something of their own (a schedule, a
// power rule, a notice naming them, a site, a geometry) are not lumped
// in with the others.
func TestSharedPlansAreTheBytesOfTheirOwn(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 40)
	ds, err := f.st.Displays(ctx, store.DisplayFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]store.Display{}
	for _, d := range ds {
		byName[d.Name] = d
	}
	// man-hinh-00000, -00010, -00020, -00030 share group 0.
	own := byName["man-hinh-00000"]
	if _, err := f.st.CreateSchedule(ctx, store.System, store.Schedule{PlaylistID: f.scheds[1].PlaylistID, DisplayID: &own.ID,
		Weekdays: 127, StartTime: "08:00", EndTime: "09:00", Priority: 20}); err != nil {
		t.Fatal(err)
	}
	placed := byName["man-hinh-00010"]
	lat, lon := 16.06, 108.22
	placed.Latitude, placed.Longitude = &lat, &lon
	if _, err := f.st.UpdateDisplay(ctx, store.System, placed); err != nil {
		t.Fatal(err)
	}
	ruled := byName["man-hinh-00020"]
	if err := f.st.SetDisplayPowerBrightness(ctx, store.System, ruled.ID, &store.PowerBrightness{
		Power: []protocol.Window{{From: "06:00", Until: "22:00"}}}); err != nil {
		t.Fatal(err)
	}
	wide := byName["man-hinh-00001"]
	wide.Width = 256
	if _, err := f.st.UpdateDisplay(ctx, store.System, wide); err != nil {
		t.Fatal(err)
	}
	named := byName["man-hinh-00002"]
	for _, to := range []store.UrgentTarget{{EveryDisplay: true}, {GroupIDs: []int64{f.groups[3]}}, {DisplayIDs: []int64{named.ID}}} {
		if _, err := f.st.SendUrgentNotice(ctx, store.System, f.media, to, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}

	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	classes := map[*class][]int64{}
	for _, b := range f.svc.build(ctx, ids, newMemo(f.svc.rend)) {
		if b.err != nil {
			t.Fatal(b.err)
		}
		if b.class != nil {
			classes[b.class] = append(classes[b.class], b.id)
		}
	}
	for _, d := range []store.Display{own, placed, ruled, wide, named} {
		for _, members := range classes {
			if len(members) > 1 && slices.Contains(members, d.ID) {
				t.Errorf("display %s shares a plan with %v though it has something of its own", d.Name, members)
			}
		}
	}
	if len(classes) == 0 || len(classes) > 15 {
		t.Fatalf("%d classes among 40 displays of 10 groups; want 10–15", len(classes))
	}

	for _, d := range ds {
		stored, err := f.st.DisplayPlan(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var sent protocol.Plan
		if err := json.Unmarshal(stored.Plan, &sent); err != nil {
			t.Fatal(err)
		}
		d, scheds, err := f.st.PlanSources(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		alone, err := f.svc.assembleWith(ctx, d, scheds, f.svc.rend, nil)
		if err != nil {
			t.Fatal(err)
		}
		alone.Revision, alone.Generated = stored.Revision, sent.Generated
		want, err := json.Marshal(alone)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored.Plan, want) {
			t.Errorf("display %s: stored plan\n%s\nwant, as encoded alone,\n%s", d.Name, stored.Plan, want)
		}
		if dg, _ := digestOf(alone); dg != stored.Digest {
			t.Errorf("display %s: digest %s, its own plan's %s", d.Name, stored.Digest, dg)
		}
		if pushed := f.push.plans[d.ID]; !bytes.Equal(pushed.JSON, stored.Plan) || pushed.Revision != stored.Revision {
			t.Errorf("display %s: pushed revision %d %s, stored %d", d.Name, pushed.Revision, pushed.JSON, stored.Revision)
		}
	}
}
