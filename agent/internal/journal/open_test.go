package journal

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// count is how many pending records have id.
func count(t *testing.T, j *Journal, id string) (n int, end time.Time) {
	t.Helper()
	b, err := j.Pending(1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range b.Records {
		if r.ID == id {
			n++
			end = r.End
		}
	}
	return n, end
}

// TestItemOnScreenAtDeathIsClosedAtRestart: the item on screen when the
// agent dies (no Append, no Close) is journaled at the next Open, ending at
// the last instant it was told alive, once, however often the journal is
// opened again.
func TestItemOnScreenAtDeathIsClosedAtRestart(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(rec(0)); err != nil {
		t.Fatal(err)
	}
	r := rec(1)
	r.End = r.Start
	if err := j.Begin(r); err != nil {
		t.Fatal(err)
	}
	alive := r.Start.Add(3200 * time.Millisecond)
	for _, at := range []time.Duration{time.Second, 2 * time.Second, 3200 * time.Millisecond} {
		r.End = r.Start.Add(at)
		if err := j.Alive(r); err != nil {
			t.Fatal(err)
		}
	}
	// kill -9: nothing more is written; the files stay as they are.

	for reopen := 1; reopen <= 2; reopen++ {
		j, err := Open(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, end := count(t, j, r.ID); n != 1 || !end.Equal(alive) {
			t.Fatalf("open %d: %d records of the item on screen, ending %v; want 1 ending %v", reopen, n, end, alive)
		}
		if n, _ := count(t, j, rec(0).ID); n != 1 {
			t.Fatalf("open %d: the record before it appears %d times", reopen, n)
		}
		if reopen == 1 && j.ClosedAtOpen() != r.ID {
			t.Fatalf("ClosedAtOpen = %q, want %q", j.ClosedAtOpen(), r.ID)
		}
		j.Close()
	}
}

// TestItemEndedNormallyIsNotClosedAgain: an item whose record was appended
// leaves nothing to close, even when the agent died after the Append but
// before the note of the item on screen was cleared.
func TestItemEndedNormallyIsNotClosedAgain(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := rec(0)
	begun := r
	begun.End = r.Start
	if err := j.Begin(begun); err != nil {
		t.Fatal(err)
	}
	note, err := os.ReadFile(filepath.Join(dir, openName))
	if err != nil || len(note) == 0 {
		t.Fatalf("no note of the item on screen: %v", err)
	}
	if err := j.Append(r); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, openName)); len(after) != 0 {
		t.Fatalf("the note outlives the record's Append: %q", after)
	}
	j.Close()

	for _, dies := range []string{"after clearing", "before clearing"} {
		if dies == "before clearing" {
			if err := os.WriteFile(filepath.Join(dir, openName), note, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		j, err := Open(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, end := count(t, j, r.ID); n != 1 || !end.Equal(r.End) {
			t.Fatalf("died %s: %d records ending %v; want the one appended, once", dies, n, end)
		}
		if j.ClosedAtOpen() != "" {
			t.Fatalf("died %s: Open closed %q again", dies, j.ClosedAtOpen())
		}
		j.Close()
	}
}

// TestTornNoteIsIgnored: a note torn by a power cut in the middle of its
// write is dropped, and the journal opens.
func TestTornNoteIsIgnored(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, openName), []byte(`{"id":"3-1-11-17","display":3,"sta`), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if b, _ := j.Pending(10); len(b.Records) != 0 || j.ClosedAtOpen() != "" {
		t.Fatalf("a torn note gave records %+v", b.Records)
	}
}

// TestUnreadableNoteDoesNotStopTheJournal: whatever is wrong with the note
// of the item on screen, the journal opens, so the agent plays.
func TestUnreadableNoteDoesNotStopTheJournal(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, openName), 0o700); err != nil { // not even a file
		t.Fatal(err)
	}
	j, err := Open(dir, 0)
	if err != nil {
		t.Fatalf("the journal did not open: %v", err)
	}
	defer j.Close()
	if err := j.Append(rec(0)); err != nil {
		t.Fatal(err)
	}
}
