package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Agents' hellos and departures and their plan acks come at the rate
// agents connect: 10,000 at a cold start or after a network blip; their
// screenshots, one a minute each, 167 a second. As a write transaction
// each they queued on SQLite's one writer, and hellos timed out behind
// each other. They are kept in memory at once (SeeAgent,
// AgentLeft, SetPlanAcked return without the writer) and written in one
// transaction per flush: BehindDelay after the first one pending, at once
// when behindBatch are, and at Close. Every read of them in this package
// sees the pending ones too. A flush that fails keeps them for the next.
const (
	BehindDelay = 200 * time.Millisecond
	behindBatch = 2000
	behindRetry = time.Second
)

// behind is the write-behind state of a Store.
type behind struct {
	mu       sync.Mutex
	pending  facts
	inflight facts // being written: still read from here until committed
	n        int   // facts pending
	timer    *time.Timer
	urgent   bool // the timer was moved to now: behindBatch pending
	failing  bool // the last flush failed (logged once)

	flushMu sync.Mutex // one flush at a time; held by Close to the end
	closed  bool       // under flushMu and mu
}

// facts are sightings, departures, acks and screenshots not yet committed.
type facts struct {
	seen  map[string]Agent     // by name: the agents row as it will be
	left  map[string]time.Time // departures by name
	acks  map[int64][]planAck  // by display, oldest first
	shots map[int64]shot       // each display's latest screenshot
}

// shot is a display's screenshot (a PNG checked by the caller).
type shot struct {
	png []byte
	at  time.Time
}

// planAck is a display's acknowledgement of a plan revision.
type planAck struct {
	rev int64
	at  time.Time // replaced_at of its older revisions
}

func (f *facts) empty() bool {
	return len(f.seen) == 0 && len(f.left) == 0 && len(f.acks) == 0 && len(f.shots) == 0
}

func (f *facts) screenshot(displayID int64, sh shot) {
	if f.shots == nil {
		f.shots = map[int64]shot{}
	}
	f.shots[displayID] = sh
}

func (f *facts) see(a Agent) {
	if f.seen == nil {
		f.seen = map[string]Agent{}
	}
	if p, ok := f.seen[a.Name]; ok && p.DisplayID == a.DisplayID {
		a.FirstSeen = p.FirstSeen
	}
	f.seen[a.Name] = a
}

func (f *facts) leave(name string, at time.Time) {
	if f.left == nil {
		f.left = map[string]time.Time{}
	}
	if at.After(f.left[name]) {
		f.left[name] = at
	}
}

func (f *facts) ack(displayID int64, k planAck) {
	if f.acks == nil {
		f.acks = map[int64][]planAck{}
	}
	list := f.acks[displayID]
	// A later ack of an older revision changes nothing (acked_revision
	// only grows; its older revisions were replaced by the newer one).
	if n := len(list); n > 0 && list[n-1].rev >= k.rev {
		return
	}
	f.acks[displayID] = append(list, k)
}

// then is f followed by the newer g: g's sighting of a name wins.
func (f facts) then(g facts) facts {
	var out facts
	for _, x := range []facts{f, g} {
		for _, a := range x.seen {
			out.see(a)
		}
		for name, at := range x.left {
			out.leave(name, at)
		}
		for id, list := range x.acks {
			for _, k := range list {
				out.ack(id, k)
			}
		}
		for id, sh := range x.shots {
			out.screenshot(id, sh)
		}
	}
	return out
}

func (f *facts) size() int {
	n := len(f.seen) + len(f.left) + len(f.shots)
	for _, list := range f.acks {
		n += len(list)
	}
	return n
}

// SetLogger sets where a failing flush of the facts kept in memory is
// logged (once, until one succeeds). The default is slog's.
func (s *Store) SetLogger(log *slog.Logger) { s.log = log }

// record adds to the pending facts and schedules their flush.
func (s *Store) record(add func(*facts)) {
	w := &s.wb
	w.mu.Lock()
	defer w.mu.Unlock()
	add(&w.pending)
	w.n++
	if w.closed {
		return // the database is closed: as a write after Close, lost
	}
	switch {
	case w.timer == nil:
		w.timer = time.AfterFunc(BehindDelay, s.flushLater)
	case w.n >= behindBatch && !w.urgent:
		w.urgent = true
		w.timer.Reset(0)
	}
}

// flushLater is the timer's flush; it logs the first failure of a run of
// them and the success that ends it.
func (s *Store) flushLater() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.FlushBehind(ctx)
	w := &s.wb
	w.mu.Lock()
	was := w.failing
	w.failing = err != nil
	w.mu.Unlock()
	log := s.log
	if log == nil {
		log = slog.Default()
	}
	switch {
	case err != nil && !was:
		log.Error("agents' hellos and plan acks are kept in memory until the database takes writes again", "err", err)
	case err == nil && was:
		log.Info("agents' hellos and plan acks kept in memory are stored")
	}
}

