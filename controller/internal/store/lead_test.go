package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/pgsql"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// TestOneReplicaLeadsAtATime: of two controllers on one PostgreSQL
// database one leads; when it lets go the other takes the lead; when the
// leader's database session is cut (its process killed, the network gone)
// it hears so and the other can lead.
func TestOneReplicaLeadsAtATime(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	dir := t.TempDir() // one audit key for both, as replicas share it
	a, err := OpenPostgres(ctx, dir, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenPostgres(ctx, dir, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	_, releaseA, err := a.Lead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Lead(ctx); !errors.Is(err, ErrLeadTaken) {
		t.Fatalf("second replica: %v, want ErrLeadTaken", err)
	}
	releaseA()
	lostB, releaseB, err := b.Lead(ctx)
	if err != nil {
		t.Fatalf("after the first let go: %v", err)
	}
	if _, _, err := a.Lead(ctx); !errors.Is(err, ErrLeadTaken) {
		t.Fatalf("the first again: %v, want ErrLeadTaken", err)
	}

	// The leader's session cut, as when its machine dies.
	admin, err := pgsql.Open(url, pgsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var cut int
	if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND objid = ? AND granted`, int64(leadKey)).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("cut the leader's session: %d, %v", cut, err)
	}
	select {
	case <-lostB:
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not hear that its session was cut")
	}
	releaseB()
	_, releaseA, err = a.Lead(ctx)
	if err != nil {
		t.Fatalf("after the leader's session was cut: %v", err)
	}
	releaseA()
}

func TestSQLiteAlwaysLeads(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lost, release, err := s.Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	select {
	case <-lost:
		t.Fatal("a single controller lost the lead")
	default:
	}
}

// TestStoreGoesOnAfterTheDatabaseRestarts: PostgreSQL restarted under a
// running controller (a crash, an upgrade): reads and writes work again
// without reopening the store, and the lead can be taken again.
func TestStoreGoesOnAfterTheDatabaseRestarts(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	s, err := OpenPostgres(ctx, t.TempDir(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustUnit(t, s, "Trước khi khởi động lại")
	lost, release, err := s.Lead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Cluster(t).Restart(t)
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("the lead's session did not fail with the database")
	}
	release()
	mustUnit(t, s, "Sau khi khởi động lại") // a write, on the writer's one connection
	if units, err := s.Units(ctx, ""); err != nil || len(units) != 2 {
		t.Fatalf("units after the restart: %v %v", units, err)
	}
	_, release, err = s.Lead(ctx)
	if err != nil {
		t.Fatalf("lead after the restart: %v", err)
	}
	release()
}
