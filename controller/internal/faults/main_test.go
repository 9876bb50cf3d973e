package main

import (
	"bytes"
	"testing"
)

// TestFaultsShortHold runs the CI version of `make faults` (10 agent kills,
// 10 link flaps, 3 controller kills, 1 offline day) on binaries built from
// this tree: a scenario that breaks a property fails it.
func TestFaultsShortHold(t *testing.T) {
	var out, log bytes.Buffer
	code := run([]string{"-short"}, &out, &log)
	t.Log("\n" + out.String())
	if code != 0 {
		t.Fatalf("faults -short exited %d:\n%s%s", code, out.String(), log.String())
	}
}
