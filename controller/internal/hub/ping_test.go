package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// The controller pings a link every heartbeat interval, so an agent that
// gives up after three silent intervals never drops a healthy link for
// one late ping (pings were every 30 s against the agent's 30 s).
func TestLinksArePingedEveryHeartbeatInterval(t *testing.T) {
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 1,
		Auth: func(*http.Request) (Identity, error) { return Identity{DisplayID: 7, Name: "display-7"}, nil }, Runtime: &fakeRuntime{}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
	}()
	ws, _, err := dialAuth(t, "ws"+strings.TrimPrefix(srv.URL, "http"), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	send(t, ws, protocol.TypeHello, hello("display-7"))
	var pings atomic.Int32
	ws.SetPingHandler(func(string) error { pings.Add(1); return nil })
	// Read (which answers control frames) for 2.5 heartbeat intervals:
	// within the hub's liveness of three, without sending heartbeats.
	_ = ws.SetReadDeadline(time.Now().Add(2500 * time.Millisecond))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	if n := pings.Load(); n < 2 {
		t.Fatalf("%d pings in 2.5 heartbeat intervals of 1 s, want at least 2", n)
	}
}
