package plans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// storedPlan is a display's plan as the store holds it.
type storedPlan struct {
	revision int64
	digest   string
	json     []byte
}

// change is an object the store says changed (its audit type and id).
type change struct {
	objectType string
	id         int64
}

// Kick asks for a recompile of every plan soon; it never blocks.
func (s *Service) Kick() {
	if s.follower.Load() {
		return
	}
	s.mu.Lock()
	s.full = true
	s.mu.Unlock()
	s.wake()
}

// Changed asks for a recompile, soon, of the plans a change to an object
// (by the audit's type and id; see Affects) can reach; it never blocks.
func (s *Service) Changed(objectType string, id int64) {
	if s.follower.Load() {
		return
	}
	if objectType == "display" {
		// Deleted, or made anew under the id of one deleted (SQLite reuses
		// the highest): what is known of its stored plan is read again, not
		// taken from the display that had the id before.
		s.forget(id)
	}
	s.mu.Lock()
	s.changes = append(s.changes, change{objectType, id})
	s.mu.Unlock()
	s.wake()
}

func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run recompiles plans after each kick or change (debounced) and every plan
// at start and hourly, and pushes the ones that changed, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.Kick()
	// Once an hour, plans are compiled again though nothing changed: a
	// ticker fed by the notice list follows the notices' validity dates.
	hourly := time.NewTicker(time.Hour)
	defer hourly.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-hourly.C:
			s.Kick()
		}
		// Let a burst of changes (an approval touches several rows) settle.
		t := time.NewTimer(s.opt.Debounce)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.mu.Lock()
		full, changes := s.full, s.changes
		s.full, s.changes = false, nil
		s.mu.Unlock()
		var err error
		if full {
			err = s.RefreshAll(ctx)
		} else if len(changes) > 0 {
			err = s.refreshChanged(ctx, changes)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Error("refresh plans", "err", err)
		}
	}
}

// RefreshAll recompiles every display's plan and pushes those that changed.
func (s *Service) RefreshAll(ctx context.Context) error {
	ids, err := s.st.DisplayIDs(ctx)
	if err != nil {
		return err
	}
	s.m.refreshes.WithLabelValues("full").Inc()
	return s.refresh(ctx, ids)
}

