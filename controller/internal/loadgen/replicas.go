package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/pano-signage/pano/controller/internal/apiclient"
	"github.com/pano-signage/pano/controller/internal/childproc"
	"github.com/pano-signage/pano/controller/internal/simagent"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
	"github.com/pano-signage/pano/protocol"
)

// replicaResult is what the replicas' line says.
type replicaResult struct {
	changeMax, changeP50 float64 // ms, from the API call on A until each agent has the plan
	failover             float64 // s, from the kill until the last of its agents holds, on another, the plan that one serves
	failoverAgents       int     // agents the killed replica held
	failoverP50          float64 // s, one agent's own drop to settled, the median
	records, stored      int     // proof-of-play records the agents made; those the database holds of them
	lost, extra          int     // made and not stored; stored and not made (or twice)
	unacked              int     // records whose batch no replica acked within -wait
	killed               int     // the replica killed (0 = A)
	revisions            int     // the largest number of plan revisions a display got from the notice on
}

// runReplicas runs -replicas controllers on one PostgreSQL database (a
// cluster of its own, started as the tests' is: pgtest) joined by one NATS
// server (embedded, with JetStream), the agents spread over them, and
// prints
//
//	replicas=R agents=N change_all_max_ms=… change_all_p50_ms=… failover_s=… failover_agents=… failover_p50_s=… records=… lost_records=… doubled_records=…
//
// change_all: an urgent notice for every display saved through replica A,
// until every agent on every replica has the plan that carries it. Then
// the agents make a proof-of-play record every -play-every (a real agent
// uploads every 5 s what it played; an item lasts 10 s or more); the last
// replica is killed (SIGKILL): failover is until every agent it held is
// welcomed by another and holds the plan that one serves (acked, or named
// in its hello). Then the records made are looked up through the API:
// lost are made and not stored, doubled stored and not made.
func (b *bench) runReplicas() error {
	n := b.cfg.replicas
	pg, err := pgtest.StartServer()
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	b.cleanups = append(b.cleanups, pg.Stop)
	dbURL, err := pg.CreateDatabase("pano_loadgen")
	if err != nil {
		return err
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: filepath.Join(b.dir, "nats"), NoLog: true, NoSigs: true})
	if err != nil {
		return fmt.Errorf("NATS: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return errors.New("NATS did not start within 10 s")
	}
	b.cleanups = append(b.cleanups, func() { ns.Shutdown(); ns.WaitForShutdown() })

	addrs := make([]string, n)
	urls := make([]string, n)
	for i := range addrs {
		if addrs[i], err = freeLoopbackAddr(); err != nil {
			return err
		}
		urls[i] = "ws://" + addrs[i]
	}
	advertise := strings.Join(urls, ",")
	perAddr := max(128, b.cfg.agents/len(sourceIPs)+128)
	ctls := make([]*childproc.Proc, n)
	for i := range ctls {
		data := filepath.Join(b.dir, fmt.Sprintf("data-%c", 'A'+i))
		args := []string{"serve", "--listen", addrs[i], "--data", data, "--db", dbURL, "--nats", ns.ClientURL(),
			"--advertise", advertise, "--max-conns-per-address", fmt.Sprint(perAddr)}
		if i == 0 {
			args = append(args, "--demo")
		} else {
			// Replicas share the audit log's key (docs/SCALE-OUT.md).
			key, err := os.ReadFile(filepath.Join(b.dir, "data-A", store.KeyFileName))
			if err != nil {
				return err
			}
			if err := os.MkdirAll(data, 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(data, store.KeyFileName), key, 0o600); err != nil {
				return err
			}
		}
		p, err := childproc.Start(filepath.Join(b.dir, fmt.Sprintf("controller-%c.log", 'A'+i)), nil, b.ctlBin, args...)
		if err != nil {
			return err
		}
		ctls[i] = p
		b.procs = append(b.procs, p)
		if _, err := p.WaitLine(listening, 60*time.Second); err != nil {
			return fmt.Errorf("controller %c: %v (log in %s)", 'A'+i, err, b.dir)
		}
	}
	b.api = "http://" + addrs[0]
	start := time.Now()
	if err := b.enrol(); err != nil {
		return err
	}
	b.logf("%d displays created and agents enrolled through A in %.1f s", b.cfg.agents, time.Since(start).Seconds())

	wsURLs := make([]string, n)
	for i := range urls {
		wsURLs[i] = urls[i] + protocol.Path
	}
	f := simagent.NewFleet(wsURLs, panel, screenshotPNG(), b.cfg.dials)
	f.PlayEvery = b.cfg.playEvery
	// No records until the change is measured: their writes would
	// compete with the plans'.
	f.PlayStop.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	t0 := time.Now()
	for i, a := range b.agents {
		b.wg.Add(1)
		go func() { defer b.wg.Done(); a.Run(ctx, f, i%n) }()
	}
	if left, err := b.waitAll("connect", t0, func(s simagent.State) bool { return s.WelcomeAt.After(t0) }, func(s simagent.State) time.Time { return s.WelcomeAt }, 0); err != nil || left > 0 {
		return errors.Join(err, fmt.Errorf("%d agents did not connect", left))
	}
	if _, err := b.waitAll("first plan", t0, func(s simagent.State) bool { return s.PlanCount > 0 }, func(s simagent.State) time.Time { return s.PlanAt }, 15*time.Second); err != nil {
		return err
	}
	b.logf("%d agents connected over %d replicas in %.2f s", len(b.agents), n, latest(b.agents, func(s simagent.State) time.Time { return s.WelcomeAt }).Sub(t0).Seconds())

	// The change, through A.
	appr := apiclient.New(b.api, 60*time.Second)
	if err := appr.Login("approver"); err != nil {
		return err
	}
	tn := time.Now()
	revs0 := map[*simagent.Agent]int{}
	for _, a := range b.agents {
		a.Watch(tn)
		revs0[a] = a.Snapshot().PlanCount
	}
	if err := appr.Call("POST", "/urgent-notices", map[string]any{
		"text": "Thông báo khẩn: ba bản sao", "minutes": 30, "every_display": true,
	}, nil); err != nil {
		return fmt.Errorf("urgent notice: %w", err)
	}
	if left, err := b.waitAll("urgent notice", tn, func(s simagent.State) bool { return !s.NoticeAt.IsZero() },
		func(s simagent.State) time.Time { return s.NoticeAt }, 30*time.Second); err != nil || left > 0 {
		return errors.Join(err, fmt.Errorf("%d agents did not get the urgent notice", left))
	}
	var r replicaResult
	var change []float64
	for _, a := range b.agents {
		change = append(change, ms(a.Snapshot().NoticeAt.Sub(tn)))
	}
	slices.Sort(change)
	r.changeMax, r.changeP50 = change[len(change)-1], pct(change, 50)

	// Proof of play for a round, then the kill.
	f.PlayStop.Store(false)
	time.Sleep(b.cfg.playEvery + 2*time.Second)
	r.killed = n - 1
	var victims []*simagent.Agent
	for _, a := range b.agents {
		if a.Snapshot().On == r.killed {
			victims = append(victims, a)
		}
	}
	r.failoverAgents = len(victims)
	tk := time.Now()
	ctls[r.killed].Kill()
	b.logf("replica %c killed (SIGKILL) holding %d agents", 'A'+r.killed, len(victims))
	moved := func(s simagent.State) bool { return s.MovedAt.After(tk) }
	if left, err := b.waitSome(victims, "failover", tk, moved); err != nil || left > 0 {
		return errors.Join(err, fmt.Errorf("%d agents of the killed replica not back on another", left))
	}
	// Settled: what each victim holds is what the controllers say is its
	// plan, and its ack (or hello) is recorded.
	if err := b.checkPlans(appr, victims); err != nil {
		return err
	}
	var own []float64
	last := tk
	var slowest simagent.State
	for _, a := range victims {
		s := a.Snapshot()
		own = append(own, s.SettledAt.Sub(s.DropAt).Seconds())
		if s.SettledAt.After(last) {
			last, slowest = s.SettledAt, s
		}
	}
	b.logf("failover: the last agent's link dropped %.2f s after the kill, it was welcomed by %c %.2f s after, and held the plan served there %.2f s after",
		slowest.DropAt.Sub(tk).Seconds(), 'A'+max(0, slowest.On), slowest.MovedAt.Sub(tk).Seconds(), slowest.SettledAt.Sub(tk).Seconds())
	slices.Sort(own)
	r.failover, r.failoverP50 = last.Sub(tk).Seconds(), pct(own, 50)

	// Records: a round more on the survivors, then stop making them and
	// wait for every batch to be acked.
	time.Sleep(b.cfg.playEvery + 2*time.Second)
	f.PlayStop.Store(true)
	r.unacked = b.waitAcked()
	for _, a := range b.agents {
		r.revisions = max(r.revisions, a.Snapshot().PlanCount-revs0[a])
	}
	if err := b.countRecords(appr, &r); err != nil {
		return err
	}

	b.cancel()
	b.wg.Wait()
	b.cancel = nil
	line := fmt.Sprintf("replicas=%d agents=%d change_all_max_ms=%.1f change_all_p50_ms=%.1f failover_s=%.2f failover_agents=%d failover_p50_s=%.2f records=%d lost_records=%d doubled_records=%d",
		n, len(b.agents), r.changeMax, r.changeP50, r.failover, r.failoverAgents, r.failoverP50, r.records, r.lost, r.extra)
	if r.unacked > 0 {
		line += fmt.Sprintf(" unacked_records=%d", r.unacked)
	}
	fmt.Fprintln(b.out, line)
	b.logf("plans per display from the notice on: at most %d; why links ended or dials failed: %s", r.revisions, f.ErrorSummary())
	b.replicaResult = r
	return nil
}

