package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// fleetHub admits "Bearer display-N" as display N until N is revoked;
// gate, when set, holds a request between its credential check and its
// upgrade (to race a revocation).
type fleetHub struct {
	*Hub
	url     string
	mu      sync.Mutex
	revoked map[int64]bool
	gate    func()
}

func startFleetHub(t *testing.T, rt interface {
	Plans
	Reports
}) *fleetHub {
	t.Helper()
	f := &fleetHub{revoked: map[int64]bool{}}
	auth := func(r *http.Request) (Identity, error) {
		var id int64
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer display-")
		for _, ch := range tok {
			id = id*10 + int64(ch-'0')
		}
		f.mu.Lock()
		refused, gate := f.revoked[id] || id == 0, f.gate
		f.mu.Unlock()
		if refused {
			return Identity{}, ErrRefused
		}
		if gate != nil {
			gate()
		}
		return Identity{DisplayID: id, Name: "display-" + tok}, nil
	}
	// Heartbeats every 10 s: the test agents send none, and must not be
	// given up (after 3 missed) while a test runs.
	f.Hub = New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 10, Auth: auth, Plans: rt, Reports: rt})
	srv := httptest.NewServer(f.Hub)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.Hub.Close(ctx); err != nil {
			t.Errorf("hub close: %v", err)
		}
		srv.Close()
	})
	f.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return f
}

// revoke does what the API does: the store first, then the hub.
func (f *fleetHub) revoke(id int64) {
	f.mu.Lock()
	f.revoked[id] = true
	f.mu.Unlock()
	f.Revoke(id)
}

// online dials as display id, says hello and reads the welcome.
func (f *fleetHub) online(t *testing.T, id string) *websocket.Conn {
	t.Helper()
	ws, _, err := dialAuth(t, f.url, "display-"+id)
	if err != nil {
		t.Fatalf("dial as display %s: %v", id, err)
	}
	send(t, ws, protocol.TypeHello, hello("display-"+id))
	if env := read(t, ws); env.Type != protocol.TypeWelcome {
		t.Fatalf("got %s, want welcome", env.Type)
	}
	return ws
}

// closeCode reads until the link ends and returns its close code (0 when it
// ended without a close frame), failing if that takes longer than within.
func closeCode(t *testing.T, ws *websocket.Conn, within time.Duration) int {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(within))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("link still open after %v", within)
		}
		return 0
	}
}

func TestNewerLinkOfADisplayClosesTheOlderAndGetsThePushes(t *testing.T) {
	rt := &fakeRuntime{}
	f := startFleetHub(t, rt)
	older := f.online(t, "3")
	newer := f.online(t, "3")
	if a := f.Agents(); len(a) != 1 { // at once, not when the older link is gone
		t.Fatalf("agents listed right after the newer link's hello: %d, want 1", len(a))
	}
	if code := closeCode(t, older, 5*time.Second); code != protocol.CloseReplaced {
		t.Fatalf("older link closed with %d, want %d (replaced)", code, protocol.CloseReplaced)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 1 }); err != nil {
		t.Fatalf("agents listed: %+v", f.Agents())
	}
	for rev := int64(1); rev <= 5; rev++ {
		rt.mu.Lock()
		rt.plan = testPlan(rev)
		rt.mu.Unlock()
		if err := f.PushPlan(ctx, 3, prepared(testPlan(rev))); err != nil {
			t.Fatal(err)
		}
		var m protocol.PlanMessage
		if env := read(t, newer); env.Type != protocol.TypePlan || protocol.DecodeBody(env, &m) != nil || m.Plan.Revision != rev {
			t.Fatalf("newest link got %s (revision %d), want plan %d", env.Type, m.Plan.Revision, rev)
		}
	}
}

func TestFiftyLinksOfOneCredentialLeaveOne(t *testing.T) {
	f := startFleetHub(t, &fakeRuntime{})
	links := make([]*websocket.Conn, 50)
	for i := range links {
		links[i] = f.online(t, "3")
	}
	for i, ws := range links[:len(links)-1] {
		if code := closeCode(t, ws, 5*time.Second); code != protocol.CloseReplaced {
			t.Fatalf("link %d closed with %d, want %d", i, code, protocol.CloseReplaced)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 1 }); err != nil {
		t.Fatalf("agents listed: %d", len(f.Agents()))
	}
	held := func([]AgentInfo) bool {
		f.Hub.mu.Lock()
		defer f.Hub.mu.Unlock()
		return len(f.Hub.conns) == 1
	}
	if err := f.WaitFor(ctx, held); err != nil {
		t.Fatal("the hub still holds replaced connections")
	}
}

func TestRevokeClosesEveryLinkAndTheCredentialCannotReconnect(t *testing.T) {
	f := startFleetHub(t, &fakeRuntime{})
	a, b := f.online(t, "3"), f.online(t, "3") // a is being replaced
	other := f.online(t, "4")
	start := time.Now()
	f.revoke(3)
	for name, ws := range map[string]*websocket.Conn{"newest": b} {
		if code := closeCode(t, ws, 2*time.Second); code != protocol.CloseUnauthorized {
			t.Fatalf("%s link closed with %d, want %d", name, code, protocol.CloseUnauthorized)
		}
	}
	if code := closeCode(t, a, 2*time.Second); code != protocol.CloseReplaced && code != protocol.CloseUnauthorized {
		t.Fatalf("older link closed with %d", code)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("revocation took %v to close the links", took)
	}
	if _, resp, err := dialAuth(t, f.url, "display-3"); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a revoked credential reconnected: %v", err)
	}
	// Another display is untouched.
	send(t, other, protocol.TypeTimeRequest, protocol.TimeRequest{T1: time.Now()})
	if env := read(t, other); env.Type != protocol.TypeTimeResponse {
		t.Fatalf("display 4 got %s", env.Type)
	}
}

// A request whose credential was checked just before the revocation must
// not become a live link after it.
func TestCredentialCheckedBeforeRevokeGetsNoLink(t *testing.T) {
	f := startFleetHub(t, &fakeRuntime{})
	checked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.gate = func() { once.Do(func() { close(checked); <-release }) }
	type result struct {
		ws  *websocket.Conn
		err error
	}
	res := make(chan result, 1)
	go func() {
		header := http.Header{"Authorization": {"Bearer display-3"}}
		ws, _, err := websocket.DefaultDialer.Dial(f.url, header)
		res <- result{ws, err}
	}()
	<-checked
	f.revoke(3)
	close(release)
	r := <-res
	if r.err != nil {
		return // refused outright: fine
	}
	defer r.ws.Close()
	if code := closeCode(t, r.ws, 2*time.Second); code != protocol.CloseUnauthorized {
		t.Fatalf("link opened across a revocation closed with %d, want %d", code, protocol.CloseUnauthorized)
	}
}