// refreshChanged recompiles the plans the changes reach: those whose last
// compile read a changed object (which covers one deleted or moved away)
// and those the object reaches in the store now. A change the store cannot
// map recompiles every plan.
func (s *Service) refreshChanged(ctx context.Context, changes []change) error {
	ids := map[int64]bool{}
	for _, c := range changes {
		now, ok, err := s.st.DisplaysReachedBy(ctx, c.objectType, c.id)
		if err != nil || !ok {
			// Unmapped (or unreadable now): every plan, so that none
			// waits for the hourly refresh.
			return errors.Join(err, s.RefreshAll(ctx))
		}
		for _, id := range now {
			ids[id] = true
		}
		s.pmu.Lock()
		for id := range s.usedBy[key(c.objectType, c.id)] {
			ids[id] = true
		}
		if c.objectType != "display" && c.objectType != "group" && c.objectType != "schedule" {
			// A program's windows show other media, rotations and the
			// notice list, which its plan's sources do not name.
			for id := range s.usedBy[usesProgram] {
				ids[id] = true
			}
		}
		s.pmu.Unlock()
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	s.m.refreshes.WithLabelValues("targeted").Inc()
	return s.refresh(ctx, list)
}

// usesProgram marks the displays whose plans hold a program.
const usesProgram = "program"

func key(objectType string, id int64) string { return objectType + ":" + strconv.FormatInt(id, 10) }

// built is one display's freshly compiled plan (without revision).
type built struct {
	id     int64
	plan   *protocol.Plan
	digest string
	err    error
	// changed says the digest differs from the stored plan's; the plan is
	// then encoded already (json) under the revision that should follow
	// the stored one (rev), on the build's workers rather than in the
	// write transaction.
	changed bool
	rev     int64
	json    []byte
	// class, if set, holds the plan's JSON for every display of its
	// class: the write transaction writes in the revision and id.
	class *class
}

// refresh compiles the displays' plans with bounded workers, stores those
// whose digest differs from the stored one in a few write transactions and
// pushes each new revision once stored.
func (s *Service) refresh(ctx context.Context, ids []int64) error {
	start := time.Now()
	m := newMemo(s.rend)
	if len(ids) > 64 {
		ds, err := s.st.Displays(ctx, store.DisplayFilter{})
		if err != nil {
			return err
		}
		m.displays = make(map[int64]store.Display, len(ds))
		for _, d := range ds {
			m.displays[d.ID] = d
		}
	}
	s.mu.Lock()
	p := s.pusher
	s.mu.Unlock()
	// Plans are built, stored and pushed a batch at a time, the next
	// batch building while one is stored: the writer is taken once per
	// batch, not once per display, and the first screens have their plan
	// before the last are compiled. (Pushing only once every batch was
	// stored, so that the agents' acknowledgments would not queue for the
	// writer between batches, was slower at 1,000 agents: 130–140 ms
	// against 120–130 ms max.)
	const batch = 256
	batches := make(chan []built, 1)
	go func() {
		defer close(batches)
		for from := 0; from < len(ids); from += batch {
			select {
			case batches <- s.build(ctx, ids[from:min(from+batch, len(ids))], m):
			case <-ctx.Done():
				return
			}
		}
	}()
	var errs []error
	saved, first, rev := 0, int64(0), int64(0)
	for bs := range batches {
		var changed []built
		for _, b := range bs {
			switch {
			case errors.Is(b.err, store.ErrNotFound):
				s.forget(b.id) // deleted meanwhile
			case b.err != nil:
				errs = append(errs, b.err)
			case b.changed:
				changed = append(changed, b)
			}
		}
		if len(changed) == 0 {
			continue
		}
		sv, err := s.save(ctx, changed)
		if err != nil {
			errs = append(errs, err)
		}
		for _, sv := range sv {
			if p == nil {
				break
			}
			if err := p.PushPlan(ctx, sv.id, sv.plan); err != nil && !isOffline(err) {
				errs = append(errs, fmt.Errorf("push plan to display %d: %w", sv.id, err))
			}
		}
		if saved == 0 && len(sv) > 0 {
			first, rev = sv[0].id, sv[0].plan.Revision
		}
		saved += len(sv)
	}
	if saved > 0 {
		// One line a refresh (a line a display was 10,000 writes to the
		// log for one notice; each is at debug level).
		s.log.Info("plans changed", "displays", saved, "first", first, "revision", rev, "ms", time.Since(start).Milliseconds())
	}
	return errors.Join(errs...)
}

// build compiles the plans of ids on GOMAXPROCS×2 goroutines (compiling is
// mostly waiting on reads, which SQLite's read pool serves in parallel).
func (s *Service) build(ctx context.Context, ids []int64, m *memo) []built {
	out := make([]built, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(len(ids), runtime.GOMAXPROCS(0)*2); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = s.buildOne(ctx, ids[i], m)
			}
		}()
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func (s *Service) buildOne(ctx context.Context, id int64, m *memo) built {
	start := time.Now()
	defer func() { s.m.compiles.Inc(); s.m.compile.Observe(time.Since(start).Seconds()) }()
	d, scheds, err := m.sources(ctx, s.st, id)
	if err != nil {
		return built{id: id, err: err}
	}
	if k, ok, err := m.classOf(ctx, s.st, d, scheds); err != nil {
		return built{id: id, err: err}
	} else if ok {
		return s.buildShared(ctx, d, k, scheds, m)
	}
	plan, err := s.assembleWith(ctx, d, scheds, m.rend, m)
	if err != nil {
		return built{id: id, err: err}
	}
	digest, err := digestOf(plan)
	if err != nil {
		return built{id: id, err: err}
	}
	urgent, err := m.urgentFor(ctx, s.st, d)
	if err != nil {
		return built{id: id, err: err}
	}
	s.remember(d, scheds, urgent)
	b := built{id: id, plan: plan, digest: digest}
	cur, err := s.current(ctx, id)
	if err != nil {
		return built{id: id, err: err}
	}
	if cur.digest != digest {
		b.changed, b.rev = true, cur.revision+1
		if b.json, err = s.encode(b, b.rev); err != nil {
			return built{id: id, err: err}
		}
	}
	return b
}

// remember records the objects a display's plan was read from, so that a
// change to one of them recompiles it even once the store no longer links
// them (a schedule moved to another group, a playlist deleted).
func (s *Service) remember(d store.Display, scheds []store.PlanSchedule, urgent []store.UrgentNotice) {
	uses := []string{key("display", d.ID)}
	if d.GroupID != nil {
		uses = append(uses, key("group", *d.GroupID))
	}
	for _, sc := range scheds {
		uses = append(uses, key("schedule", sc.ID), key("playlist", sc.PlaylistID))
		for _, it := range sc.Items {
			uses = append(uses, key("media", it.MediaID))
			if it.CampaignID != 0 {
				uses = append(uses, key("campaign", it.CampaignID))
			}
			if it.Kind == store.KindProgram {
				uses = append(uses, usesProgram)
			}
		}
	}
	for _, n := range urgent {
		uses = append(uses, key("urgent_notice", n.ID), key("media", n.MediaID))
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if slices.Equal(s.uses[d.ID], uses) {
		return // as last time: most displays, most refreshes
	}
	s.unuseLocked(d.ID)
	s.uses[d.ID] = uses
	for _, u := range uses {
		if s.usedBy[u] == nil {
			s.usedBy[u] = map[int64]bool{}
		}
		s.usedBy[u][d.ID] = true
	}
}

func (s *Service) unuseLocked(id int64) {
	for _, u := range s.uses[id] {
		delete(s.usedBy[u], id)
		if len(s.usedBy[u]) == 0 {
			delete(s.usedBy, u)
		}
	}
	delete(s.uses, id)
}

// forget drops what the service knows of a deleted display.
func (s *Service) forget(id int64) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.unuseLocked(id)
	delete(s.stored, id)
}

// current is the display's stored plan: from memory, else read once from
// the store (the zero storedPlan when it has none yet).
func (s *Service) current(ctx context.Context, id int64) (storedPlan, error) {
	s.pmu.Lock()
	sp, ok := s.stored[id]
	s.pmu.Unlock()
	if ok {
		return sp, nil
	}
	row, err := s.st.DisplayPlan(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return storedPlan{}, nil
	}
	if err != nil {
		return storedPlan{}, err
	}
	sp = storedPlan{revision: row.Revision, digest: row.Digest, json: row.Plan}
	s.keep(id, sp)
	return sp, nil
}

// keep records a stored plan unless a newer one is known already.
func (s *Service) keep(id int64, sp storedPlan) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if old, ok := s.stored[id]; !ok || sp.revision >= old.revision {
		s.stored[id] = sp
	}
}

