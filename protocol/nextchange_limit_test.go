package protocol

import (
	"testing"
	"time"
)

// With nothing sooner, NextChange returns its limit as given: cut to the
// millisecond, a limit with a fraction of one (a timeline's "to" from a
// query) was never reached by a caller stepping from change to change.
func TestNextChangeReachesASubMillisecondLimit(t *testing.T) {
	s, err := Compile(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 30, 8, 0, 0, 0, hcm)
	limit := from.Add(time.Hour + 500*time.Microsecond) // no change 08:00–09:00
	if got := s.NextChange(from, limit); !got.Equal(limit) {
		t.Fatalf("NextChange = %v, want the limit %v", got, limit)
	}
	steps := 0
	for a := from; a.Before(limit); a = s.NextChange(a, limit) {
		if steps++; steps > 10 {
			t.Fatal("stepping from change to change never reaches the limit")
		}
	}
}
