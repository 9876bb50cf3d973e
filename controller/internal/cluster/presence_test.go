package cluster

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/alerts"
	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
)

// watchedDisplays is the alert watcher's store: the displays enrolled,
// none heard of before.
type watchedDisplays []store.Display

func (d watchedDisplays) Displays(context.Context, store.DisplayFilter) ([]store.Display, error) {
	return d, nil
}
func (watchedDisplays) LastSeen(context.Context) (map[int64]time.Time, error) { return nil, nil }

// waitAgents waits, through b's Changed, until cond holds for b's Agents.
func waitAgents(t *testing.T, b *Bus, what string, cond func([]hub.AgentInfo) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		ch := b.Changed()
		if cond(b.Agents()) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s: not in 5 s; agents %+v", what, b.Agents())
		}
	}
}

func has(id int64) func([]hub.AgentInfo) bool {
	return func(as []hub.AgentInfo) bool {
		return slices.ContainsFunc(as, func(a hub.AgentInfo) bool { return a.DisplayID == id })
	}
}

// announcements counts the presence messages b takes from other
// replicas.
func announcements(b *Bus) (wait func(t *testing.T, n int)) {
	var mu sync.Mutex
	seen := 0
	more := make(chan struct{}, 1)
	b.pmu.Lock()
	b.presenceHook = func(string) {
		mu.Lock()
		seen++
		mu.Unlock()
		select {
		case more <- struct{}{}:
		default:
		}
	}
	b.pmu.Unlock()
	return func(t *testing.T, n int) {
		t.Helper()
		mu.Lock()
		until := seen + n
		mu.Unlock()
		for {
			mu.Lock()
			done := seen >= until
			mu.Unlock()
			if done {
				return
			}
			select {
			case <-more:
			case <-time.After(5 * time.Second):
				t.Fatalf("fewer than %d announcements in 5 s", n)
			}
		}
	}
}

// An agent linked to replica B is online in replica A's view (Agents,
// Changed) and stays so past the presence timeout, so A's alert watcher
// does not alert for it. Once B is killed (its
// NATS connection closed, no goodbye), A drops it after the timeout and
// the watcher opens an offline alert after its grace.
func TestAgentOnOtherReplicaIsOnlineUntilItsReplicaDies(t *testing.T) {
	url, _ := natstest.Start(t)
	opt := Options{PresenceEvery: 20 * time.Millisecond, PresenceTimeout: 150 * time.Millisecond}
	a, b := startReplica(t, url, opt), startReplica(t, url, opt)
	heard := announcements(a.bus)
	connect(t, b, 7)
	waitAgents(t, a.bus, "agent 7 on B in A's view", has(7))
	if a.hub.Online(7) {
		t.Fatal("agent 7 is on A's own hub")
	}

	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	w := alerts.New(a.bus, watchedDisplays{{ID: 7, Name: "display-7", Enrolment: "enrolled"}}, quiet,
		alerts.Options{Grace: 2 * time.Minute, Now: func() time.Time { return now }})
	check := func() []alerts.Alert {
		t.Helper()
		if err := w.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		return w.Alerts()
	}
	check()
	// Longer than the timeout: B's announcements keep the agent.
	heard(t, 20)
	waitAgents(t, a.bus, "agent 7 still in A's view after 20 announcements", has(7))
	now = now.Add(10 * time.Minute)
	if got := check(); len(got) != 0 {
		t.Fatalf("A alerts for an agent online on B: %+v", got)
	}

	b.bus.nc.Close() // killed: no goodbye
	waitAgents(t, a.bus, "agent 7 gone from A's view after B died", func(as []hub.AgentInfo) bool { return !has(7)(as) })
	if got := check(); len(got) != 0 {
		t.Fatalf("alert before the grace: %+v", got)
	}
	now = now.Add(3 * time.Minute)
	got := check()
	if len(got) != 1 || got[0].Kind != alerts.KindOffline || got[0].DisplayID != 7 || got[0].Resolved != nil {
		t.Fatalf("after B died and the grace passed: %+v, want display 7 offline", got)
	}
}

// A link that closes on B is offline in A's view at once (B announces it),
// not after the timeout; the agent linked again to A is online in B's
// view. A replica that closes says goodbye:
// its agents go from the others' view without waiting for the timeout.
func TestLinkClosedOrMovedIsSeenAtOnce(t *testing.T) {
	url, _ := natstest.Start(t)
	opt := Options{PresenceEvery: time.Hour, PresenceTimeout: time.Hour} // only the announcements of links and goodbyes
	a, b := startReplica(t, url, opt), startReplica(t, url, opt)
	c := startReplica(t, url, opt)
	ag := connect(t, b, 7)
	connect(t, c, 8)
	waitAgents(t, a.bus, "agents 7 (B) and 8 (C) in A's view", func(as []hub.AgentInfo) bool { return has(7)(as) && has(8)(as) })

	ag.ws.Close()
	<-ag.done
	waitAgents(t, a.bus, "agent 7 gone from A's view when its link on B closed", func(as []hub.AgentInfo) bool { return !has(7)(as) })
	connect(t, a, 7)
	waitAgents(t, b.bus, "agent 7, now on A, in B's view", has(7))

	c.bus.Close()
	waitAgents(t, a.bus, "agent 8 gone from A's view once C said goodbye", func(as []hub.AgentInfo) bool { return !has(8)(as) })
	if !has(7)(a.bus.Agents()) {
		t.Fatal("agent 7, on A, left A's view")
	}
}
