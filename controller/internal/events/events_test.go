package events

import (
	"context"
	"fmt"
	"slices"
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
	looks   int // calls of Agents
}

func newFakeAgents() *fakeAgents { return &fakeAgents{changed: make(chan struct{})} }

func (f *fakeAgents) Agents() []hub.AgentInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.looks++
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

// batch waits for s to be woken and takes what is waiting.
func batch(t *testing.T, s *Sub) []Event {
	t.Helper()
	for {
		select {
		case <-s.Ready:
			if evs := s.Take(); len(evs) > 0 {
				return evs
			}
		case <-s.Done:
			t.Fatal("subscription ended")
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
	}
}

// next is batch for one event.
func next(t *testing.T, s *Sub) Event {
	t.Helper()
	evs := batch(t, s)
	if len(evs) != 1 {
		t.Fatalf("got %+v, want one event", evs)
	}
	return evs[0]
}

// A subscriber that does not read never holds up Publish nor the others,
// and what it has waiting stays bounded: past MaxPending displays it is
// one reload, not a growing queue.
func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	b := New(newFakeAgents(), nil)
	slow, fast := b.Subscribe(), b.Subscribe()
	defer b.Unsubscribe(slow)
	defer b.Unsubscribe(fast)
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 3*MaxPending; i++ {
			b.Publish(Event{Type: TypeDisplay, DisplayID: int64(i)})
			if evs := fast.Take(); len(evs) != 1 || evs[0] != (Event{Type: TypeDisplay, DisplayID: int64(i)}) {
				done <- fmt.Errorf("the reading subscriber got %+v, want display %d", evs, i)
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
	if evs := slow.Take(); len(evs) != 1 || evs[0].Type != TypeReload {
		t.Fatalf("the subscriber that did not read has %d events waiting (%+v…), want one reload", len(evs), evs[:min(len(evs), 3)])
	}
	if evs := slow.Take(); evs != nil {
		t.Fatalf("after taking: %+v", evs)
	}
	if s := b.Subscribers(); s != 2 {
		t.Fatalf("%d subscribers left, want 2", s)
	}
}

// Changes waiting for a reader come as one batch: each display once, in
// order, the alerts last; a display set that grows past MaxPending turns
// into one reload, which covers the alerts too.
func TestTakeCoalesces(t *testing.T) {
	b := New(newFakeAgents(), nil)
	s := b.Subscribe()
	defer b.Unsubscribe(s)
	for _, id := range []int64{9, 3, 9, 3, 5} {
		b.Publish(Event{Type: TypeDisplay, DisplayID: id})
	}
	b.Publish(Event{Type: TypeAlerts})
	b.Publish(Event{Type: TypeAlerts})
	want := []Event{{TypeDisplay, 3}, {TypeDisplay, 5}, {TypeDisplay, 9}, {Type: TypeAlerts}}
	if got := batch(t, s); !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	select {
	case <-s.Ready:
		t.Fatal("woken again with nothing new")
	default:
	}
	b.Publish(Event{Type: TypeAlerts})
	for i := range MaxPending + 1 {
		b.Publish(Event{Type: TypeDisplay, DisplayID: int64(i)})
	}
	b.Publish(Event{Type: TypeDisplay, DisplayID: 1000})
	if got := batch(t, s); !slices.Equal(got, []Event{{Type: TypeReload}}) {
		t.Fatalf("past MaxPending: %+v, want one reload", got)
	}
}

// A thousand displays changing at once (a plan pushed to every screen, a
// restart) reach a reader that keeps up, each once, and it stays
// subscribed; more than MaxPending come as one reload.
func TestBurstReachesReaderThatKeepsUp(t *testing.T) {
	f := newFakeAgents()
	b := New(f, nil)
	b.Coalesce = 20 * time.Millisecond
	s := b.Subscribe()
	defer b.Unsubscribe(s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	defer func() { cancel(); <-done }()

	burst := func(n int, at time.Time) {
		var as []hub.AgentInfo
		for i := 1; i <= n; i++ {
			as = append(as, hub.AgentInfo{DisplayID: int64(i), Health: &protocol.Health{At: at}})
		}
		f.set(as...)
	}
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	for round := range 5 { // every screen reports health, five times over
		burst(1000, at.Add(time.Duration(round)*10*time.Second))
		seen := map[int64]bool{}
		for len(seen) < 1000 {
			for _, e := range batch(t, s) {
				if e.Type != TypeDisplay || e.DisplayID < 1 || e.DisplayID > 1000 || seen[e.DisplayID] {
					t.Fatalf("round %d: after %d displays, %+v", round, len(seen), e)
				}
				seen[e.DisplayID] = true
			}
			time.Sleep(time.Millisecond) // a reader that writes to a socket
		}
	}
	// More than MaxPending at once: one reload.
	burst(MaxPending+1, at.Add(time.Minute))
	if got := batch(t, s); !slices.Equal(got, []Event{{Type: TypeReload}}) {
		t.Fatalf("%d at once: %d events (%+v…), want one reload", MaxPending+1, len(got), got[:min(len(got), 3)])
	}
	// A small change after it is named, display by display.
	as := f.Agents()
	for i := range 3 {
		as[i].Health = &protocol.Health{At: at.Add(time.Hour), DriverState: "blanked"}
	}
	f.set(as...)
	want := []Event{{TypeDisplay, 1}, {TypeDisplay, 2}, {TypeDisplay, 3}}
	if got := batch(t, s); !slices.Equal(got, want) {
		t.Fatalf("three changed: %+v, want %+v", got, want)
	}
	select {
	case <-s.Done:
		t.Fatal("the reader was dropped")
	default:
	}
	if n := b.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
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

// With nobody subscribed the broker does not list the agents however often
// they change (at 10,000 screens the listing five times a second was a
// quarter of an idle controller's CPU); a subscriber that comes then hears
// of what changed meanwhile.
func TestNobodyListeningCostsNoLook(t *testing.T) {
	agents := newFakeAgents()
	b := New(agents, nil)
	b.Coalesce, b.Poll = time.Millisecond, time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	for i := range 50 {
		agents.set(hub.AgentInfo{DisplayID: 7, Health: &protocol.Health{At: at.Add(time.Duration(i) * time.Second)}})
	}
	s := b.Subscribe()
	defer b.Unsubscribe(s)
	if e := next(t, s); e != (Event{Type: TypeDisplay, DisplayID: 7}) {
		t.Fatalf("the subscriber was told %+v, want what changed before it came (display 7)", e)
	}
	agents.mu.Lock()
	looks := agents.looks
	agents.mu.Unlock()
	if looks != 1 {
		t.Fatalf("%d looks at the agents, want 1: the one after the subscriber came", looks)
	}
}

// Close ends every subscription, so a server shutting down is not held up
// by open event streams; a later Subscribe is closed at once.
func TestCloseEndsSubscriptions(t *testing.T) {
	b := New(newFakeAgents(), nil)
	s := b.Subscribe()
	b.Close()
	if _, ok := <-s.Done; ok {
		t.Fatal("subscription still open after Close")
	}
	if _, ok := <-b.Subscribe().Done; ok {
		t.Fatal("a subscription after Close is open")
	}
	b.Unsubscribe(s) // twice closed is fine
}
