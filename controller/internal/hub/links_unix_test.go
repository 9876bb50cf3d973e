//go:build unix

package hub

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// onlineSmallBuffer is online over a socket with a 4 KB receive buffer (no
// autotuning), so an agent that stops reading stalls the controller's
// writes after a few kilobytes rather than tens of megabytes.
func (f *fleetHub) onlineSmallBuffer(t *testing.T, id string) *websocket.Conn {
	t.Helper()
	nd := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, ReadBufferSize: 1024}
	ws, _, err := d.Dial(f.url, http.Header{"Authorization": {"Bearer display-" + id}})
	if err != nil {
		t.Fatalf("dial as display %s: %v", id, err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	send(t, ws, protocol.TypeHello, hello("display-"+id))
	if env := read(t, ws); env.Type != protocol.TypeWelcome {
		t.Fatalf("got %s, want welcome", env.Type)
	}
	return ws
}

// bigPlanRuntime serves display 1 a plan of about 256 KB, so a few pushes
// fill the socket buffers of an agent that does not read; other displays
// get small plans, which their buffers hold however fast the test pushes.
type bigPlanRuntime struct {
	fakeRuntime
	rev atomic.Int64
}

func (b *bigPlanRuntime) Plan(_ context.Context, id int64) (Plan, error) {
	p := testPlan(b.rev.Add(1))
	p.DisplayID = id
	if id == 1 {
		p.Playlists[0].Name = strings.Repeat("x", 256<<10)
	}
	return prepared(p), nil
}

// A plan fan-out must not wait on an agent that stopped reading: its queue
// fills, it is dropped, and the caller goes on to the next display at once.
func TestStalledAgentDoesNotBlockTheFanOut(t *testing.T) {
	rt := &bigPlanRuntime{}
	f := startFleetHub(t, rt)
	stalled := f.onlineSmallBuffer(t, "1") // never reads again
	fast := f.online(t, "2")
	var got atomic.Int64
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		_ = fast.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			if _, _, err := fast.ReadMessage(); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const rounds = 80 // 80 × 256 KB: more than loopback buffers and the queue hold
	var slowest time.Duration
	for i := 0; i < rounds; i++ {
		for _, id := range []int64{1, 2} {
			p, _ := rt.Plan(ctx, id)
			start := time.Now()
			err := f.PushPlan(ctx, id, p)
			if took := time.Since(start); took > slowest {
				slowest = took
			}
			if err != nil && !(id == 1 && errors.Is(err, ErrOffline)) {
				t.Fatalf("push to display %d: %v", id, err)
			}
		}
	}
	if slowest > 500*time.Millisecond {
		t.Fatalf("a push took %v: the fan-out waited on the stalled agent", slowest)
	}
	// The stalled agent is dropped.
	if err := f.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 1 && a[0].DisplayID == 2 }); err != nil {
		t.Fatalf("agents: %+v", f.Agents())
	}
	stalled.Close()
	fast.Close()
	<-readDone
	if got.Load() < rounds {
		t.Fatalf("the reading agent got %d messages, want at least %d", got.Load(), rounds)
	}
}
