// Package alerts tells technicians when a screen goes dark: it watches the
// enrolled displays and raises an alert when one has been offline longer
// than a grace period, shows a frozen picture, cannot write to its disk or
// has lost its panel output; the alert is resolved when that ends. Alerts
// are logged, kept for the API and the dashboard, and posted to a webhook
// when one is configured (a chat bot, an SMS gateway).
package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Kinds of alert.
const (
	KindOffline = "offline" // the agent has not been connected for longer than the grace period
	KindFrozen  = "frozen"  // the panel shows a stale picture
	KindStorage = "storage" // the agent cannot write to its disk
	KindDriver  = "driver"  // the panel output fails
)

// Alert is one problem of one display, open until Resolved is set.
type Alert struct {
	ID        int64      `json:"id"`
	DisplayID int64      `json:"display_id"`
	Display   string     `json:"display"`
	Kind      string     `json:"kind"`
	Message   string     `json:"message"`
	Since     time.Time  `json:"since"`
	Resolved  *time.Time `json:"resolved"`
}

// Agents is the hub as the watcher sees it.
type Agents interface {
	Agents() []hub.AgentInfo
}

// Displays lists the displays to watch, and when each was last heard of
// (kept across controller restarts, so an alert says since when the screen
// has been dark, not since when the controller has looked).
type Displays interface {
	Displays(ctx context.Context, f store.DisplayFilter) ([]store.Display, error)
	LastSeen(ctx context.Context) (map[int64]time.Time, error)
}

// Options tune a watcher; zero values take the defaults.
type Options struct {
	Grace   time.Duration // how long a display may be offline before it alerts (default 2 min)
	Every   time.Duration // how often displays are checked (default 15 s)
	Webhook string        // URL to POST alerts to as JSON; empty: none
	Keep    int           // resolved alerts kept for the API (default 500)
	Now     func() time.Time
	Client  *http.Client
	// Posts, if set, says whether this replica posts to the webhook now:
	// every replica keeps alerts for its dashboard, the leading one alone
	// posts them, so a receiver hears each once. nil: always.
	Posts func() bool
}

// Watcher raises and resolves alerts.
type Watcher struct {
	agents   Agents
	displays Displays
	log      *slog.Logger
	opt      Options
	posts    chan event

	mu       sync.Mutex
	lastSeen map[int64]time.Time // display → when it was last online (or first watched)
	open     map[key]*Alert
	resolved []Alert
	nextID   int64
}

type key struct {
	display int64
	kind    string
}

type event struct {
	Event string `json:"event"` // "alert" or "resolved"
	Alert Alert  `json:"alert"`
}

// New returns a watcher; call Run.
func New(agents Agents, displays Displays, log *slog.Logger, opt Options) *Watcher {
	if opt.Grace == 0 {
		opt.Grace = 2 * time.Minute
	}
	if opt.Every == 0 {
		opt.Every = 15 * time.Second
	}
	if opt.Keep == 0 {
		opt.Keep = 500
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Watcher{agents: agents, displays: displays, log: log, opt: opt, posts: make(chan event, 256),
		lastSeen: map[int64]time.Time{}, open: map[key]*Alert{}}
}

// Run checks the displays every opt.Every until ctx ends, and posts to the
// webhook from a goroutine of its own so a slow receiver delays no check.
func (w *Watcher) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() { defer close(done); w.deliver(ctx) }()
	t := time.NewTicker(w.opt.Every)
	defer t.Stop()
	for {
		if err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("alerts: check displays", "err", err)
		}
		select {
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
		}
	}
}

