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

// storedPlan is a display's plan in force: as the store holds it, or
// pushed and not stored yet (unsaved, with the SHA-256 of the assets it
// names).
type storedPlan struct {
	revision int64
	digest   string
	json     []byte
	unsaved  bool
	assets   []string
}

// change is an object the store says changed (its audit type and id).
type change struct {
	objectType string
	id         int64
}

// Kick asks for a recompile of every plan soon; it never blocks.
func (s *Service) Kick() {
	s.mu.Lock()
	s.full = true
	s.mu.Unlock()
	s.wake()
}

// Changed asks for a recompile, soon, of the plans a change to an object
// (by the audit's type and id; see Affects) can reach; it never blocks.
func (s *Service) Changed(objectType string, id int64) {
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

// refresh compiles the displays' plans with bounded workers, pushes each
// new revision as soon as it is built and stores them behind the pushes,
// in a few write transactions.
//
// Pushing before storing puts the store's write transactions (most of a
// refresh at 10,000 displays) behind the screens rather than before them.
// A pushed revision is in force at once (hello serves it, assets it names
// may be fetched: Names) and stored right after; should the controller
// stop in between, it compiles the same plan from the same rows at its
// next start and stores it under that revision, which the agent already
// runs. Should storing fail, the revision stays unsaved in memory and the
// next refresh stores the plan under a newer one, so that no revision
// number ever names two plans.
func (s *Service) refresh(ctx context.Context, ids []int64) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
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
	// Plans are built and pushed a batch at a time on one goroutine and
	// stored a batch at a time on this one: the writer is taken once per
	// batch, not once per display, and never makes a screen wait.
	const batch = 256
	type pushed struct {
		bs   []built
		errs []error
	}
	batches := make(chan pushed, (len(ids)+batch-1)/batch) // room for all: building never waits for storing
	go func() {
		defer close(batches)
		for from := 0; from < len(ids) && ctx.Err() == nil; from += batch {
			bs := s.build(ctx, ids[from:min(from+batch, len(ids))], m)
			batches <- pushed{bs, s.push(ctx, p, bs)}
		}
	}()
	var errs []error
	saved, first, rev := 0, int64(0), int64(0)
	for pb := range batches {
		errs = append(errs, pb.errs...)
		var changed []built
		for _, b := range pb.bs {
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
			// Stored under another revision than the one pushed (the
			// store knew a newer one): push what is stored.
			if p == nil || !sv.repush {
				continue
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

// push makes each changed plan of bs the display's plan in force (unsaved
// until save stores it) and sends it to the display's agent.
func (s *Service) push(ctx context.Context, p Pusher, bs []built) []error {
	var errs []error
	for i := range bs {
		b := &bs[i]
		if b.err != nil || !b.changed {
			continue
		}
		data, err := s.bytes(b)
		if err != nil {
			b.err = err // neither pushed nor stored
			continue
		}
		shas := make([]string, len(b.plan.Assets))
		for j, a := range b.plan.Assets {
			shas[j] = a.SHA256
		}
		s.keep(b.id, storedPlan{revision: b.rev, digest: b.digest, json: data, unsaved: true, assets: shas})
		if p == nil {
			continue
		}
		if err := p.PushPlan(ctx, b.id, hub.Plan{Revision: b.rev, JSON: data}); err != nil && !isOffline(err) {
			errs = append(errs, fmt.Errorf("push plan to display %d: %w", b.id, err))
		}
	}
	return errs
}

// Names says whether the display's plan in force, pushed but not stored
// yet, names the asset: its agent may fetch it though the store does not
// know the plan yet.
func (s *Service) Names(displayID int64, sha string) bool {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	sp := s.stored[displayID]
	return sp.unsaved && slices.Contains(sp.assets, sha)
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
	if cur.digest != digest || cur.unsaved {
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

// savedPlan is a new revision, as stored.
type savedPlan struct {
	id   int64
	plan hub.Plan
	// compiled is the plan itself (its revision and time set).
	compiled *protocol.Plan
	// repush says the revision stored is not the one pushed.
	repush bool
}

// save stores the plans in one write transaction (one by one if a display
// of the batch was deleted meanwhile) and returns the new revisions. Each
// is stored under the revision the build gave it (pushed already, maybe),
// or a newer one if the store holds that one.
func (s *Service) save(ctx context.Context, bs []built) ([]savedPlan, error) {
	writes := make([]store.PlanWrite, len(bs))
	for i, b := range bs {
		shas := make([]string, len(b.plan.Assets))
		for j, a := range b.plan.Assets {
			shas[j] = a.SHA256
		}
		writes[i] = store.PlanWrite{DisplayID: b.id, Digest: b.digest, Encode: s.encoder(b), Assets: shas, MinRevision: b.rev}
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
		// The plans pushed stay in force, unsaved: the next refresh
		// stores them under newer revisions.
		return nil, err
	}
	var out []savedPlan
	for i, r := range res {
		b := bs[i]
		if !r.Changed {
			// The store holds this digest already (memory was behind
			// it): learn its revision from the store.
			s.pmu.Lock()
			delete(s.stored, b.id)
			s.pmu.Unlock()
			continue
		}
		s.m.writes.Inc()
		s.keep(b.id, storedPlan{revision: r.Revision, digest: b.digest, json: r.JSON})
		s.log.Debug("plan changed", "display", b.id, "revision", r.Revision, "entries", len(b.plan.Entries), "assets", len(b.plan.Assets))
		out = append(out, savedPlan{id: b.id, plan: hub.Plan{Revision: r.Revision, JSON: r.JSON}, compiled: b.plan, repush: r.Revision != b.rev})
	}
	return out, nil
}

// bytes is the built plan's JSON under the revision the build gave it.
func (s *Service) bytes(b *built) ([]byte, error) {
	if c := b.class; c != nil && c.head != nil {
		return c.bytesFor(b.id, b.rev), nil
	}
	if b.json == nil {
		var err error
		if b.json, err = s.encode(*b, b.rev); err != nil {
			return nil, err
		}
	}
	return b.json, nil
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
	s.wmu.Lock()
	defer s.wmu.Unlock()
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
