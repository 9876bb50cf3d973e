package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// TestItemOnScreenWhenKilledIsRecordedOnce: an agent killed with SIGKILL in
// the middle of an item records it at its restart, from its first frame to
// at most a second (its alive interval) and a write before the kill, and the
// controller holds that record exactly once.
func TestItemOnScreenWhenKilledIsRecordedOnce(t *testing.T) {
	e := newRuntimeEnv(t)
	id := e.display("ben-xe", 64, 32)
	e.rotation(id, 50, 6000, "Xe buýt số 9 đổi lộ trình", "Bến xe mở cửa 5 giờ")
	ag, state := e.agent("ben-xe", 64, 32, "virtual", nil)
	ag.waitLine(t, regexp.MustCompile(`msg="content synced" revision=\d+ assets=[1-9]`), 1)
	plan := e.plan(id)
	sched, err := protocol.Compile(&plan)
	if err != nil {
		t.Fatal(err)
	}

	// Kill 3.5 s into an item that began at least a second after the
	// content was synced, so its first frame is its slot's start.
	synced := time.Now()
	slot, ok := sched.At(synced.Add(time.Second))
	if !ok {
		t.Fatal("nothing scheduled now")
	}
	if slot.Start.Before(synced.Add(time.Second)) {
		slot, ok = sched.At(slot.End)
		if !ok {
			t.Fatal("nothing scheduled next")
		}
	}
	<-time.After(time.Until(slot.Start.Add(3500 * time.Millisecond))) // the moment to die
	killed := time.Now()
	if err := ag.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-ag.done
	if !killed.Before(slot.End) {
		t.Fatalf("killed at %v, after the item's end %v: the test did not test that", killed, slot.End)
	}
	e.startAgent(state)
	recID := fmt.Sprintf("%d-%d-%d-%d", id, slot.Entry, slot.Item.ID, slot.Start.UnixMilli())

	// The restart uploads at once; uploads are not told over HTTP, so a
	// bounded poll of the API.
	var got []protocol.PlayRecord
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); <-time.After(100 * time.Millisecond) {
		out := e.approver.call("GET", fmt.Sprintf("/play-records?display_id=%d&limit=10000", id), nil, 200)
		b, _ := json.Marshal(out["items"])
		var recs []protocol.PlayRecord
		if err := json.Unmarshal(b, &recs); err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, r := range recs {
			if r.ID == recID {
				got = append(got, r)
			}
		}
		if len(got) > 0 {
			break
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d records of the item on screen at the kill (%s), want exactly 1: %+v", len(got), recID, got)
	}
	r := got[0]
	lost := killed.Sub(r.End)
	t.Logf("record %s: %v shown, ends %v before the kill", r.ID, r.End.Sub(r.Start).Round(time.Millisecond), lost.Round(time.Millisecond))
	// Start: the first frame, within a frame or two of the slot's start.
	if d := r.Start.Sub(slot.Start); d < -50*time.Millisecond || d > 500*time.Millisecond {
		t.Fatalf("record starts %v after its slot; want its first frame, at the slot's start", d)
	}
	// End: never after the kill; at most the alive interval (1 s) and a
	// write before it, with room for a loaded machine.
	if lost < -20*time.Millisecond || lost > 2*time.Second {
		t.Fatalf("record ends %v before the kill; want between 0 and 2 s", lost)
	}
}
