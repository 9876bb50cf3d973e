// Package events tells dashboards what changed on the screens as it
// happens: a display came online or went offline, sent health or a
// screenshot, or an alert was raised or resolved. The API streams them to
// browsers as server-sent events; a page then reads only what changed.
//
// Changes are coalesced per subscriber: each holds the set of displays
// changed since it last took them (and whether the alerts changed), not a
// queue of events. A burst — a plan pushed to every screen, a controller
// restart, thousands of screens reporting health — therefore costs a
// reader that keeps up one batch, not one event per screen, and never
// drops it. Above MaxPending changed displays the set collapses into one
// "reload" event: read everything again. A subscriber's state is thus
// bounded, so Publish never blocks and never waits for a slow subscriber;
// a client that stops reading is dropped by its stream's write deadline
// (see the API's event handler), without holding up anyone else.
//
// Lock order: Broker.mu is never held while a Sub.mu is taken.
package events

import (
	"cmp"
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
	TypeReload  = "reload"  // too much changed at once to name it: read the page and the alerts again
)

// Event is one change. It names what changed, not its new state: a page
// reads the state through the API, with its own authorization.
type Event struct {
	Type      string `json:"type"`
	DisplayID int64  `json:"display_id,omitempty"`
}

// MaxPending is how many changed displays a subscriber may have waiting
// before they collapse into one reload event. Run looks every Coalesce, so
// this is the changes of one window (thousands of screens reporting health
// every 10 s stay well under it) and only a burst — every screen at once —
// costs a dashboard reading its page again; it also bounds what a
// subscriber holds.
const MaxPending = 1024

// Sub is one subscriber. Ready receives a value when changes are waiting
// (Take them); Done is closed when the subscription ends (Unsubscribe, or
// the broker closed), after which Take returns what was left, then nothing.
type Sub struct {
	Ready <-chan struct{}
	Done  <-chan struct{}
	ready chan struct{} // capacity 1: "something is waiting", never more
	done  chan struct{}

	mu     sync.Mutex
	ids    map[int64]struct{}
	alerts bool
	reload bool
	closed bool
}

// mark adds changes to s and wakes its reader; it never blocks.
func (s *Sub) mark(ids []int64, alertsChanged, reload bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if !s.reload {
		for _, id := range ids {
			s.ids[id] = struct{}{}
		}
		s.alerts = s.alerts || alertsChanged
		if reload || len(s.ids) > MaxPending {
			s.reload, s.alerts = true, false // a reload reads the alerts too
			clear(s.ids)
		}
	}
	select {
	case s.ready <- struct{}{}:
	default: // already woken; the reader takes all at once
	}
}

// Take returns the changes waiting, and forgets them: one reload event, or
// one display event per changed display (by id) and then an alerts event
// if the alerts changed. It returns nil when nothing is waiting.
func (s *Sub) Take() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reload {
		s.reload = false
		return []Event{{Type: TypeReload}}
	}
	out := make([]Event, 0, len(s.ids)+1)
	for id := range s.ids {
		out = append(out, Event{Type: TypeDisplay, DisplayID: id})
	}
	slices.SortFunc(out, func(a, b Event) int { return cmp.Compare(a.DisplayID, b.DisplayID) })
	clear(s.ids)
	if s.alerts {
		s.alerts = false
		out = append(out, Event{Type: TypeAlerts})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (s *Sub) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
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
	// so a burst of heartbeats costs one comparison, and a subscriber at
	// most one wake-up per Coalesce (default 200 ms).
	Coalesce time.Duration
	// Poll is how often alerts are looked at (default 2 s): the watcher
	// has no change signal.
	Poll time.Duration

	mu     sync.Mutex
	subs   map[*Sub]struct{}
	joined chan struct{} // closed and replaced when a subscriber comes
	closed bool
}

// New returns a broker watching the hub's agents and the alerts; call Run.
func New(agents Agents, al Alerts) *Broker {
	return &Broker{agents: agents, alerts: al, Coalesce: 200 * time.Millisecond, Poll: 2 * time.Second, subs: map[*Sub]struct{}{},
		joined: make(chan struct{})}
}

// Subscribe adds a subscriber; call Unsubscribe when done. After Close, the
// subscriber is done at once.
func (b *Broker) Subscribe() *Sub {
	ready, done := make(chan struct{}, 1), make(chan struct{})
	s := &Sub{Ready: ready, Done: done, ready: ready, done: done, ids: map[int64]struct{}{}}
	b.mu.Lock()
	closed := b.closed
	if !closed {
		b.subs[s] = struct{}{}
		close(b.joined)
		b.joined = make(chan struct{})
	}
	b.mu.Unlock()
	if closed {
		s.close()
	}
	return s
}

// Unsubscribe removes a subscriber and ends it.
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

// Publish tells every subscriber of e without waiting for any.
func (b *Broker) Publish(e Event) {
	switch e.Type {
	case TypeDisplay:
		b.publish([]int64{e.DisplayID}, false, false)
	case TypeAlerts:
		b.publish(nil, true, false)
	default:
		b.publish(nil, false, true)
	}
}

// publish marks the changed displays and alerts on every subscriber, one
// wake-up each however many changed.
func (b *Broker) publish(ids []int64, alertsChanged, reload bool) {
	b.mu.Lock()
	subs := make([]*Sub, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.mark(ids, alertsChanged, reload)
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
// change it. A health report does (healthAt): the card shows its figures
// and "last seen" from it; per-subscriber coalescing absorbs their number.
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
		// Nobody listening: no look (listing 10,000 agents five times a
		// second was a quarter of an idle controller's CPU). The first look
		// after a subscriber comes tells it what changed meanwhile.
		b.mu.Lock()
		idle, joined := len(b.subs) == 0, b.joined
		b.mu.Unlock()
		if idle {
			select {
			case <-ctx.Done():
				return
			case <-joined:
			}
		}
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
		if len(ids) > 0 || alertsChanged {
			b.publish(ids, alertsChanged, false)
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
