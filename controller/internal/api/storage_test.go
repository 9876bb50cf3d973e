package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/collect"
	"github.com/pano-signage/pano/controller/internal/store"
)

// displayAt makes a display of that geometry through the API.
func (v *env) displayAt(tech cred, w, h int, fit string) int64 {
	v.t.Helper()
	var d displayOut
	must(v.t, v.do(tech, "POST", "/displays", map[string]any{"name": v.uniq("man-hinh"), "width": w, "height": h, "fit": fit, "profile": "virtual"}), 201).json(v.t, &d)
	return d.ID
}

// A draft video is rendered for the one panel most displays have, which
// the dashboard plays; its other panels preview that rendition's first
// frame. Submitted, it is rendered for every panel before anyone may
// approve it.
func TestDraftVideoHasOnlyItsPreviewRenditionUntilSubmitted(t *testing.T) {
	v := newEnv(t)
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	approver := v.bearer(v.user(store.RoleApprover, v.unitB.ID))
	v.displayAt(tech, 64, 32, "contain")
	v.displayAt(tech, 64, 32, "contain")
	v.displayAt(tech, 128, 64, "contain")
	v.displayAt(tech, 96, 48, "cover")
	v.startPipeline()

	var m store.Media
	must(t, v.upload(ed, "phim.mp4", testsrcVideo(t, "1"), nil), 201).json(t, &m)
	v.waitReady(1)
	must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d", m.ID), nil), 200).json(t, &m)
	if rs := m.Current.Renditions; m.Current.Processing != "ready" || len(rs) != 1 || rs[0].Width != 64 || rs[0].Height != 32 || rs[0].Status != "ready" {
		t.Fatalf("a draft video: %s with renditions %+v; want one, 64×32 (the panel most displays have)", m.Current.Processing, rs)
	}
	if files := v.assetFiles(); len(files) != 2 {
		t.Fatalf("a draft video left %d files, want its original and one rendition: %v", len(files), files)
	}
	for _, q := range []string{"w=64&h=32", "w=128&h=64", "w=96&h=48&fit=cover"} {
		must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d/preview?%s", m.ID, q), nil), 200)
	}

	var sub store.Media
	must(t, v.do(ed, "POST", fmt.Sprintf("/media/%d/submit", m.ID), nil), 200).json(t, &sub)
	if sub.Current.Processing != "processing" {
		t.Fatalf("submitted, the video is %s; want processing (two panels to render)", sub.Current.Processing)
	}
	if r := v.do(approver, "POST", fmt.Sprintf("/media/%d/approve", m.ID), nil); r.Status != 409 {
		t.Fatalf("approved before every panel was rendered: %d %s", r.Status, r.Body)
	}
	v.waitReady(2)
	must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d", m.ID), nil), 200).json(t, &m)
	if len(m.Current.Renditions) != 3 || m.Current.Processing != "ready" {
		t.Fatalf("submitted: %s with %d renditions, want ready with 3", m.Current.Processing, len(m.Current.Renditions))
	}
	for _, r := range m.Current.Renditions {
		if r.Status != "ready" {
			t.Fatalf("rendition %+v", r)
		}
	}
	must(t, v.do(approver, "POST", fmt.Sprintf("/media/%d/approve", m.ID), nil), 200)
}

