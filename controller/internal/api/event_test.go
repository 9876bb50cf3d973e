package api

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/events"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
)

type noAgents struct{}

func (noAgents) Agents() []hub.AgentInfo  { return nil }
func (noAgents) Changed() <-chan struct{} { return nil }

// TestEventStream reads GET /events over a real HTTP connection: it needs
// a session, is text/event-stream, carries published events and
// keep-alives, and ends when the broker closes (a server shutting down, or
// a client dropped for falling behind); a client that goes away
// unsubscribes.
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
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	want := func(prefix string) {
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
