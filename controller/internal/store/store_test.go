package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// openTest opens a new store for a test: on SQLite in a temporary
// directory, or with PANO_TEST_DB=postgres on a new PostgreSQL database
// (make test runs the package both ways).
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	var s *Store
	var err error
	if pgtest.Wanted() {
		s, err = OpenPostgres(context.Background(), dir, pgtest.URL(t))
	} else {
		s, err = Open(context.Background(), dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// reopen opens the database of s (closed) again, with dir's audit key.
func reopen(ctx context.Context, s *Store, dir string) (*Store, error) {
	if s.pg {
		return OpenPostgres(ctx, dir, s.dbURL)
	}
	return Open(ctx, dir)
}

// where is the database of s for storetest.LockWriter: its file in dir,
// or its PostgreSQL address.
func where(s *Store, dir string) string {
	if s.pg {
		return s.dbURL
	}
	return filepath.Join(dir, FileName)
}

// migrateAgain runs the engine's migrations again on an open store.
func migrateAgain(ctx context.Context, s *Store) error {
	if s.pg {
		return migratePostgres(ctx, s.w)
	}
	return migrate(ctx, s.w)
}

// setSchemaVersion writes the schema version as a newer build would.
func setSchemaVersion(t *testing.T, s *Store, v int) {
	t.Helper()
	q := fmt.Sprintf(`PRAGMA user_version = %d`, v)
	if s.pg {
		q = fmt.Sprintf(`UPDATE schema_version SET version = %d`, v)
	}
	if _, err := s.w.Exec(q); err != nil {
		t.Fatal(err)
	}
}

// dropTrigger drops one of the audit log's append-only triggers, as
// someone holding the database could.
func dropTrigger(t *testing.T, s *Store, name string) {
	t.Helper()
	q := `DROP TRIGGER ` + name
	if s.pg {
		q += ` ON audit_events`
	}
	if _, err := s.w.Exec(q); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsApplyToEmptyDatabaseAndAreIdempotent(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != len(migrations) {
		t.Fatalf("schema version %d, want %d", v, len(migrations))
	}
	if err := s.SeeAgent(ctx, Agent{Name: "a", PanelWidth: 64, PanelHeight: 32}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Migrating again changes nothing and keeps the data.
	if err := migrateAgain(ctx, s); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	s.Close()
	s2, err := reopen(ctx, s, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if v, _ := s2.SchemaVersion(ctx); v != len(migrations) {
		t.Fatalf("after reopen: schema version %d, want %d", v, len(migrations))
	}
	agents, err := s2.Agents(ctx)
	if err != nil || len(agents) != 1 {
		t.Fatalf("after reopen: agents = %v, %v", agents, err)
	}
	if s.pg {
		return
	}
	var mode string
	if err := s2.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	setSchemaVersion(t, s, 9999)
	s.Close()
	_, err := reopen(ctx, s, dir)
	if err == nil || !strings.Contains(err.Error(), "newer than this controller") {
		t.Fatalf("Open = %v, want a 'newer schema' error", err)
	}
}

func TestOpenUnwritableDirectory(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join("/proc", "pano-test"))
	if err == nil || !strings.Contains(err.Error(), "create data directory") {
		t.Fatalf("Open = %v, want a data directory error", err)
	}
}

func TestSeeAgentUpdatesLastSeen(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{t0, t0.Add(time.Hour)} {
		a := Agent{Name: "truong-hoc", AgentVersion: "v" + string(rune('0'+i)), Profile: "virtual", PanelWidth: 64, PanelHeight: 32, RemoteAddr: "127.0.0.1"}
		if err := s.SeeAgent(ctx, a, at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].FirstSeen.Equal(t0) || !got[0].LastSeen.Equal(t0.Add(time.Hour)) || got[0].AgentVersion != "v1" {
		t.Fatalf("agents = %+v", got)
	}
}

// TestMigrationFromVersion1KeepsData upgrades a database made by the
// foundation release (migration 1 only) and checks its data survive.
func TestMigrationFromVersion1KeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := openPool(filepath.Join(dir, FileName), false, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigration(ctx, db, 1, migrations[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO agents VALUES ('truong-hoc', 'v1', 'virtual', 64, 32, '127.0.0.1', '2026-11-25T01:00:00Z', '2026-11-25T01:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(ctx); v != len(migrations) {
		t.Fatalf("schema version %d, want %d", v, len(migrations))
	}
	if a, err := s.Agents(ctx); err != nil || len(a) != 1 || a[0].Name != "truong-hoc" {
		t.Fatalf("agents after upgrade: %+v, %v", a, err)
	}
	if _, err := s.CreateUnit(ctx, System, Unit{Name: "Khối phố 1"}); err != nil {
		t.Fatalf("new tables after upgrade: %v", err)
	}
}

func TestOnChangeHearsChangesNotPlainAuditEvents(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	var heard []string
	s.OnChange(func(objectType string, _ int64) { heard = append(heard, objectType) })
	if _, err := s.CreateUnit(ctx, System, Unit{Name: "Khối phố 9"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, System, "login.failed", "user", 0, nil); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 1 || heard[0] != "unit" {
		t.Fatalf("heard %v, want only the unit change", heard)
	}
}

// TestMigrationKeepsUrgentNoticesTargets upgrades a database of version 5
// holding an urgent notice for every display and one for a group: after
// the upgrade they reach the same displays.
func TestMigrationKeepsUrgentNoticesTargets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := openPool(filepath.Join(dir, FileName), false, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := applyMigration(ctx, db, i+1, migrations[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO units (id, name, created_at) VALUES (1, 'Phường', '2026-11-25T01:00:00Z')`,
		`INSERT INTO display_groups (id, name, created_at) VALUES (7, 'Trường học', '2026-11-25T01:00:00Z')`,
		`INSERT INTO media (id, unit_id, created_at) VALUES (3, 1, '2026-11-25T01:00:00Z')`,
		`INSERT INTO urgent_notices (id, media_id, group_id, starts_at, ends_at, created_at) VALUES
			(1, 3, NULL, '2026-11-25T01:00:00Z', '2026-11-25T02:00:00Z', '2026-11-25T01:00:00Z'),
			(2, 3, 7, '2026-11-25T01:00:00Z', '2026-11-25T02:00:00Z', '2026-11-25T01:00:00Z')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.UrgentNotice(ctx, 1)
	if err != nil || !all.EveryDisplay || len(all.GroupIDs) != 0 {
		t.Fatalf("notice for every display after upgrade: %+v, %v", all, err)
	}
	one, err := s.UrgentNotice(ctx, 2)
	if err != nil || one.EveryDisplay || len(one.GroupIDs) != 1 || one.GroupIDs[0] != 7 || one.GroupID == nil || *one.GroupID != 7 {
		t.Fatalf("notice for a group after upgrade: %+v, %v", one, err)
	}
}

// TestDataFilesAreOwnerOnly: the database (password hashes, device
// credentials), its WAL files and its backups are the owner's alone, and a
// database an older build left readable to all is narrowed on open.
func TestDataFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, nil, 0o644); err != nil { // as an older build left it
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateUnit(context.Background(), System, Unit{Name: "Văn hóa"}); err != nil { // a write: the WAL exists
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", backup} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode&0o077 != 0 {
			t.Errorf("%s is %v; want the owner's alone", filepath.Base(p), mode)
		}
	}
}
