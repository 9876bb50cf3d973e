// Package events tells dashboards what changed on the screens as it
// happens: a display came online or went offline, sent health or a
// screenshot, or an alert was raised or resolved. The API streams them to
// browsers as server-sent events; a page then reads only what changed.
//
// Each subscriber has a bounded queue. Publish never blocks: a subscriber
// whose queue is full is dropped (its channel closed) and reconnects, as
// browsers do by themselves, reading the current state afresh.
//
// Lock order: Broker.mu is never held while a Sub.mu is taken.
package events

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/pano-signage/pano/controller/internal/alerts"
	"github.com/pano-signage/pano/controller/internal/hub"
)

// Types of event.
const (
	TypeDisplay = "display" // a display's state, health or screenshot changed: read it again
	TypeAlerts  = "alerts"  // the open alerts changed: read them again
)

// Event is one change. It names what changed, not its new state: a page
// reads the state through the API, with its own authorization.
type Event struct {
	Type      string `json:"type"`
	DisplayID int64  `json:"display_id,omitempty"`
}

// QueueSize is how many events a subscriber may fall behind before it is
// dropped.
const QueueSize = 64

// Sub is one subscriber. C is closed when it is dropped or the broker
// closes.
type Sub struct {
	C      <-chan Event
	c      chan Event
	mu     sync.Mutex
	closed bool
}

func (s *Sub) send(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.c <- e:
	default: // too slow: drop it rather than wait
		s.closed = true
		close(s.c)
	}
}

func (s *Sub) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.c)
	}
}

// Agents is the hub as the broker watches it.
type Agents interface {
	Agents() []hub.AgentInfo
	Changed() <-chan struct{}
}

// Alerts are the alerts as the broker watches them.
type Alerts interface {
	Alerts() []alerts.Alert
}

// Broker fans events out to subscribers.
type Broker struct {
	agents Agents
	alerts Alerts // nil: none
	// Coalesce is how long Run waits after a change before the next look,
	// so a burst of heartbeats costs one comparison (default 200 ms).
	Coalesce time.Duration
	// Poll is how often alerts are looked at (default 2 s): the watcher
	// has no change signal.
	Poll time.Duration

	mu     sync.Mutex
	subs   map[*Sub]struct{}
	closed bool
}

// New returns a broker watching the hub's agents and the alerts; call Run.
func New(agents Agents, al Alerts) *Broker {
	return &Broker{agents: agents, alerts: al, Coalesce: 200 * time.Millisecond, Poll: 2 * time.Second, subs: map[*Sub]struct{}{}}
}

// Subscribe adds a subscriber; call Unsubscribe when done. After Close, the
// subscriber's channel is closed at once.
func (b *Broker) Subscribe() *Sub {
	c := make(chan Event, QueueSize)
	s := &Sub{C: c, c: c}
	b.mu.Lock()
	closed := b.closed
	if !closed {
		b.subs[s] = struct{}{}
	}
	b.mu.Unlock()
	if closed {
		s.close()
	}
	return s
}

// Unsubscribe removes a subscriber and closes its channel.
func (b *Broker) Unsubscribe(s *Sub) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
	s.close()
}

// Subscribers counts the subscribers still listening.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Publish sends e to every subscriber without waiting for any; a
// subscriber that cannot take it is dropped.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	subs := make([]*Sub, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.send(e)
		s.mu.Lock()
		dropped := s.closed
		s.mu.Unlock()
		if dropped {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
		}
	}
}

// Close ends every subscription (a server shutting down ends its streams)
// and refuses new ones.
func (b *Broker) Close() {
	b.mu.Lock()
	b.closed = true
	subs := b.subs
	b.subs = map[*Sub]struct{}{}
	b.mu.Unlock()
	for s := range subs {
		s.close()
	}
}

// look is what of a display the dashboard shows; heartbeats alone do not
// change it.
type look struct {
	healthAt time.Time
	driver   string
	plan     int64
	shotAt   time.Time
	item     int64
}

// Run watches the hub and the alerts until ctx ends and publishes what
// changed.
func (b *Broker) Run(ctx context.Context) {
	last := map[int64]look{}
	var lastAlerts []int64
	poll := time.NewTicker(b.Poll)
	defer poll.Stop()
	for {
		changed := b.agents.Changed()
		now := map[int64]look{}
		for _, a := range b.agents.Agents() {
			l := look{plan: a.PlanRevision, shotAt: a.ScreenshotAt}
			if h := a.Health; h != nil {
				l.healthAt, l.driver, l.item = h.At, h.DriverState, h.CurrentItem
			}
			now[a.DisplayID] = l
		}
		var ids []int64
		for id, l := range now {
			if old, ok := last[id]; !ok || old != l {
				ids = append(ids, id)
			}
		}
		for id := range last {
			if _, ok := now[id]; !ok {
				ids = append(ids, id) // went offline
			}
		}
		open := b.openAlerts()
		alertsChanged := !slices.Equal(open, lastAlerts)
		slices.Sort(ids)
		for _, id := range ids {
			b.Publish(Event{Type: TypeDisplay, DisplayID: id})
		}
		if alertsChanged {
			b.Publish(Event{Type: TypeAlerts})
		}
		last, lastAlerts = now, open
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-poll.C:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.Coalesce):
		}
	}
}

// openAlerts lists the alerts' IDs, resolved ones negated, sorted.
func (b *Broker) openAlerts() []int64 {
	if b.alerts == nil {
		return nil
	}
	var out []int64
	for _, a := range b.alerts.Alerts() {
		if a.Resolved == nil {
			out = append(out, a.ID)
		} else {
			out = append(out, -a.ID)
		}
	}
	slices.Sort(out)
	return out
}
