package clock

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeClock replaces the clock file with the instant t, as a test does,
// and returns the file's modification time: the clock reads t then.
func writeClock(t *testing.T, path string, at time.Time) time.Time {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(at.Format(time.RFC3339Nano)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

func TestFileClockReadsTheFileAndRunsOn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock")
	if _, err := FileLocal(path); err == nil {
		t.Fatal("a missing clock file was taken")
	}
	if err := os.WriteFile(path, []byte("tomorrow"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FileLocal(path); err == nil {
		t.Fatal("a clock file without an instant was taken")
	}
	monday := time.Date(2026, 11, 23, 22, 59, 59, 900_000_000, time.UTC)
	mtime := writeClock(t, path, monday)
	local, err := FileLocal(path)
	if err != nil {
		t.Fatal(err)
	}
	// The clock reads the instant at the file's time and runs on.
	near := func(what string, got, want time.Time) {
		t.Helper()
		if d := got.Sub(want); d < -time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("%s: the clock reads %v, want %v (%v off)", what, got, want, d)
		}
	}
	near("after start", local(), monday.Add(time.Since(mtime)))
	a := local()
	for !local().After(a.Add(5 * time.Millisecond)) {
		// the clock runs on in real time: wait for it
	}
	// A new instant, earlier or later, takes effect within checkEvery.
	for _, at := range []time.Time{monday.AddDate(0, 0, 3), monday.Add(-time.Hour)} {
		mtime := writeClock(t, path, at)
		deadline := time.Now().Add(time.Second)
		for local().Sub(at.Add(time.Since(mtime))).Abs() > 20*time.Millisecond {
			if time.Now().After(deadline) {
				t.Fatalf("the clock still reads %v a second after the file said %v", local(), at)
			}
		}
		near("after the change", local(), at.Add(time.Since(mtime)))
	}
	// A broken file keeps the clock going.
	before := local()
	if err := os.WriteFile(path, []byte("garbage, longer than before........"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := local(); got.Before(before) || got.Sub(before) > time.Second {
			t.Fatalf("after a bad write the clock reads %v, was %v", got, before)
		}
	}
}
