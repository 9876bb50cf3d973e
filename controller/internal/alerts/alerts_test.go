package alerts

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

type fakeAgents struct {
	mu sync.Mutex
	a  []hub.AgentInfo
}

func (f *fakeAgents) Agents() []hub.AgentInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]hub.AgentInfo(nil), f.a...)
}

func (f *fakeAgents) set(a ...hub.AgentInfo) {
	f.mu.Lock()
	f.a = a
	f.mu.Unlock()
}

type fakeDisplays []store.Display

func (f fakeDisplays) Displays(context.Context, store.DisplayFilter) ([]store.Display, error) {
	return f, nil
}

func (f fakeDisplays) LastSeen(context.Context) (map[int64]time.Time, error) {
	return map[int64]time.Time{}, nil
}

// seenDisplays also says when each display was last heard of, as the store
// does after a controller restart.
type seenDisplays struct {
	fakeDisplays
	seen map[int64]time.Time
}

func (s seenDisplays) LastSeen(context.Context) (map[int64]time.Time, error) { return s.seen, nil }

func TestOfflineAfterGraceFrozenAndResolvedWithWebhook(t *testing.T) {
	posted := make(chan event, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e event
		json.NewDecoder(r.Body).Decode(&e)
		posted <- e
	}))
	defer hook.Close()

	now := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	agents := &fakeAgents{}
	displays := fakeDisplays{
		{ID: 1, Name: "truong-hoc", Enrolment: "enrolled"},
		{ID: 2, Name: "moi-tao", Enrolment: "pending"}, // never enrolled: never alerts
	}
	w := New(agents, displays, slog.New(slog.NewTextHandler(io.Discard, nil)),
		Options{Grace: 2 * time.Minute, Webhook: hook.URL, Now: func() time.Time { return now }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.deliver(ctx)
	check := func(at time.Duration) {
		now = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC).Add(at)
		if err := w.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(event, kind string) {
		t.Helper()
		select {
		case e := <-posted:
			if e.Event != event || e.Alert.Kind != kind || e.Alert.Display != "truong-hoc" {
				t.Fatalf("posted %+v, want %s %s", e, event, kind)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s %s posted", event, kind)
		}
	}

	agents.set(hub.AgentInfo{DisplayID: 1, Name: "truong-hoc", Health: &protocol.Health{DriverState: "ok"}})
	check(0)
	agents.set()
	check(time.Minute) // offline, within the grace
	if len(w.Alerts()) != 0 {
		t.Fatalf("alert within the grace: %+v", w.Alerts())
	}
	check(2*time.Minute + time.Second)
	expect("alert", KindOffline)
	if a := w.Alerts(); len(a) != 1 || a[0].Resolved != nil || a[0].Kind != KindOffline {
		t.Fatalf("alerts %+v", a)
	}
	// Dated from when the screen went dark (last seen at the first check),
	// not from when the grace ran out.
	if a := w.Alerts(); !a[0].Since.Equal(time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("offline alert since %v, want 01:00, when the screen was last seen", a[0].Since)
	}
	agents.set(hub.AgentInfo{DisplayID: 1, Name: "truong-hoc", Health: &protocol.Health{Frozen: true, DriverState: "ok"}})
	check(3 * time.Minute)
	expect("resolved", KindOffline)
	expect("alert", KindFrozen)
	agents.set(hub.AgentInfo{DisplayID: 1, Name: "truong-hoc", Health: &protocol.Health{DriverState: "ok"}})
	check(4 * time.Minute)
	expect("resolved", KindFrozen)
	a := w.Alerts()
	if len(a) != 2 || a[0].Kind != KindFrozen || a[0].Resolved == nil || a[1].Kind != KindOffline {
		t.Fatalf("alerts, newest resolved first: %+v", a)
	}
}

// After a restart the controller has not seen the display itself: the
// alert is dated from when the store last heard of it, and it fires at once
// when that is longer ago than the grace.
func TestOfflineSinceComesFromTheStoreAfterARestart(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	dark := now.Add(-3 * time.Hour)
	displays := seenDisplays{fakeDisplays{{ID: 1, Name: "truong-hoc", Enrolment: "enrolled"}, {ID: 2, Name: "cho", Enrolment: "enrolled"}},
		map[int64]time.Time{1: dark}}
	w := New(&fakeAgents{}, displays, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Grace: 2 * time.Minute, Now: func() time.Time { return now }})
	if err := w.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := w.Alerts()
	if len(a) != 1 || a[0].DisplayID != 1 || a[0].Kind != KindOffline || !a[0].Since.Equal(dark) {
		t.Fatalf("alerts %+v, want one offline alert for display 1 since %v (display 2 was never seen: its grace starts now)", a, dark)
	}
}

// A screen its power windows have off is dark on purpose: it raises no
// alert, even if its agent calls the still picture frozen; a failing panel
// still does.
func TestPowerOffRaisesNoFrozenAlert(t *testing.T) {
	now := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	agents := &fakeAgents{}
	w := New(agents, fakeDisplays{{ID: 1, Name: "truong-hoc", Enrolment: "enrolled"}}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		Options{Grace: 2 * time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	agents.set(hub.AgentInfo{DisplayID: 1, Name: "truong-hoc", Health: &protocol.Health{DriverState: "ok", PowerOff: true, Frozen: true}})
	for i := 0; i < 3; i++ {
		now = now.Add(time.Hour)
		if err := w.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if a := w.Alerts(); len(a) != 0 {
		t.Fatalf("alerts for a screen off by its power windows: %+v", a)
	}
	agents.set(hub.AgentInfo{DisplayID: 1, Name: "truong-hoc", Health: &protocol.Health{DriverState: "error", DriverError: "no route", PowerOff: true}})
	if err := w.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if a := w.Alerts(); len(a) != 1 || a[0].Kind != KindDriver {
		t.Fatalf("alerts %+v, want the failing panel's", a)
	}
}
