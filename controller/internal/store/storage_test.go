package store

import (
	"context"
	"testing"
)

// What the collector may take: a ready rendition for a geometry no display
// has, or of a replaced revision; never one being made, a live revision's
// failed one (its error tells why), nor a live revision's thumbnail.
func TestUnneededRenditionsAreOnlyWhatNothingNeeds(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	u := mustUnit(t, s, "Phường")
	if _, err := s.CreateDisplay(ctx, System, Display{Name: "a", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"}); err != nil {
		t.Fatal(err)
	}
	img, err := s.CreateMedia(ctx, System, NewMedia{UnitID: u.ID, Title: "Ảnh", Kind: KindImage, SHA256: "aa", MIME: "image/png"})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := s.CreateMedia(ctx, System, NewMedia{UnitID: u.ID, Title: "Hỏng", Kind: KindImage, SHA256: "bb", MIME: "image/png", Processing: ProcessingProcessing})
	if err != nil {
		t.Fatal(err)
	}
	put := func(rev int64, w, h int, sha string) {
		if err := s.PutRendition(ctx, Rendition{MediaRevisionID: rev, Width: w, Height: h, Fit: "contain", SHA256: sha, Kind: KindImage, MIME: "image/png"}); err != nil {
			t.Fatal(err)
		}
	}
	put(img.Current.ID, 64, 32, "r64")     // a display has it
	put(img.Current.ID, 128, 64, "r128")   // none has
	put(img.Current.ID, 160, 80, "thumb")  // the thumbnail
	put(bad.Current.ID, 128, 64, "bad128") // none has
	if _, err := s.EnqueueRenditions(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := s.ClaimRendition(ctx) // bad's 64×32: being made
	if err != nil {
		t.Fatal(err)
	}
	got := func() map[string]bool {
		t.Helper()
		rs, err := s.UnneededRenditions(ctx, Geometry{160, 80, "contain"})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, r := range rs {
			out[r.SHA256] = true
		}
		return out
	}
	if g := got(); len(g) != 2 || !g["r128"] || !g["bad128"] {
		t.Fatalf("unneeded %v; want r128 and bad128", g)
	}
	if err := s.FailRendition(ctx, j.Rendition.ID, "không đọc được"); err != nil {
		t.Fatal(err)
	}
	if g := got(); len(g) != 2 {
		t.Fatalf("unneeded %v; a live revision's failed rendition is not", g)
	}
	// A new approved revision replaces the image's: the old one's
	// renditions go, even its thumbnail.
	approve := func() {
		t.Helper()
		if _, err := s.SubmitMedia(ctx, System, img.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApproveMedia(ctx, System, img.ID); err != nil {
			t.Fatal(err)
		}
	}
	approve()
	if _, err := s.EditMedia(ctx, System, img.ID, MediaEdit{File: &MediaFile{Kind: KindImage, SHA256: "cc", MIME: "image/png"}}); err != nil {
		t.Fatal(err)
	}
	if g := got(); g["r64"] || g["thumb"] {
		t.Fatalf("unneeded %v; the approved revision still plays", g)
	}
	if _, err := s.ApproveMedia(ctx, System, img.ID); err != nil { // an edit of approved media is pending at once
		t.Fatal(err)
	}
	if g := got(); !g["r64"] || !g["thumb"] || !g["r128"] {
		t.Fatalf("unneeded %v; want every rendition of the replaced revision", g)
	}
}