// The collector removes, after its grace period, the renditions no live
// revision needs (a deleted display's geometry) and the files nothing
// names (a deleted media's original and renditions); within the grace
// nothing goes, and a file a display's stored plan names never goes.
func TestCollectorRemovesWhatNothingNeedsAfterGrace(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	small := v.displayAt(tech, 64, 32, "contain")
	big := v.displayAt(tech, 128, 64, "contain")

	upload := func(name string, w, h int) store.Media {
		var m store.Media
		must(t, v.upload(ed, name, testPNG(t, w, h), nil), 201).json(t, &m)
		if len(m.Current.Renditions) != 2 {
			t.Fatalf("%s: renditions %+v", name, m.Current.Renditions)
		}
		return m
	}
	kept, gone, planned := upload("giu.png", 40, 20), upload("xoa.png", 50, 20), upload("ke-hoach.png", 60, 20)
	file := func(sha string) bool { _, err := v.as.Find(context.Background(), sha); return err == nil }
	shas := func(m store.Media) (out []string) {
		out = append(out, m.Current.SHA256)
		for _, r := range m.Current.Renditions {
			out = append(out, r.SHA256)
		}
		return out
	}
	// The small display's stored plan names one rendition of "planned".
	var inPlan string
	for _, r := range planned.Current.Renditions {
		if r.Width == 64 {
			inPlan = r.SHA256
		}
	}
	plan := func(shas ...string) {
		var as []map[string]any
		for _, s := range shas {
			as = append(as, map[string]any{"sha256": s, "kind": "image"})
		}
		if _, _, err := v.st.SavePlan(ctx, small, fmt.Sprint(shas), func(rev int64) ([]byte, error) {
			return json.Marshal(map[string]any{"revision": rev, "display_id": small, "assets": as})
		}); err != nil {
			t.Fatal(err)
		}
	}
	plan(inPlan)

	must(t, v.do(ed, "DELETE", fmt.Sprintf("/media/%d", gone.ID), nil), 204)
	must(t, v.do(ed, "DELETE", fmt.Sprintf("/media/%d", planned.ID), nil), 204)
	must(t, v.do(tech, "DELETE", fmt.Sprintf("/displays/%d", big), nil), 204)

	c := collect.New(v.st, v.as, collect.Options{Now: v.clock, Grace: time.Hour,
		Keep: store.Geometry{Width: ThumbWidth, Height: ThumbHeight, Fit: "contain"}})
	pass := func() collect.Report {
		t.Helper()
		rep, err := c.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	before := v.assetFiles()
	if rep := pass(); rep.Renditions != 0 || rep.Files != 0 || rep.Waiting == 0 {
		t.Fatalf("first pass: %+v; want nothing removed and some waiting", rep)
	}
	v.advance(59 * time.Minute)
	if rep := pass(); rep.Renditions != 0 || rep.Files != 0 {
		t.Fatalf("within the grace: %+v", rep)
	}
	if after := v.assetFiles(); len(after) != len(before) {
		t.Fatalf("files went within the grace: %d → %d", len(before), len(after))
	}
	v.advance(2 * time.Minute)
	if rep := pass(); rep.Renditions != 1 {
		t.Fatalf("after the grace: %+v; want the deleted display's rendition of the kept media removed", rep)
	}
	// A file whose row just went is unnamed from now: its own grace.
	v.advance(61 * time.Minute)
	pass()

	for _, sha := range shas(gone) {
		if file(sha) {
			t.Errorf("a file of the deleted media is still there: %s", sha)
		}
	}
	m, err := v.st.Media(ctx, kept.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Current.Renditions) != 1 || m.Current.Renditions[0].Width != 64 {
		t.Fatalf("the kept media's renditions: %+v; want its 64×32 only", m.Current.Renditions)
	}
	for _, sha := range shas(m) {
		if !file(sha) {
			t.Errorf("a file of the kept media went: %s", sha)
		}
	}
	for _, r := range kept.Current.Renditions {
		if r.Width == 128 && file(r.SHA256) {
			t.Errorf("the deleted display's rendition file is still there")
		}
	}
	if !file(inPlan) {
		t.Fatal("a file a stored plan names was collected")
	}
	if file(planned.Current.SHA256) {
		t.Error("the deleted media's original is still there although no plan names it")
	}

	// Once no plan names it, it goes after the grace too.
	plan()
	pass()
	v.advance(61 * time.Minute)
	pass()
	if file(inPlan) {
		t.Error("a file no plan names any more was kept")
	}
	for _, f := range v.assetFiles() {
		if strings.HasPrefix(f, "/tmp/") {
			t.Errorf("temporary file left: %s", f)
		}
	}
}

// An upload beyond its unit's storage quota is refused saying what the
// unit uses and what to do, and leaves nothing behind; a unit at its quota
// is refused before the file is read.
func TestUploadBeyondTheUnitQuotaIsRefusedSayingWhatToDo(t *testing.T) {
	v := newEnv(t)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	must(t, v.upload(ed, "mot.png", testPNG(t, 40, 20), nil), 201)
	used, err := v.st.UnitStorageBytes(context.Background(), v.unitA.ID)
	if err != nil || used == 0 {
		t.Fatalf("used %d, %v", used, err)
	}
	v.api.o.UnitQuota = used + 1000
	files := v.assetFiles()
	r := v.upload(ed, "lon.png", testPNG(t, 400, 300), nil)
	if r.Status != 507 || r.code() != "quota_exceeded" || !strings.Contains(string(r.Body), "delete media") {
		t.Fatalf("an upload beyond the quota: %d %s", r.Status, r.Body)
	}
	if after := v.assetFiles(); len(after) != len(files) {
		t.Fatalf("the refused upload left files: %v → %v", files, after)
	}
	// Another unit has its own quota.
	other := v.bearer(v.user(store.RoleEditor, v.unitB.ID))
	must(t, v.upload(other, "lon.png", testPNG(t, 40, 20), nil), 201)

	v.api.o.UnitQuota = used
	r = v.upload(ed, "nho.png", testPNG(t, 8, 8), nil)
	if r.Status != 507 || r.code() != "quota_exceeded" || !strings.Contains(string(r.Body), "is full") || !strings.Contains(string(r.Body), v.unitA.Name) {
		t.Fatalf("an upload to a full unit: %d %s", r.Status, r.Body)
	}

	// An administrator gives the unit a quota of its own, and takes it back.
	admin := v.session(v.user(store.RoleAdmin, v.unitA.ID))
	unit := fmt.Sprintf("/units/%d", v.unitA.ID)
	if r := v.do(admin, "PATCH", unit, map[string]any{"storage_quota_mib": -1}); r.Status != 400 || r.code() != "quota_range" {
		t.Fatalf("a negative quota: %d %s", r.Status, r.Body)
	}
	var u store.Unit
	must(t, v.do(admin, "PATCH", unit, map[string]any{"storage_quota_mib": 100}), 200).json(t, &u)
	if u.StorageQuotaMiB == nil || *u.StorageQuotaMiB != 100 {
		t.Fatalf("unit %+v", u)
	}
	must(t, v.upload(ed, "nho.png", testPNG(t, 8, 8), nil), 201)
	must(t, v.do(admin, "PATCH", unit, map[string]any{"storage_quota_mib": 0}), 200).json(t, &u)
	if u.StorageQuotaMiB != nil {
		t.Fatalf("unit %+v: its quota is not the default again", u)
	}
	if r := v.upload(ed, "nho2.png", testPNG(t, 9, 9), nil); r.Status != 507 {
		t.Fatalf("back on the site's quota: %d %s", r.Status, r.Body)
	}
}
