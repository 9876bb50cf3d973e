package link

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// replica is a controller as the link sees it: it welcomes every hello
// with its list of controllers and keeps the link until it is killed.
type replica struct {
	srv   *httptest.Server
	url   string      // ws://…
	list  []string    // sent in each welcome
	conns chan string // the session id of each link welcomed
}

func newReplica(t *testing.T, name string) *replica {
	t.Helper()
	r := &replica{conns: make(chan string, 1024)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(rw, req, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); err != nil { // hello
			return
		}
		env, _ := protocol.NewEnvelope(protocol.TypeWelcome, protocol.Welcome{HeartbeatSeconds: 1, SessionID: name, Controllers: r.list}, time.Now())
		if ws.WriteJSON(env) != nil {
			return
		}
		r.conns <- name
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	r.url = "ws" + strings.TrimPrefix(r.srv.URL, "http")
	t.Cleanup(r.kill)
	return r
}

// kill stops the replica as a dead process would: no more connections, and
// the live ones cut.
func (r *replica) kill() {
	r.srv.Listener.Close()
	r.srv.CloseClientConnections()
	r.srv.Close()
}

// deadAddress is a ws:// address where nothing listens.
func deadAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "ws://" + addr
}

// remembered records what the link asks the agent to remember.
type remembered struct {
	mu      sync.Mutex
	list    []string
	current string
	calls   int
}

func (m *remembered) remember(list []string, current string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list, m.current = list, current
	m.calls++
}

func (m *remembered) get() ([]string, string, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.list, m.current, m.calls
}

