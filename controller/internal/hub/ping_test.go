package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// The controller pings a link every heartbeat interval, so an agent that
// gives up after three silent intervals never drops a healthy link for
// one late ping (pings were every 30 s against the agent's 30 s).
func TestLinksArePingedEveryHeartbeatInterval(t *testing.T) {
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 1,
		Auth: func(*http.Request) (Identity, error) { return Identity{DisplayID: 7, Name: "display-7"}, nil }, Plans: &fakeRuntime{}, Reports: &fakeRuntime{}})
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

// A link left idle for several heartbeat intervals stays up: the client
// here keeps the agent's rules (it gives up after three silent intervals,
// counting the controller's pings, and sends a heartbeat each interval),
// the hub pings each interval and gives up after three silent ones. After
// the idle spell the same link is listed and takes a push at once.
func TestIdleLinkStaysUpForSeveralIntervals(t *testing.T) {
	const interval = time.Second // HeartbeatSeconds: 1
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 1,
		Auth: func(*http.Request) (Identity, error) { return Identity{DisplayID: 7, Name: "display-7"}, nil }, Plans: &fakeRuntime{}, Reports: &fakeRuntime{}})
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
	welcome := read(t, ws)
	var w protocol.Welcome
	if welcome.Type != protocol.TypeWelcome || protocol.DecodeBody(welcome, &w) != nil || w.HeartbeatSeconds != 1 {
		t.Fatalf("got %s %+v, want welcome with a 1 s heartbeat", welcome.Type, w)
	}
	// The agent's link (agent/internal/link): liveness of three intervals,
	// renewed by every ping and message; a heartbeat every interval.
	liveness := 3 * time.Duration(w.HeartbeatSeconds) * time.Second
	var wmu sync.Mutex
	_ = ws.SetReadDeadline(time.Now().Add(liveness))
	ws.SetPingHandler(func(data string) error {
		_ = ws.SetReadDeadline(time.Now().Add(liveness))
		wmu.Lock()
		defer wmu.Unlock()
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for seq := int64(1); ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				env, _ := protocol.NewEnvelope(protocol.TypeHeartbeat, protocol.Heartbeat{Seq: seq}, time.Now())
				wmu.Lock()
				err := ws.WriteJSON(env)
				wmu.Unlock()
				if err != nil {
					return
				}
			}
		}
	}()
	msgs := make(chan protocol.Envelope, 4)
	ended := make(chan error, 1)
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				ended <- err
				return
			}
			_ = ws.SetReadDeadline(time.Now().Add(liveness))
			if env, err := protocol.Decode(data); err == nil {
				msgs <- env
			}
		}
	}()
	session := w.SessionID
	select {
	case err := <-ended:
		t.Fatalf("the idle link ended: %v", err)
	case env := <-msgs:
		t.Fatalf("an idle link got a %s", env.Type)
	case <-time.After(6 * interval): // the idle spell itself: two liveness spans
	}
	a := h.Agents()
	if len(a) != 1 || a[0].SessionID != session {
		t.Fatalf("after idling, agents %+v, want the same session %s", a, session)
	}
	if err := h.PushPlan(context.Background(), 7, prepared(testPlan(1))); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		t.Fatalf("the link ended instead of taking a push: %v", err)
	case env := <-msgs:
		if env.Type != protocol.TypePlan {
			t.Fatalf("got %s, want the pushed plan", env.Type)
		}
	}
}

// An idle link holds one goroutine (its reader): a writer runs only while
// messages wait, so 10,000 idle links do not hold 10,000 writers' stacks.
func TestIdleLinksHoldOneGoroutineEach(t *testing.T) {
	const links = 40
	f := startFleetHub(t, &fakeRuntime{}) // pings every 10 s: none during the test
	before := runtime.NumGoroutine()
	for i := 1; i <= links; i++ {
		defer f.online(t, strconv.Itoa(i)).Close()
	}
	// The writers end once their welcomes are out; there is no signal for
	// a goroutine's end, so look for a while.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine() - before
		if n <= links+links/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle links hold %d goroutines, want about one each", links, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