// pendingFacts counts the facts not yet stored, for pano_store_pending_facts.
func (s *Store) pendingFacts() int {
	w := &s.wb
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pending.size() + w.inflight.size()
}

// FlushBehind writes the sightings, departures and acks kept in memory in
// one transaction. On failure they are kept for the next flush (in a
// second, or the next one due), before any that came meanwhile.
func (s *Store) FlushBehind(ctx context.Context) error {
	w := &s.wb
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.closed {
		return nil
	}
	return s.flushBehind(ctx)
}

// flushBehind is FlushBehind under flushMu.
func (s *Store) flushBehind(ctx context.Context) error {
	w := &s.wb
	w.mu.Lock()
	f := w.pending
	w.pending, w.inflight, w.n, w.urgent = facts{}, f, 0, false
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.mu.Unlock()
	if f.empty() {
		return nil
	}
	err := s.writeFacts(ctx, f)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight = facts{}
	if err != nil {
		w.pending = f.then(w.pending)
		w.n = w.pending.size()
		if w.timer == nil && !w.closed {
			w.timer = time.AfterFunc(behindRetry, s.flushLater)
		}
		return err
	}
	return nil
}

// closeBehind writes what is pending (bounded by a deadline) and stops
// the flushes for good; Close calls it before closing the pools.
func (s *Store) closeBehind() error {
	w := &s.wb
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.closed {
		return nil // closed twice
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.flushBehind(ctx)
	w.mu.Lock()
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.mu.Unlock()
	return err
}

// writeFacts stores f in one transaction.
func (s *Store) writeFacts(ctx context.Context, f facts) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: write agents' hellos and acks: %w", err)
	}
	defer tx.Rollback()
	if err := writeSightings(ctx, tx, f); err != nil {
		return fmt.Errorf("store: write agents' hellos and acks: %w", err)
	}
	if err := writeAcks(ctx, tx, f.acks); err != nil {
		return fmt.Errorf("store: write agents' hellos and acks: %w", err)
	}
	if err := writeShots(ctx, tx, f.shots); err != nil {
		return fmt.Errorf("store: write agents' screenshots: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: write agents' hellos and acks: %w", err)
	}
	return nil
}

func writeSightings(ctx context.Context, tx *sql.Tx, f facts) error {
	if len(f.seen) > 0 {
		// A row of that name left by another display (deleted, or renamed
		// since) is taken over: it is first seen now, for its new display.
		// A display deleted since the hello (here or through another
		// replica) is no display: the row is kept without one, as the
		// deletion would have left it. It is looked up rather than left to
		// the foreign key, whose refusal would abort PostgreSQL's
		// transaction.
		see, err := tx.PrepareContext(ctx, `
		INSERT INTO agents (name, display_id, agent_version, profile, panel_width, panel_height, remote_addr, first_seen, last_seen)
		VALUES (?, (SELECT id FROM displays WHERE id = ?), ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			first_seen    = CASE WHEN agents.display_id IS NOT DISTINCT FROM excluded.display_id THEN agents.first_seen ELSE excluded.first_seen END,
			display_id    = excluded.display_id,
			agent_version = excluded.agent_version,
			profile       = excluded.profile,
			panel_width   = excluded.panel_width,
			panel_height  = excluded.panel_height,
			remote_addr   = excluded.remote_addr,
			last_seen     = excluded.last_seen`)
		if err != nil {
			return err
		}
		defer see.Close()
		for _, a := range f.seen {
			if _, err := see.ExecContext(ctx, a.Name, nullInt(&a.DisplayID), a.AgentVersion, a.Profile, a.PanelWidth, a.PanelHeight, a.RemoteAddr,
				fmtTime(a.FirstSeen), fmtTime(a.LastSeen)); err != nil {
				return fmt.Errorf("agent %q: %w", a.Name, err)
			}
		}
	}
	if len(f.left) > 0 {
		left, err := tx.PrepareContext(ctx, `UPDATE agents SET last_seen = ? WHERE name = ? AND last_seen < ?`)
		if err != nil {
			return err
		}
		defer left.Close()
		for name, at := range f.left {
			if _, err := left.ExecContext(ctx, fmtTime(at), name, fmtTime(at)); err != nil {
				return fmt.Errorf("agent %q left: %w", name, err)
			}
		}
	}
	return nil
}