// waitSome is waitAll over some agents, with no quiet window.
func (b *bench) waitSome(some []*simagent.Agent, what string, from time.Time, done func(simagent.State) bool) (int, error) {
	all := b.agents
	b.agents = some
	defer func() { b.agents = all }()
	return b.waitAll(what, from, done, func(simagent.State) time.Time { return from }, 0)
}

// checkPlans waits until, for every agent given, the API (on A) says the
// display's plan is the revision the agent holds and its agent acked it.
func (b *bench) checkPlans(c *apiclient.Client, some []*simagent.Agent) error {
	deadline := time.Now().Add(b.cfg.wait)
	return b.each(some, func(a *simagent.Agent) error {
		for {
			var p struct {
				Revision      int64 `json:"revision"`
				AckedRevision int64 `json:"acked_revision"`
			}
			if err := c.Call("GET", fmt.Sprintf("/displays/%d/plan", a.Display), nil, &p); err != nil {
				return err
			}
			rev := a.Snapshot().Rev
			if p.Revision == rev && p.AckedRevision == rev {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("display %s: plan %d, acked %d, the agent holds %d", a.Name, p.Revision, p.AckedRevision, rev)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// waitAcked waits (up to -wait) until no agent has a batch of records not
// acked; it returns the records still waiting.
func (b *bench) waitAcked() int {
	deadline := time.Now().Add(b.cfg.wait)
	for {
		left := 0
		for _, a := range b.agents {
			left += a.Snapshot().Pending
		}
		if left == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// countRecords looks up every display's records through the API and
// compares them with what its agent made.
func (b *bench) countRecords(c *apiclient.Client, r *replicaResult) error {
	var mu sync.Mutex
	return b.each(b.agents, func(a *simagent.Agent) error {
		var out struct {
			Items []protocol.PlayRecord `json:"items"`
		}
		if err := c.Call("GET", fmt.Sprintf("/play-records?display_id=%d&limit=10000", a.Display), nil, &out); err != nil {
			return err
		}
		played := a.Played()
		made := map[string]bool{}
		for _, id := range played {
			made[id] = true
		}
		n := len(played)
		lost, extra := len(made), 0
		for _, rec := range out.Items {
			if made[rec.ID] {
				delete(made, rec.ID)
				lost--
			} else {
				extra++
			}
		}
		mu.Lock()
		r.records += n
		r.stored += len(out.Items)
		r.lost += lost
		r.extra += extra
		mu.Unlock()
		return nil
	})
}

// each runs f for every agent given, 8 at a time; the first error wins.
func (b *bench) each(some []*simagent.Agent, f func(*simagent.Agent) error) error {
	next := make(chan *simagent.Agent)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				if err := f(a); err != nil {
					errs <- err
					for range next {
					}
					return
				}
			}
		}()
	}
	var err error
loop:
	for _, a := range some {
		select {
		case next <- a:
		case err = <-errs:
			break loop
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}
