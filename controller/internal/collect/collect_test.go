package collect

import (
	"context"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/store"
)

// fakeStore and fakeFiles hold what the database and the asset store would.
type fakeStore struct {
	unneeded []store.Rendition
	deleted  []int64
	named    map[string]bool // by rows
	plans    map[string]bool
	late     map[string]bool // named by the time SHAInUse is asked
}

func (f *fakeStore) UnneededRenditions(context.Context, store.Geometry) ([]store.Rendition, error) {
	return f.unneeded, nil
}

func (f *fakeStore) DeleteRendition(_ context.Context, id int64) (bool, error) {
	f.deleted = append(f.deleted, id)
	var keep []store.Rendition
	for _, r := range f.unneeded {
		if r.ID != id {
			keep = append(keep, r)
		}
	}
	f.unneeded = keep
	return true, nil
}

func (f *fakeStore) ReferencedSHAs(context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	for k := range f.named {
		out[k] = true
	}
	for k := range f.plans {
		out[k] = true
	}
	return out, nil
}

func (f *fakeStore) PlanAssetSHAs(context.Context) (map[string]bool, error) { return f.plans, nil }

func (f *fakeStore) SHAInUse(_ context.Context, sha string) (bool, error) {
	return f.named[sha] || f.late[sha], nil
}

type fakeFiles map[string]int64

func (f fakeFiles) Files() ([]assets.StoredFile, error) {
	var out []assets.StoredFile
	for sha, n := range f {
		out = append(out, assets.StoredFile{SHA256: sha, Size: n})
	}
	return out, nil
}

func (f fakeFiles) Remove(sha string) error { delete(f, sha); return nil }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// The grace counts from the first pass that saw a thing unneeded, and
// starts again if it was needed in between; a plan's asset and a file
// named meanwhile stay.
func TestCollectorKeepsEverythingForItsGrace(t *testing.T) {
	ctx := context.Background()
	clk := &clock{time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	st := &fakeStore{
		unneeded: []store.Rendition{{ID: 1, SHA256: "r1"}, {ID: 2, SHA256: "r2"}, {ID: 3, SHA256: "inplan"}},
		named:    map[string]bool{"r1": true, "r2": true, "orig": true},
		plans:    map[string]bool{"inplan": true},
		late:     map[string]bool{},
	}
	files := fakeFiles{"r1": 10, "r2": 20, "inplan": 30, "orig": 40, "old": 50, "reused": 60}
	c := New(st, files, Options{Now: clk.now, Grace: time.Hour})
	pass := func() Report {
		t.Helper()
		rep, err := c.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := pass(); rep.Renditions+rep.Files != 0 || rep.Waiting != 4 { // rows 1, 2; files old, reused
		t.Fatalf("first pass: %+v", rep)
	}
	// Row 2 is needed again for a while (a display of its geometry came back).
	st.unneeded = []store.Rendition{{ID: 1, SHA256: "r1"}, {ID: 3, SHA256: "inplan"}}
	clk.t = clk.t.Add(30 * time.Minute)
	pass()
	st.unneeded = append(st.unneeded, store.Rendition{ID: 2, SHA256: "r2"})
	clk.t = clk.t.Add(30*time.Minute - time.Second)
	if rep := pass(); rep.Renditions+rep.Files != 0 {
		t.Fatalf("a second before the grace: %+v", rep)
	}
	st.late["reused"] = true // the same bytes uploaded again
	clk.t = clk.t.Add(time.Second)
	rep := pass()
	if rep.Renditions != 1 || len(st.deleted) != 1 || st.deleted[0] != 1 {
		t.Fatalf("at the grace: %+v, deleted %v; want row 1 only (row 2 was needed in between, row 3 is in a plan)", rep, st.deleted)
	}
	if rep.Files != 1 || rep.Bytes != 50 {
		t.Fatalf("files: %+v; want the old one only", rep)
	}
	for _, sha := range []string{"r1", "r2", "inplan", "orig", "reused"} {
		if _, ok := files[sha]; !ok {
			t.Errorf("%s was removed", sha)
		}
	}
	clk.t = clk.t.Add(30 * time.Minute)
	if pass(); len(st.deleted) != 1 {
		t.Fatalf("deleted %v; row 2 was unneeded again only 30 min ago", st.deleted)
	}
	clk.t = clk.t.Add(30 * time.Minute)
	pass()
	if len(st.deleted) != 2 || st.deleted[1] != 2 {
		t.Fatalf("deleted %v; want row 2 an hour after it was last needed", st.deleted)
	}
}

// TestFilesOnlyLeavesRenditionsAlone: a replica trimming its cache of the
// shared asset store removes the copies nothing names after the grace and
// deletes no rendition row (the leading replica's collector does).
func TestFilesOnlyLeavesRenditionsAlone(t *testing.T) {
	ctx := context.Background()
	clk := &clock{time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	st := &fakeStore{
		unneeded: []store.Rendition{{ID: 1, SHA256: "r1"}},
		named:    map[string]bool{"r1": true},
		plans:    map[string]bool{},
		late:     map[string]bool{},
	}
	files := fakeFiles{"r1": 10, "old": 50}
	c := New(st, files, Options{Now: clk.now, Grace: time.Hour, FilesOnly: true})
	for range 2 {
		if _, err := c.Collect(ctx); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(time.Hour)
	}
	if len(st.deleted) != 0 {
		t.Fatalf("deleted rendition rows %v", st.deleted)
	}
	if _, ok := files["old"]; ok {
		t.Fatal("the unnamed copy is still there after the grace")
	}
	if _, ok := files["r1"]; !ok {
		t.Fatal("a named copy was removed")
	}
}