func writeAcks(ctx context.Context, tx *sql.Tx, acks map[int64][]planAck) error {
	if len(acks) == 0 {
		return nil
	}
	acked, err := tx.PrepareContext(ctx, `UPDATE display_plans SET acked_revision = ? WHERE display_id = ? AND acked_revision < ?`)
	if err != nil {
		return err
	}
	defer acked.Close()
	// The display plays this revision from the ack on, no older one.
	replaced, err := tx.PrepareContext(ctx, `UPDATE display_plan_history SET replaced_at = ? WHERE display_id = ? AND revision < ? AND replaced_at IS NULL`)
	if err != nil {
		return err
	}
	defer replaced.Close()
	for id, list := range acks {
		for _, k := range list {
			if _, err := acked.ExecContext(ctx, k.rev, id, k.rev); err != nil {
				return fmt.Errorf("plan ack of display %d: %w", id, err)
			}
			if _, err := replaced.ExecContext(ctx, fmtTime(k.at), id, k.rev); err != nil {
				return fmt.Errorf("plan ack of display %d: %w", id, err)
			}
		}
	}
	return nil
}

// forgetDisplay does to the facts kept in memory what deleting a display
// does to the stored ones: its acks go, its agents' rows stay without it
// (an id may be reused by the next display). It waits for a flush under
// way: one that began before the delete committed has written its facts
// by then (and one that begins after stores a hello of the deleted
// display without it, at the foreign key's refusal).
func (s *Store) forgetDisplay(id int64) {
	w := &s.wb
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.pending.acks, id)
	delete(w.pending.shots, id)
	for name, a := range w.pending.seen {
		if a.DisplayID == id {
			a.DisplayID = 0
			w.pending.seen[name] = a
		}
	}
}

func writeShots(ctx context.Context, tx *sql.Tx, shots map[int64]shot) error {
	if len(shots) == 0 {
		return nil
	}
	// A display deleted since (here or through another replica) is
	// skipped: looked up, not left to the foreign key, whose refusal would
	// abort PostgreSQL's transaction.
	put, err := tx.PrepareContext(ctx, `INSERT INTO display_status (display_id, screenshot, screenshot_at)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM displays WHERE id = ?)
		ON CONFLICT (display_id) DO UPDATE SET screenshot = excluded.screenshot, screenshot_at = excluded.screenshot_at`)
	if err != nil {
		return err
	}
	defer put.Close()
	for id, sh := range shots {
		if _, err := put.ExecContext(ctx, id, sh.png, fmtTime(sh.at), id); err != nil {
			return fmt.Errorf("screenshot of display %d: %w", id, err)
		}
	}
	return nil
}

// pendingShot returns a display's screenshot not yet committed, if any.
func (s *Store) pendingShot(displayID int64) (shot, bool) {
	w := &s.wb
	w.mu.Lock()
	defer w.mu.Unlock()
	if sh, ok := w.pending.shots[displayID]; ok {
		return sh, true
	}
	sh, ok := w.inflight.shots[displayID]
	return sh, ok
}

// pendingShotTimes returns when the screenshots not yet committed were taken.
func (s *Store) pendingShotTimes() map[int64]time.Time {
	w := &s.wb
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[int64]time.Time{}
	for _, f := range []facts{w.inflight, w.pending} {
		for id, sh := range f.shots {
			out[id] = sh.at
		}
	}
	return out
}

// Reads take the facts not yet committed before they query the database:
// a flush that commits in between is then seen in one or the other.

// pendingAcks returns a display's acks not yet committed, oldest first.
func (s *Store) pendingAcks(displayID int64) []planAck {
	w := &s.wb
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Concat(w.inflight.acks[displayID], w.pending.acks[displayID])
}

// pendingAgents returns the sightings and departures not yet committed.
func (s *Store) pendingAgents() facts {
	w := &s.wb
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.inflight.seen)+len(w.inflight.left)+len(w.pending.seen)+len(w.pending.left) == 0 {
		return facts{}
	}
	return facts{seen: w.inflight.seen, left: w.inflight.left}.then(facts{seen: w.pending.seen, left: w.pending.left})
}

// ackedRevision is stored, raised by the pending acks.
func ackedRevision(stored int64, acks []planAck) int64 {
	for _, k := range acks {
		stored = max(stored, k.rev)
	}
	return stored
}

// replacedAt is when revision rev was replaced: stored, or by the first
// pending ack of a newer revision; nil: not yet.
func replacedAt(stored *time.Time, rev int64, acks []planAck) *time.Time {
	if stored != nil {
		return stored
	}
	for _, k := range acks {
		if k.rev > rev {
			at := k.at
			return &at
		}
	}
	return nil
}
