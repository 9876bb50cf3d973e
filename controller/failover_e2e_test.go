package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// agentControllers reads the controllers an agent's state holds (its
// agent.json, as `pano-agent enroll` and the agent write it).
func agentControllers(t *testing.T, state string) (list []string, last string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(state, "agent.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Controllers    []string `json:"controllers"`
		LastController string   `json:"last_controller"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Controllers, cfg.LastController
}

// freeAddr reserves a loopback port and frees it, for a controller to be
// started on later under an address its agents already know.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestAgentFailsOverToAnotherControllerAndKeepsPlaying: a controller told
// (--advertise) that its replicas are at A and B gives the list to an agent
// at enrolment. Killed (SIGKILL) on A, it comes back on B only — two
// replicas cannot share one SQLite database yet, so B is the same data on
// another address. The agent, enrolled with A alone on its command line,
// is on B within a bounded time, drives its E1.31 receiver throughout with
// no black frame and no gap, and takes new content from B (A is gone).
func TestAgentFailsOverToAnotherControllerAndKeepsPlaying(t *testing.T) {
	// 2048 LEDs, 13 universes: wide enough for the notices to be still
	// pictures (on a narrow panel text scrolls in from a black edge).
	const w, h = 64, 32
	addrA, addrB := freeAddr(t), freeAddr(t)
	list := "ws://" + addrA + ",ws://" + addrB
	controllerBin, agentBin := buildBinaries(t)
	e := &runtimeEnv{t: t, controllerBin: controllerBin, agentBin: agentBin, data: t.TempDir(), ctlArgs: []string{"--advertise", list}}
	e.startController(addrA)

	rx := newSACNReceiver(t, 1, 13)
	id := e.display("cho-dong-ba", w, h)
	e.rotation(id, 50, 1000, "Chợ mở", "Giữ sạch")
	ag, state := e.e131Agent("cho-dong-ba", w, h, rx)
	if got, _ := agentControllers(t, state); strings.Join(got, ",") != list {
		t.Fatalf("enrolment saved controllers %q, want %s", got, list)
	}

	// The content is on the panel (the agent's first frames are black).
	for deadline := time.Now().Add(10 * time.Second); ; {
		frames := rx.waitPast(t, time.Now(), 5*time.Second)
		if !frames[len(frames)-1].black() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the panel shows no content 10 s after the agent synced it")
		}
	}

	// Kill A as a crash would; the agent loses its link with no close frame.
	killedAt := time.Now()
	if err := e.ctl.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-e.ctl.done
	e.startController(addrB)
	ag.waitLine(t, regexp.MustCompile(`msg="connected to controller" controller=ws://`+regexp.QuoteMeta(addrB)+` `), 1)
	took := time.Since(killedAt)
	t.Logf("on B %v after A was killed (B's start included)", took.Round(time.Millisecond))
	if took > 15*time.Second {
		t.Fatalf("the agent reached B %v after A died; want within 15 s", took)
	}

	// The panel kept being driven, never dark, from the kill until now.
	checkNoGap(t, rx, killedAt)

	// Proof of play of the items shown while the agent moved reaches B,
	// once each (uploads run every 5 s; bounded poll of the API).
	var recs []protocol.PlayRecord
	for i := 0; ; i++ {
		recs = playRecords(t, e.approver, id)
		if slices.ContainsFunc(recs, func(r protocol.PlayRecord) bool { return r.Start.After(killedAt.Add(took)) }) {
			break
		}
		if i == 300 {
			t.Fatalf("no record of an item started after the agent reached B within 30 s: %d records", len(recs))
		}
		<-time.After(100 * time.Millisecond)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.ID] {
			t.Fatalf("record %s stored twice", r.ID)
		}
		seen[r.ID] = true
	}

	// New content reaches the agent through B, and its files come from B.
	e.rotation(id, 90, 1000, "Thông báo mới")
	ag.waitLine(t, regexp.MustCompile(`msg="content synced" revision=\d+`), 2)
	if _, last := agentControllers(t, state); last != "ws://"+addrB {
		t.Fatalf("agent.json: last controller %q, want ws://%s", last, addrB)
	}
}
