package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
	"github.com/pano-signage/pano/protocol"
)

// BenchmarkCommandThroughOtherReplica: a command asked of A until the
// agent linked to B has it (A's request, B's hub, the websocket), one at a
// time.
func BenchmarkCommandThroughOtherReplica(b *testing.B) {
	url, _ := natstest.Start(b)
	a, r := startReplica(b, url, Options{}), startReplica(b, url, Options{})
	ag := connect(b, r, 7)
	cmd := protocol.Command{Name: protocol.CmdIdentify}
	b.ResetTimer()
	for b.Loop() {
		ref, err := a.bus.Command(7, cmd)
		if err != nil {
			b.Fatal(err)
		}
		if env := ag.next(b); env.ID != ref {
			b.Fatalf("agent got %q, want %q", env.ID, ref)
		}
	}
}

// onlineHub is a hub where every display is online, to time LinkChanged's
// subscriptions alone.
type onlineHub struct{ Hub }

func (onlineHub) Online(int64) bool { return true }

// BenchmarkHoldDisplay: a display's link comes up, and the bus listens for
// it (one subscription each; a replica of 5,000 agents makes 5,000 at
// start).
func BenchmarkHoldDisplay(b *testing.B) {
	url, _ := natstest.Start(b)
	bus, err := Join(url, Options{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	bus.Attach(onlineHub{})
	var id int64
	for b.Loop() {
		id++
		bus.LinkChanged(id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bus.Flush(ctx); err != nil { // the server has every subscription: part of the cost
		b.Fatal(err)
	}
	if got := len(bus.held); got != int(id) {
		b.Fatalf("holds %d displays, want %d", got, id)
	}
}
