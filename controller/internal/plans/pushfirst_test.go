package plans

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// holdWriter takes SQLite's write lock on the fleet's database from another
// connection until the returned function is called.
func (f *fleet) holdWriter(t *testing.T) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(f.dir, store.FileName)+"?_txlock=immediate&_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return func() { tx.Rollback(); db.Close() }
}

// signalPusher tells when every display has been pushed a plan.
type signalPusher struct {
	pushes
	want int
	all  chan struct{}
}

func (p *signalPusher) PushPlan(ctx context.Context, id int64, plan hub.Plan) error {
	p.pushes.PushPlan(ctx, id, plan)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.plans) == p.want && p.all != nil {
		close(p.all)
		p.all = nil
	}
	return nil
}

// An urgent notice reaches every screen before its plans are stored: with
// the database's writer held by someone else, all 600 displays (three
// batches) are pushed their new plan; hellos meanwhile are served it and
// its agents may fetch the notice's asset; once the writer is free, the
// store holds exactly the revisions and bytes that were pushed.
func TestPlansReachTheScreensBeforeTheStore(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 600)
	ids, _ := f.st.DisplayIDs(ctx)
	before := map[int64]int64{}
	for _, id := range ids {
		row, err := f.st.DisplayPlan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		before[id] = row.Revision
	}
	p := &signalPusher{want: len(ids), all: make(chan struct{})}
	all := p.all
	f.svc.SetPusher(p)
	n, err := f.st.CreateUrgentNotice(ctx, store.System, f.media, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	release := f.holdWriter(t)
	done := make(chan error, 1)
	go func() { done <- f.refresh(ctx, "urgent_notice", n.ID) }()
	select {
	case <-all:
	case err := <-done:
		release()
		t.Fatalf("refresh ended (%v) before every display was pushed its plan: pushed %d of %d", err, len(p.plans), len(ids))
	case <-time.After(4 * time.Second): // under the store's 5 s busy timeout
		release()
		t.Fatalf("with the writer busy, %d of %d displays were pushed the notice's plan: plans wait for the store", len(p.plans), len(ids))
	}
	p.mu.Lock()
	pushed := map[int64]hub.Plan{}
	for id, pl := range p.plans {
		pushed[id] = pl
	}
	p.mu.Unlock()
	for _, id := range ids {
		pl := pushed[id]
		if pl.Revision != before[id]+1 {
			t.Fatalf("display %d pushed revision %d, want %d", id, pl.Revision, before[id]+1)
		}
		served, err := f.svc.Plan(ctx, id)
		if err != nil || served.Revision != pl.Revision || string(served.JSON) != string(pl.JSON) {
			t.Fatalf("display %d: a hello before the plan is stored is served revision %d (%v), want the pushed %d", id, served.Revision, err, pl.Revision)
		}
	}
	plan := decodePlan(t, pushed[ids[0]].JSON)
	var notice string
	for _, a := range plan.Assets {
		if !f.svc.Names(ids[0], a.SHA256) {
			t.Fatalf("the agent may not fetch asset %s of the plan pushed to it", a.SHA256)
		}
		notice = a.SHA256
	}
	if f.svc.Names(ids[0], "0000000000000000000000000000000000000000000000000000000000000000") {
		t.Fatal("a pushed plan names an asset it does not hold")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		row, err := f.st.DisplayPlan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if row.Revision != pushed[id].Revision || string(row.Plan) != string(pushed[id].JSON) {
			t.Fatalf("display %d: stored revision %d, pushed %d (or other bytes)", id, row.Revision, pushed[id].Revision)
		}
	}
	if f.svc.Names(ids[0], notice) {
		t.Fatal("a stored plan is still answered from memory")
	}
}

// A plan pushed whose storing failed stays in force, and the next refresh
// stores it under a newer revision: no revision number names two plans,
// and the agent ends on the stored one.
func TestPushedPlanThatFailedToStoreIsStoredUnderANewerRevision(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 10)
	ids, _ := f.st.DisplayIDs(ctx)
	id := ids[0]
	row, err := f.st.DisplayPlan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.st.CreateUrgentNotice(ctx, store.System, f.media, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The database refuses new plans for a while (a full disk would).
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(f.dir, store.FileName)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON display_plans BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	err = f.refresh(ctx, "urgent_notice", n.ID)
	if _, err := db.Exec(`DROP TRIGGER refuse`); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		t.Fatal("storing plans the database refuses succeeded")
	}
	pushed := f.push.plans[id]
	if pushed.Revision != row.Revision+1 {
		t.Fatalf("pushed revision %d, want %d", pushed.Revision, row.Revision+1)
	}
	if now, _ := f.st.DisplayPlan(ctx, id); now.Revision != row.Revision {
		t.Fatalf("stored revision %d after a failed save, want %d", now.Revision, row.Revision)
	}
	if served, _ := f.svc.Plan(ctx, id); served.Revision != pushed.Revision {
		t.Fatalf("hello served revision %d, want the one in force %d", served.Revision, pushed.Revision)
	}
	if err := f.svc.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err := f.st.DisplayPlan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := f.push.plans[id]
	if stored.Revision != pushed.Revision+1 || last.Revision != stored.Revision || string(last.JSON) != string(stored.Plan) {
		t.Fatalf("after the failed save: stored %d, last pushed %d; want both %d, the same bytes", stored.Revision, last.Revision, pushed.Revision+1)
	}
	if f.svc.Names(id, decodePlan(t, last.JSON).Assets[0].SHA256) {
		t.Fatal("the stored plan is still unsaved in memory")
	}
}

func decodePlan(t *testing.T, data []byte) protocol.Plan {
	t.Helper()
	var p protocol.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}
