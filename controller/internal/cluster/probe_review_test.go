package cluster

import (
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
	"github.com/pano-signage/pano/protocol"
)

// TestProbeSlowChangeHandlerDelaysCommands (review of issue 15): the bus
// handles every message on one goroutine, on the understanding that each
// handler only queues work (bus.go, run). controller/app.go's OnChange on
// the leading replica calls renderer.Kick → pipeline.Kick →
// store.EnqueueRenditions: a write transaction, which waits up to 5 s
// for the write lock held by any replica, and then runs the
// needed-renditions INSERT … SELECT. Meanwhile every other message to
// that replica waits: here a command for an agent on B, asked of A while
// B's change handler is busy for 3 s, comes back "offline" after the 2 s
// request timeout, though the agent is linked and well.
func TestProbeSlowChangeHandlerDelaysCommands(t *testing.T) {
	url, _ := natstest.Start(t)
	a, b := startReplica(t, url, Options{}), startReplica(t, url, Options{})
	ag := connect(t, b, 7)
	release := make(chan struct{})
	busy := make(chan struct{}, 1)
	b.bus.OnChange(func(string, int64) {
		busy <- struct{}{}
		select { // as EnqueueRenditions behind another replica's write
		case <-release:
		case <-time.After(3 * time.Second):
		}
	})
	defer close(release)
	a.bus.PublishChange("media", 1)
	<-busy
	ref, err := a.bus.Command(7, protocol.Command{Name: protocol.CmdIdentify})
	if err != nil {
		t.Fatalf("a command for an agent linked to B, while B's change handler writes to the database: %v", err)
	}
	if env := ag.next(t); env.ID != ref {
		t.Fatalf("agent got %q, want %q", env.ID, ref)
	}
}