// Check looks at every enrolled display once.
func (w *Watcher) Check(ctx context.Context) error {
	ds, err := w.displays.Displays(ctx, store.DisplayFilter{})
	if err != nil {
		return err
	}
	live := map[int64]hub.AgentInfo{}
	for _, a := range w.agents.Agents() {
		live[a.DisplayID] = a
	}
	now := w.opt.Now()
	var seen map[int64]time.Time
	w.mu.Lock()
	defer w.mu.Unlock()
	watched := map[int64]bool{}
	for _, d := range ds {
		if d.Enrolment != "enrolled" {
			continue
		}
		watched[d.ID] = true
		a, online := live[d.ID]
		if online {
			w.lastSeen[d.ID] = now
		} else if _, ok := w.lastSeen[d.ID]; !ok {
			// First look (a controller restart): the store says when the
			// agent was last heard of; one never heard of starts now.
			// Read once, and only then: at 10,000 displays every 15 s it
			// was a third of what checking cost.
			if seen == nil {
				if seen, err = w.displays.LastSeen(ctx); err != nil {
					return err
				}
			}
			w.lastSeen[d.ID] = now
			if t, ok := seen[d.ID]; ok && t.Before(now) {
				w.lastSeen[d.ID] = t
			}
		}
		offFor := now.Sub(w.lastSeen[d.ID])
		// An offline alert is dated from when the screen went dark, not
		// from when the grace ran out.
		since := w.lastSeen[d.ID]
		w.set(d, KindOffline, !online && offFor > w.opt.Grace, since,
			func() string {
				return fmt.Sprintf("%s has been offline since %s", d.Name, since.UTC().Format(time.RFC3339))
			})
		h := protocol.Health{}
		if online && a.Health != nil {
			h = *a.Health
		}
		// A screen off by its power windows is meant to look the same.
		w.set(d, KindFrozen, h.Frozen && !h.PowerOff, now, func() string { return fmt.Sprintf("%s shows a frozen picture", d.Name) })
		w.set(d, KindStorage, h.StorageError != "", now, func() string { return fmt.Sprintf("%s cannot write to its disk: %s", d.Name, h.StorageError) })
		w.set(d, KindDriver, h.DriverState == "error", now, func() string { return fmt.Sprintf("%s: panel output fails: %s", d.Name, h.DriverError) })
	}
	// A display that was deleted or revoked has nothing left to alert about.
	for k, a := range w.open {
		if !watched[k.display] {
			w.resolve(k, a, now)
		}
	}
	return nil
}

// set opens or resolves the alert of kind for d; an alert opened is dated
// since and says message() (made only then: most checks change nothing).
// Called with w.mu held.
func (w *Watcher) set(d store.Display, kind string, on bool, since time.Time, message func() string) {
	k := key{d.ID, kind}
	a, open := w.open[k]
	switch {
	case on && !open:
		msg := message()
		w.nextID++
		a = &Alert{ID: w.nextID, DisplayID: d.ID, Display: d.Name, Kind: kind, Message: msg, Since: since}
		w.open[k] = a
		w.log.Warn("alert", "display", d.Name, "kind", kind, "message", msg)
		w.post(event{"alert", *a})
	case !on && open:
		w.resolve(k, a, w.opt.Now())
	}
}

func (w *Watcher) resolve(k key, a *Alert, now time.Time) {
	delete(w.open, k)
	t := now
	a.Resolved = &t
	w.resolved = append(w.resolved, *a)
	if len(w.resolved) > w.opt.Keep {
		w.resolved = w.resolved[len(w.resolved)-w.opt.Keep:]
	}
	w.log.Info("alert resolved", "display", a.Display, "kind", a.Kind, "after", now.Sub(a.Since).Round(time.Second))
	w.post(event{"resolved", *a})
}

func (w *Watcher) post(e event) {
	if w.opt.Webhook == "" || w.opt.Posts != nil && !w.opt.Posts() {
		return
	}
	select {
	case w.posts <- e:
	default:
		w.log.Error("alerts: webhook queue full; alert not posted", "display", e.Alert.Display, "kind", e.Alert.Kind)
	}
}

// deliver posts queued events to the webhook, retrying each a few times.
func (w *Watcher) deliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-w.posts:
			body, _ := json.Marshal(e)
			var err error
			for try, wait := 0, time.Second; try < 4; try, wait = try+1, wait*4 {
				if err = w.postOnce(ctx, body); err == nil {
					break
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			if err != nil {
				w.log.Error("alerts: webhook failed; alert not delivered", "display", e.Alert.Display, "kind", e.Alert.Kind, "err", err)
			}
		}
	}
}

func (w *Watcher) postOnce(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.opt.Webhook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.opt.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Alerts lists the open alerts, oldest first, then the recently resolved
// ones, newest first.
func (w *Watcher) Alerts() []Alert {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Alert, 0, len(w.open)+len(w.resolved))
	for _, a := range w.open {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	for i := len(w.resolved) - 1; i >= 0; i-- {
		out = append(out, w.resolved[i])
	}
	return out
}
