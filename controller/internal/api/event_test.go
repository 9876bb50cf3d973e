package api

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/events"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

type noAgents struct{}

func (noAgents) Agents() []hub.AgentInfo  { return nil }
func (noAgents) Changed() <-chan struct{} { return nil }

// TestEventStream reads GET /events over a real HTTP connection: it needs
// a session, is text/event-stream, carries published events and
// keep-alives; a client that goes away unsubscribes while the broker runs,
// and a stream ends when the broker closes (a server shutting down).
func TestEventStream(t *testing.T) {
	v := newEnv(t)
	b := events.New(noAgents{}, nil)
	v.api.o.Events, v.api.o.KeepAlive = b, 50*time.Millisecond
	srv := httptest.NewServer(v.e)
	defer srv.Close()
	viewer := v.session(v.user(store.RoleViewer, v.unitA.ID))

	open := func(c cred) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+Prefix+"/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.cookie != "" {
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.cookie})
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := open(cred{}); res.StatusCode != 401 {
		res.Body.Close()
		t.Fatalf("without a session: %d, want 401", res.StatusCode)
	}

	res := open(viewer)
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines, want := readLines(t, res)
	want("retry: ")
	want(": keep-alive")
	b.Publish(events.Event{Type: events.TypeDisplay, DisplayID: 42})
	want("event: display")
	want(`data: {"type":"display","display_id":42}`)
	b.Publish(events.Event{Type: events.TypeAlerts})
	want("event: alerts")
	if n := b.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}

	// The client goes away while the broker runs: its stream ends and
	// unsubscribes.
	res.Body.Close()
	for range lines {
	}
	waitSubscribers(t, b, 0)

	// The broker closes (the server shuts down): the stream ends.
	res1 := open(viewer)
	defer res1.Body.Close()
	lines, want = readLines(t, res1)
	want("retry: ")
	waitSubscribers(t, b, 1)
	b.Close()
	for range lines { // the stream ends: the browser reconnects
	}
	if n := b.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers after the stream ended", n)
	}

	// A stream ends with its session (logged out here), at the next
	// keep-alive.
	b = events.New(noAgents{}, nil)
	v.api.o.Events = b
	res2 := open(viewer)
	defer res2.Body.Close()
	sc := bufio.NewScanner(res2.Body)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "retry: ") {
		t.Fatalf("second stream: %q", sc.Text())
	}
	must(t, v.do(viewer, "DELETE", "/session", nil), 204)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for sc.Scan() {
		}
	}()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived its session")
	}
}

// readLines reads a stream's lines until it ends; want waits for a line
// that starts with prefix, skipping others.
func readLines(t *testing.T, res *http.Response) (<-chan string, func(prefix string)) {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines, func(prefix string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q line", prefix)
			}
		}
	}
}

// waitSubscribers waits, boundedly, for the broker to count n subscribers.
func waitSubscribers(t *testing.T, b *events.Broker, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want %d", b.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// someAgents is a hub whose agents a test sets.
type someAgents struct {
	mu      sync.Mutex
	agents  []hub.AgentInfo
	changed chan struct{}
}

func (f *someAgents) Agents() []hub.AgentInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.agents)
}

func (f *someAgents) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *someAgents) set(a []hub.AgentInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents = a
	close(f.changed)
	f.changed = make(chan struct{})
}

// A thousand displays reporting at once reach a browser that keeps up, over
// a real connection, each named once, and its stream stays open; more than
// events.MaxPending at once come as one reload.
func TestEventStreamBurst(t *testing.T) {
	v := newEnv(t)
	f := &someAgents{changed: make(chan struct{})}
	b := events.New(f, nil)
	b.Coalesce = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	v.api.o.Events, v.api.o.KeepAlive = b, time.Hour
	srv := httptest.NewServer(v.e)
	defer srv.Close()
	defer b.Close() // before srv.Close, which waits for the stream
	viewer := v.session(v.user(store.RoleViewer, v.unitA.ID))

	req, err := http.NewRequest("GET", srv.URL+Prefix+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: viewer.cookie})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines, want := readLines(t, res)
	want("retry: ")

	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	as := make([]hub.AgentInfo, 1000)
	for round := range 3 { // every screen reports health, three times over
		for i := range as {
			as[i] = hub.AgentInfo{DisplayID: int64(i + 1), Health: &protocol.Health{At: at.Add(time.Duration(round) * 10 * time.Second)}}
		}
		f.set(slices.Clone(as))
		seen := map[string]bool{}
		deadline := time.After(5 * time.Second)
		for len(seen) < len(as) {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("round %d: the stream ended after %d displays", round, len(seen))
				}
				if strings.HasPrefix(l, "data: ") {
					if !strings.HasPrefix(l, `data: {"type":"display"`) || seen[l] {
						t.Fatalf("round %d: after %d displays, %q", round, len(seen), l)
					}
					seen[l] = true
				}
			case <-deadline:
				t.Fatalf("round %d: %d displays of %d", round, len(seen), len(as))
			}
		}
	}
	// More at once than a batch names: one reload.
	for id := range int64(events.MaxPending + 1) {
		as = append(as, hub.AgentInfo{DisplayID: 1001 + id}) // come online
	}
	f.set(slices.Clone(as))
	want("event: reload")
	as[6].Health = &protocol.Health{At: at.Add(time.Hour), DriverState: "blanked"}
	f.set(slices.Clone(as))
	want(`data: {"type":"display","display_id":7}`)
	if n := b.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers, want 1: the browser was dropped", n)
	}
}