// savedPlan is a new revision, as stored and ready to push.
type savedPlan struct {
	id   int64
	plan hub.Plan
	// compiled is the plan itself (its revision and time set).
	compiled *protocol.Plan
}

// save stores the plans in one write transaction (one by one if a display
// of the batch was deleted meanwhile) and returns the new revisions.
func (s *Service) save(ctx context.Context, bs []built) ([]savedPlan, error) {
	writes := make([]store.PlanWrite, len(bs))
	for i, b := range bs {
		shas := make([]string, len(b.plan.Assets))
		for j, a := range b.plan.Assets {
			shas[j] = a.SHA256
		}
		writes[i] = store.PlanWrite{DisplayID: b.id, Digest: b.digest, Encode: s.encoder(b), Assets: shas}
	}
	res, err := s.st.SavePlans(ctx, writes)
	if errors.Is(err, store.ErrNotFound) && len(bs) > 1 {
		var out []savedPlan
		var errs []error
		for _, b := range bs {
			one, err := s.save(ctx, []built{b})
			out = append(out, one...)
			if err != nil {
				errs = append(errs, err)
			}
		}
		return out, errors.Join(errs...)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.forget(bs[0].id)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []savedPlan
	for i, r := range res {
		b := bs[i]
		if !r.Changed {
			// Stored meanwhile by another compile (an agent's hello): its
			// digest is this one; learn its revision.
			s.pmu.Lock()
			delete(s.stored, b.id)
			s.pmu.Unlock()
			continue
		}
		s.m.writes.Inc()
		s.keep(b.id, storedPlan{revision: r.Revision, digest: b.digest, json: r.JSON})
		s.log.Debug("plan changed", "display", b.id, "revision", r.Revision, "entries", len(b.plan.Entries), "assets", len(b.plan.Assets))
		out = append(out, savedPlan{id: b.id, plan: hub.Plan{Revision: r.Revision, JSON: r.JSON}, compiled: b.plan})
	}
	return out, nil
}

// encoder gives the write transaction, which chooses the revision, the
// plan's JSON under it: as encoded by the build when the revision is the
// one it expected, else encoded again.
func (s *Service) encoder(b built) func(rev int64) ([]byte, error) {
	return func(rev int64) ([]byte, error) {
		if c := b.class; c != nil && c.head != nil {
			b.plan.Revision, b.plan.Generated = rev, c.generated
			return c.bytesFor(b.id, rev), nil
		}
		if rev == b.rev && b.json != nil {
			return b.json, nil
		}
		return s.encode(b, rev)
	}
}

// encode sets the revision and time of a built plan, checks it and
// encodes it.
func (s *Service) encode(b built, rev int64) ([]byte, error) {
	b.plan.Revision = rev
	b.plan.Generated = s.opt.Now().UTC().Truncate(time.Millisecond)
	if _, err := protocol.Compile(b.plan); err != nil {
		return nil, fmt.Errorf("plans: display %d: compiled plan is invalid: %w", b.id, err)
	}
	return json.Marshal(b.plan)
}

// Compile builds the display's plan from the store, stores it under a new
// revision if it changed (pushing nothing), and returns the plan in force.
func (s *Service) Compile(ctx context.Context, displayID int64) (*protocol.Plan, bool, error) {
	b := s.build(ctx, []int64{displayID}, newMemo(s.rend))[0]
	if b.err != nil {
		if errors.Is(b.err, store.ErrNotFound) {
			s.forget(displayID)
		}
		return nil, false, b.err
	}
	if b.changed {
		saved, err := s.save(ctx, []built{b})
		if err != nil {
			return nil, false, err
		}
		if len(saved) == 1 {
			return saved[0].compiled, true, nil
		}
	}
	cur, err := s.current(ctx, displayID)
	if err != nil {
		return nil, false, err
	}
	var p protocol.Plan
	if err := json.Unmarshal(cur.json, &p); err != nil {
		return nil, false, fmt.Errorf("plans: stored plan of display %d: %w", displayID, err)
	}
	return &p, false, nil
}

func isOffline(err error) bool { return errors.Is(err, hub.ErrOffline) }
