package seed

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
)

func TestDemoSeedsOnceAndLogsIn(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := auth.Params{Memory: 1024, Time: 1, Threads: 1}
	if did, err := Demo(ctx, st, p); err != nil || !did {
		t.Fatalf("first seed: %v, %v", did, err)
	}
	if did, err := Demo(ctx, st, p); err != nil || did {
		t.Fatalf("second seed: %v, %v; want nothing done", did, err)
	}
	for _, l := range Logins {
		u, err := st.UserByName(ctx, l.Name)
		if err != nil || u.Role != l.Role || u.UnitName != l.Unit {
			t.Fatalf("%s: %+v, %v", l.Name, u, err)
		}
		if err := auth.CheckPassword(u.PasswordHash, DemoPassword); err != nil {
			t.Fatalf("%s: %v", l.Name, err)
		}
	}
	cs, _ := st.Campaigns(ctx, "57-NQ/TW")
	if len(cs) != 1 || len(cs[0].Themes) != 5 {
		t.Fatalf("campaign: %+v", cs)
	}
	// A unit's kind is free text shown as typed: the demo's are in the
	// ward's words, not codes.
	us, err := st.Units(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, u := range us {
		kinds[u.Name] = u.Kind
	}
	for name, kind := range map[string]string{"Phòng Văn hóa – Xã hội": "phòng chuyên môn", "Ủy ban MTTQ Việt Nam phường": "mặt trận",
		"Trường THCS phường": "trường học", "Khối phố 1": "khối phố"} {
		if kinds[name] != kind {
			t.Errorf("unit %s: kind %q, want %q", name, kinds[name], kind)
		}
	}
	if gs, _ := st.Groups(ctx, ""); len(gs) != 3 {
		t.Fatalf("groups: %+v", gs)
	}
	if _, brk, err := st.VerifyAudit(ctx); brk != nil || err != nil {
		t.Fatalf("audit: %v %v", brk, err)
	}
}

// TestDemoNoticeIsRendered: the pipeline makes the demo's approved notice
// for each of the demo's three geometries (on 64×32 it scrolls).
func TestDemoNoticeIsRendered(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Demo(ctx, st, auth.Params{Memory: 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	as, err := assets.OpenStore(filepath.Join(dir, "assets"))
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan int64, 10)
	failed := make(chan error, 10)
	p := pipeline.New(pipeline.Options{Store: st, Assets: as, OnReady: func(r int64) { ready <- r }, OnFailed: func(_ int64, err error) { failed <- err }})
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	want := len(notices) * len(screens)
	for i := 0; i < want; i++ {
		select {
		case <-ready:
		case err := <-failed:
			t.Fatal(err)
		case <-time.After(time.Minute):
			t.Fatalf("%d of %d renditions in a minute", i, want)
		}
	}
	ms, _, err := st.ListMedia(ctx, store.MediaFilter{Status: store.StatusApproved})
	if err != nil || len(ms) != len(notices) {
		t.Fatalf("approved media: %v, %v", ms, err)
	}
	for _, m := range ms {
		for _, g := range []store.Geometry{{Width: 64, Height: 32, Fit: "contain"}, {Width: 128, Height: 64, Fit: "contain"}, {Width: 192, Height: 96, Fit: "contain"}} {
			r, err := st.RenditionFor(ctx, m.Approved.ID, g.Width, g.Height, g.Fit)
			if err != nil {
				t.Fatalf("%s %+v: %v", m.Approved.Title, g, err)
			}
			// Long notices scroll on the smallest panel; nothing scrolls on
			// the largest.
			if g.Width == 192 && r.TickerPPS > 0 {
				t.Errorf("%s %+v: ticker %d px/s", m.Approved.Title, g, r.TickerPPS)
			}
		}
	}
}
