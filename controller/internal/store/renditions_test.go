package store

import (
	"context"
	"errors"
	"testing"
)

// TestRenditionQueue walks a video revision through the queue: queued for
// each geometry in use, claimed, progress, ready; the revision's
// processing follows, and only ready hashes are assets.
func TestRenditionQueue(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	u := mustUnit(t, s, "Phường")
	for i, g := range []Geometry{{64, 32, "contain"}, {128, 64, "cover"}, {64, 32, "contain"}} {
		if _, err := s.CreateDisplay(ctx, System, Display{Name: string(rune('a' + i)), Width: g.Width, Height: g.Height, Fit: g.Fit, Profile: "virtual"}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.CreateMedia(ctx, System, NewMedia{UnitID: u.ID, Title: "Phim", Kind: KindVideo, SHA256: "ab", MIME: "video/mp4",
		Processing: ProcessingProcessing})
	if err != nil {
		t.Fatal(err)
	}
	rev := m.Current.ID
	// A draft video is rendered for the geometry most displays have only.
	n, err := s.EnqueueRenditions(ctx)
	if err != nil || n != 1 {
		t.Fatalf("enqueued %d, %v; want 1 (the preview geometry of a draft)", n, err)
	}
	if m, _ = s.Media(ctx, m.ID); len(m.Current.Renditions) != 1 || m.Current.Renditions[0].Width != 64 {
		t.Fatalf("draft renditions %+v, want 64×32 (two displays have it)", m.Current.Renditions)
	}
	// Submitted: every geometry.
	if _, err := s.SubmitMedia(ctx, System, m.ID); err != nil {
		t.Fatal(err)
	}
	n, err = s.EnqueueRenditions(ctx)
	if err != nil || n != 1 {
		t.Fatalf("enqueued %d, %v; want 1 more (distinct geometries)", n, err)
	}
	if n, _ := s.EnqueueRenditions(ctx); n != 0 {
		t.Fatalf("second enqueue queued %d", n)
	}
	if q, err := s.RenditionQueue(ctx); err != nil || q["queued"] != 2 || q["processing"] != 0 {
		t.Fatalf("render queue %v, %v; want 2 queued", q, err)
	}
	j1, err := s.ClaimRendition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := s.RenditionQueue(ctx); err != nil || q["queued"] != 1 || q["processing"] != 1 {
		t.Fatalf("render queue %v, %v; want 1 queued, 1 processing", q, err)
	}
	if j1.Revision.ID != rev || j1.Rendition.Status != RenditionProcessing {
		t.Fatalf("claimed %+v", j1)
	}
	if err := s.SetRenditionProgress(ctx, j1.Rendition.ID, 50); err != nil {
		t.Fatal(err)
	}
	m, _ = s.Media(ctx, m.ID)
	if m.Current.Processing != ProcessingProcessing || m.Current.ProcessingProgress != 25 {
		t.Fatalf("revision %s %d%%, want processing 25%%", m.Current.Processing, m.Current.ProcessingProgress)
	}
	// A restart puts the claimed one back.
	if n, _ := s.RequeueRenditions(ctx); n != 1 {
		t.Fatalf("requeued %d, want 1", n)
	}
	if _, err := s.RenditionFor(ctx, rev, 64, 32, "contain"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RenditionFor before ready: %v", err)
	}
	for range 2 {
		j, err := s.ClaimRendition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRendition(ctx, j.Rendition.ID, Rendition{SHA256: "cd" + j.Rendition.Fit, Kind: KindVideo, MIME: "application/zip", Frames: 50, FPS: 25}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ClaimRendition(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim on empty queue: %v", err)
	}
	r, err := s.RenditionFor(ctx, rev, 64, 32, "contain")
	if err != nil || r.Frames != 50 || r.SHA256 != "cdcontain" {
		t.Fatalf("RenditionFor = %+v, %v", r, err)
	}
	m, _ = s.Media(ctx, m.ID)
	if m.Current.Processing != ProcessingReady || m.Current.ProcessingProgress != 100 || len(m.Current.Renditions) != 2 {
		t.Fatalf("revision %s %d%% with %d renditions", m.Current.Processing, m.Current.ProcessingProgress, len(m.Current.Renditions))
	}
	if ok, _, _ := s.AssetBySHA(ctx, "cdcover"); !ok {
		t.Fatal("ready rendition is not an asset")
	}
	if ok, _, _ := s.AssetBySHA(ctx, "ab"); ok {
		t.Fatal("an original is served as an asset")
	}
}

// TestEnqueueCurrentAndApproved: renditions are queued for the revision
// screens play and for the pending edit, not for older revisions.
func TestEnqueueCurrentAndApproved(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	u := mustUnit(t, s, "Phường")
	if _, err := s.CreateDisplay(ctx, System, Display{Name: "a", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"}); err != nil {
		t.Fatal(err)
	}
	m, err := s.CreateMedia(ctx, System, NewMedia{UnitID: u.ID, Title: "T", Kind: KindText, Body: "một"})
	if err != nil {
		t.Fatal(err)
	}
	first := m.Current.ID
	do := mustDo(t)
	do(s.SubmitMedia(ctx, System, m.ID))
	do(s.ApproveMedia(ctx, System, m.ID))
	two, three := "hai", "ba"
	do(s.EditMedia(ctx, System, m.ID, MediaEdit{Body: &two})) // revision 2, pending
	do(s.ApproveMedia(ctx, System, m.ID))
	do(s.EditMedia(ctx, System, m.ID, MediaEdit{Body: &three})) // revision 3, pending; 2 plays
	if n, err := s.EnqueueRenditions(ctx); err != nil || n != 2 {
		t.Fatalf("queued %d, %v; want 2 (approved and current)", n, err)
	}
	m, _ = s.Media(ctx, m.ID)
	if m.Approved.Number != 2 || len(m.Approved.Renditions) != 1 || len(m.Current.Renditions) != 1 {
		t.Fatalf("approved %+v current %+v", m.Approved, m.Current)
	}
	if rs, _ := s.renditionsOf(ctx, first); len(rs) != 0 {
		t.Fatalf("revision 1 got %d renditions", len(rs))
	}
}
