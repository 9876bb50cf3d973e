package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// An agent's "last seen" belongs to the display it enrolled for: a new
// display that reuses a deleted display's name has never connected, and a
// renamed display keeps its history, under every name it had.
func TestDisplayActivityFollowsTheDisplay(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	mk := func(name string) Display {
		t.Helper()
		d, err := s.CreateDisplay(ctx, System, Display{Name: name, Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	see := func(name string, id int64, at time.Time) {
		t.Helper()
		if err := s.SeeAgent(ctx, Agent{Name: name, DisplayID: id, Profile: "virtual"}, at); err != nil {
			t.Fatal(err)
		}
	}
	lastSeen := func(id int64) *time.Time {
		t.Helper()
		act, err := s.DisplayActivities(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		return act[id].LastSeen
	}

	// Deleted, then its name reused: the new display never connected.
	old := mk("x")
	see("x", old.ID, t0)
	if err := s.AgentLeft(ctx, "x", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := lastSeen(old.ID); got == nil || !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("before the delete, last seen %v, want %v", got, t0.Add(time.Minute))
	}
	if err := s.DeleteDisplay(ctx, System, old.ID); err != nil {
		t.Fatal(err)
	}
	reuse := mk("x")
	if got := lastSeen(reuse.ID); got != nil {
		t.Fatalf("a new display never connected, yet last seen %v (the deleted display's agent)", got)
	}
	// Its own agent connects under that name: the row is its own now,
	// first seen then.
	see("x", reuse.ID, t0.Add(time.Hour))
	if got := lastSeen(reuse.ID); got == nil || !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after its agent connected, last seen %v", got)
	}
	as, err := s.Agents(ctx)
	if err != nil || len(as) != 1 || as[0].DisplayID != reuse.ID || !as[0].FirstSeen.Equal(t0.Add(time.Hour)) {
		t.Fatalf("agents %+v, %v: want one, of display %d, first seen %v", as, err, reuse.ID, t0.Add(time.Hour))
	}

	// Renamed: it keeps when it was last seen; its agent reconnects under
	// the new name, later, and that counts.
	y := mk("y")
	see("y", y.ID, t0)
	y.Name = "z"
	if _, err := s.UpdateDisplay(ctx, System, y); err != nil {
		t.Fatal(err)
	}
	if got := lastSeen(y.ID); got == nil || !got.Equal(t0) {
		t.Fatalf("renamed: last seen %v, want %v", got, t0)
	}
	see("z", y.ID, t0.Add(2*time.Hour))
	if got := lastSeen(y.ID); got == nil || !got.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("renamed and reconnected: last seen %v, want %v", got, t0.Add(2*time.Hour))
	}

	// One display's activity alone, as a card's refresh reads it.
	one, err := s.DisplayActivities(ctx, y.ID)
	if err != nil || len(one) != 1 || one[y.ID].LastSeen == nil || !one[y.ID].LastSeen.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("display %d alone: %+v, %v", y.ID, one, err)
	}
	// A new display named as the renamed one was is not it.
	if got := lastSeen(mk("y").ID); got != nil {
		t.Fatalf("a new display named as a renamed one was: last seen %v", got)
	}
}

// Migration 9 ties existing agents to displays by name, but not to a
// display created after the agent was last seen (a deleted display's
// agent, its name reused).
func TestMigration9MatchesAgentsToDisplays(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := openPool(filepath.Join(dir, FileName), false, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if err := applyMigration(ctx, db, i+1, migrations[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO displays (id, name, width, height, fit, profile, created_at) VALUES
			(1, 'cu', 64, 32, 'contain', 'virtual', '2026-11-01T00:00:00Z'),
			(2, 'dung-lai', 64, 32, 'contain', 'virtual', '2026-11-29T00:00:00.5Z')`,
		`INSERT INTO agents VALUES
			('cu', 'v1', 'virtual', 64, 32, '', '2026-11-01T00:00:01Z', '2026-11-29T10:00:00.25Z'),
			('dung-lai', 'v1', 'virtual', 64, 32, '', '2026-11-02T00:00:00Z', '2026-11-29T00:00:00Z'),
			('khong-co', 'v1', 'virtual', 64, 32, '', '2026-11-02T00:00:00Z', '2026-11-29T00:00:00Z')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	act, err := s.DisplayActivities(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := act[1].LastSeen; got == nil || !got.Equal(time.Date(2026, 11, 29, 10, 0, 0, 250_000_000, time.UTC)) {
		t.Errorf("display 1: last seen %v", got)
	}
	if got, ok := act[2]; ok {
		t.Errorf("display 2, created after an agent of its name was last seen: %+v", got)
	}
}