// runLink starts a link to first among list and stops it at the test's end.
func runLink(t *testing.T, first string, list []string, mem *remembered) *Client {
	t.Helper()
	c, err := New(Config{Controller: first, Controllers: list, Remember: mem.remember, Name: "a", Panel: protocol.Panel{Width: 8, Height: 4},
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return c
}

// welcomedBy waits (10 s at most: the backoff is milliseconds here) for r
// to welcome the link and for the link to say it is on r.
func welcomedBy(t *testing.T, c *Client, r *replica) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	select {
	case <-r.conns:
	case <-deadline:
		t.Fatalf("%s never welcomed the agent; link state %+v", r.url, c.State())
	}
	for {
		ch := c.Changed()
		if st := c.State(); st.Connected && st.Controller == r.url {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("link state %+v, want connected to %s", c.State(), r.url)
		}
	}
}

func TestFirstControllerDownSecondIsTaken(t *testing.T) {
	dead, b := deadAddress(t), newReplica(t, "b")
	c := runLink(t, dead, []string{dead, b.url}, &remembered{})
	welcomedBy(t, c, b)
}

// An agent on A whose A dies is on B soon after, with no restart: the
// address of B it learned from A's welcome.
func TestAgentMovesToAnotherControllerWhenItsOwnDies(t *testing.T) {
	a, b := newReplica(t, "a"), newReplica(t, "b")
	a.list = []string{a.url, b.url}
	mem := &remembered{}
	c := runLink(t, a.url, nil, mem)
	welcomedBy(t, c, a)
	if list, cur, _ := mem.get(); !slices.Equal(list, a.list) || cur != a.url {
		t.Fatalf("remembered %q on %s, want %q on %s", list, cur, a.list, a.url)
	}
	a.kill()
	welcomedBy(t, c, b)
	if list, cur, _ := mem.get(); !slices.Equal(list, a.list) || cur != b.url {
		t.Fatalf("after the move: remembered %q on %s, want %q on %s", list, cur, a.list, b.url)
	}
}

// A welcome's list replaces the agent's, and keeps the address the agent
// reached the controller by; an empty list or one the agent cannot use
// leaves the agent's list alone.
func TestWelcomeListReplacesTheAgentsButNeverEmptiesIt(t *testing.T) {
	other := "wss://pano-2.example.vn"
	for _, tc := range []struct {
		name string
		sent func(self string) []string
		want func(self string) []string
	}{
		{"replaced", func(self string) []string { return []string{other, self} }, func(self string) []string { return []string{other, self} }},
		{"own address kept", func(string) []string { return []string{other} }, func(self string) []string { return []string{other, self} }},
		{"empty", func(string) []string { return nil }, func(self string) []string { return []string{self, "ws://old:8080"} }},
		{"unusable", func(string) []string { return []string{other, "http://x:8080"} }, func(self string) []string { return []string{self, "ws://old:8080"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplica(t, "r")
			r.list = tc.sent(r.url)
			mem := &remembered{}
			c := runLink(t, r.url, []string{r.url, "ws://old:8080"}, mem)
			welcomedBy(t, c, r)
			want := tc.want(r.url)
			if st := c.State(); !slices.Equal(st.Controllers, want) {
				t.Fatalf("link holds %q, want %q", st.Controllers, want)
			}
			list, _, calls := mem.get()
			if changed := !slices.Equal(want, []string{r.url, "ws://old:8080"}); changed != (calls == 1) || changed && !slices.Equal(list, want) {
				t.Fatalf("remembered %q (%d calls); want %q remembered only if it changed", list, calls, want)
			}
		})
	}
}

// After a link that was up drops, the next controller is any other, evenly:
// the agents of a dead replica spread over the rest. After a failed dial,
// the next in turn.
func TestMoveSpreadsOverTheOthers(t *testing.T) {
	list := []string{"ws://a:1", "ws://b:1", "ws://c:1", "ws://d:1"}
	c := &Client{list: list}
	counts := map[string]int{}
	const n = 3000
	for i := range n {
		c.cur = 1
		counts[c.move(true, func() float64 { return (float64(i) + 0.5) / n })]++
	}
	if counts["ws://b:1"] != 0 || len(counts) != 3 {
		t.Fatalf("after a drop from b: %v; want a, c and d only", counts)
	}
	for addr, k := range counts {
		if k != n/3 {
			t.Errorf("%s taken %d times of %d, want %d", addr, k, n, n/3)
		}
	}
	c.cur = 1
	if got := c.move(true, func() float64 { return 1 }); got == "ws://b:1" {
		t.Fatal("rnd() = 1 picked the controller that dropped")
	}
	c.cur = 3
	if got := c.move(false, nil); got != "ws://a:1" {
		t.Fatalf("after a failed dial of d: %s, want a (in turn)", got)
	}
	one := &Client{list: list[:1]}
	if got := one.move(true, func() float64 { return 0.9 }); got != "ws://a:1" {
		t.Fatalf("one controller: %s", got)
	}
}

func TestConfigRefusesBadAddresses(t *testing.T) {
	for _, tc := range []Config{
		{Controller: "http://a:8080"},
		{Controller: "ws://a:8080", Controllers: []string{"ws://b:8080", "b:8080"}},
	} {
		tc.Name, tc.Panel = "a", protocol.Panel{Width: 8, Height: 4}
		if _, err := New(tc, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "must look like ws://HOST:PORT or wss://HOST") {
			t.Errorf("%q %q: %v", tc.Controller, tc.Controllers, err)
		}
	}
}

// The agents of a replica that dies spread over the others, and over the
// backoff's jitter in time, rather than all dial one in the same instant.
func TestAgentsOfADeadControllerSpreadOverTheOthers(t *testing.T) {
	const n = 300
	a, b, c := newReplica(t, "a"), newReplica(t, "b"), newReplica(t, "c")
	a.list = []string{a.url, b.url, c.url}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for range n {
		cl, err := New(Config{Controller: a.url, Name: "a", Panel: protocol.Panel{Width: 8, Height: 4}, MinBackoff: 500 * time.Millisecond},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); cl.Run(ctx) }()
	}
	for i := range n {
		select {
		case <-a.conns:
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d agents on A after 20 s", i, n)
		}
	}
	a.kill()
	got := map[string]int{}
	var first, last time.Time
	for i := range n {
		select {
		case name := <-b.conns:
			got[name]++
		case name := <-c.conns:
			got[name]++
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d agents back after 20 s: %v", i, n, got)
		}
		if i == 0 {
			first = time.Now()
		}
		last = time.Now()
	}
	t.Logf("B %d, C %d; reconnections spread over %v", got["b"], got["c"], last.Sub(first).Round(time.Millisecond))
	// Even: 150 each, σ ≈ 8.7; 105 is five σ off.
	if got["b"] < 105 || got["c"] < 105 {
		t.Fatalf("B took %d and C %d of %d agents: not spread", got["b"], got["c"], n)
	}
	// The first retry waits 250–500 ms (MinBackoff with equal jitter).
	if spread := last.Sub(first); spread < 100*time.Millisecond {
		t.Fatalf("all %d agents came back within %v: not spread in time", n, spread)
	}
}
