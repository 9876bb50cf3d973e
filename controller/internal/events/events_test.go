package events

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pano-signage/pano/controller/internal/alerts"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/protocol"
)

// Run's goroutine ends with its context: no test leaves one behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fakeAgents struct {
	mu      sync.Mutex
	agents  []hub.AgentInfo
	changed chan struct{}
}

func newFakeAgents() *fakeAgents { return &fakeAgents{changed: make(chan struct{})} }

func (f *fakeAgents) Agents() []hub.AgentInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]hub.AgentInfo(nil), f.agents...)
}

func (f *fakeAgents) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *fakeAgents) set(a ...hub.AgentInfo) {
	f.mu.Lock()
	f.agents = a
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

type fakeAlerts struct {
	mu sync.Mutex
	al []alerts.Alert
}

func (f *fakeAlerts) Alerts() []alerts.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]alerts.Alert(nil), f.al...)
}

func next(t *testing.T, s *Sub) Event {
	t.Helper()
	select {
	case e, ok := <-s.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

// A subscriber that does not read is dropped when its queue is full; the
// publisher never waits for it, and the others get every event.
func TestSlowSubscriberIsDroppedWithoutBlocking(t *testing.T) {
	b := New(newFakeAgents(), nil)
	slow, fast := b.Subscribe(), b.Subscribe()
	defer b.Unsubscribe(fast)
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 3*QueueSize; i++ {
			b.Publish(Event{Type: TypeDisplay, DisplayID: int64(i)})
			if e, ok := <-fast.C; !ok || e.DisplayID != int64(i) {
				done <- fmt.Errorf("the reading subscriber got %+v (open %v), want display %d", e, ok, i)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	n := 0
	for range slow.C { // closed once drained: it was dropped
		n++
	}
	if n != QueueSize {
		t.Fatalf("the slow subscriber got %d events before it was dropped, want its queue (%d)", n, QueueSize)
	}
	if s := b.Subscribers(); s != 1 {
		t.Fatalf("%d subscribers left, want 1", s)
	}
}

// Run tells which display changed (online, health, screenshot, offline)
// and when the alerts changed; heartbeats alone are not news.
func TestRunPublishesWhatChanged(t *testing.T) {
	agents, al := newFakeAgents(), &fakeAlerts{}
	b := New(agents, al)
	b.Coalesce, b.Poll = time.Millisecond, 10*time.Millisecond
	s := b.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	defer func() { cancel(); <-done }()

	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	seven := hub.AgentInfo{DisplayID: 7, Name: "bay", LastHeartbeat: at}
	agents.set(seven)
	if e := next(t, s); e != (Event{Type: TypeDisplay, DisplayID: 7}) {
		t.Fatalf("came online: %+v", e)
	}
	seven.LastHeartbeat = at.Add(10 * time.Second) // a heartbeat: no event
	eight := hub.AgentInfo{DisplayID: 8, Name: "tam"}
	agents.set(seven, eight)
	if e := next(t, s); e != (Event{Type: TypeDisplay, DisplayID: 8}) {
		t.Fatalf("after a heartbeat of 7 and 8 online: %+v, want only 8", e)
	}
	seven.Health = &protocol.Health{DriverState: "blanked", At: at}
	agents.set(seven, eight)
	if e := next(t, s); e.DisplayID != 7 {
		t.Fatalf("health of 7: %+v", e)
	}
	seven.ScreenshotAt = at
	agents.set(seven, eight)
	if e := next(t, s); e.DisplayID != 7 {
		t.Fatalf("screenshot of 7: %+v", e)
	}
	agents.set(seven)
	if e := next(t, s); e.DisplayID != 8 {
		t.Fatalf("8 went offline: %+v", e)
	}
	al.mu.Lock()
	al.al = []alerts.Alert{{ID: 1, DisplayID: 8, Kind: alerts.KindOffline}}
	al.mu.Unlock()
	if e := next(t, s); e.Type != TypeAlerts {
		t.Fatalf("an alert: %+v", e)
	}
}

// Close ends every subscription, so a server shutting down is not held up
// by open event streams; a later Subscribe is closed at once.
func TestCloseEndsSubscriptions(t *testing.T) {
	b := New(newFakeAgents(), nil)
	s := b.Subscribe()
	b.Close()
	if _, ok := <-s.C; ok {
		t.Fatal("subscription still open after Close")
	}
	if _, ok := <-b.Subscribe().C; ok {
		t.Fatal("a subscription after Close is open")
	}
	b.Unsubscribe(s) // twice closed is fine
}
