package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgramKindMigrationKeepsRenditions: rebuilding media_revisions to
// allow programs keeps every revision and every rendition pointing at one
// (with foreign keys on, dropping the old table would have deleted them
// all through ON DELETE CASCADE), and programs can then be stored.
func TestProgramKindMigrationKeepsRenditions(t *testing.T) {
	ctx := context.Background()
	db, dir := beforeMigration(t, "CREATE TABLE media_revisions_15")
	for _, q := range []string{
		`INSERT INTO units (id, name, created_at) VALUES (1, 'Phường', '2026-11-30T00:00:00Z')`,
		`INSERT INTO media (id, unit_id, created_at, current_revision_id, approved_revision_id) VALUES (5, 1, '2026-11-30T00:00:00Z', 50, 50)`,
		`INSERT INTO media_revisions (id, media_id, number, status, title, kind, body, created_at, notice)
			VALUES (50, 5, 1, 'approved', 'Chuyển đổi số', 'text', 'Đổi mới', '2026-11-30T00:00:00Z', '{"color":"#ffffff"}')`,
		`INSERT INTO renditions (id, media_revision_id, width, height, fit, status, sha256, kind, created_at, updated_at)
			VALUES (500, 50, 64, 32, 'contain', 'ready', 'ab', 'image', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')`,
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
	var n int
	var notice string
	if err := s.r.QueryRow(`SELECT count(*) FROM renditions WHERE media_revision_id = 50`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("renditions of the revision after the migration: %d, %v", n, err)
	}
	if err := s.r.QueryRow(`SELECT notice FROM media_revisions WHERE id = 50`).Scan(&notice); err != nil || !strings.Contains(notice, "#ffffff") {
		t.Fatalf("the revision's notice after the migration: %q, %v", notice, err)
	}
	if _, err := s.w.Exec(`INSERT INTO media_revisions (media_id, number, title, kind, status, program, created_at)
		VALUES (5, 2, 'Chương trình', 'program', 'draft', '{}', '2026-11-30T00:00:00Z')`); err != nil {
		t.Fatalf("a program revision: %v", err)
	}
	var fk int
	if err := s.r.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign keys after the migration: %d, %v", fk, err)
	}
	// Deleting the media still cascades to its revisions and renditions.
	if _, err := s.w.Exec(`DELETE FROM media WHERE id = 5`); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow(`SELECT count(*) FROM renditions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("renditions after deleting the media: %d, %v", n, err)
	}
}

// beforeMigration returns a database in dir migrated up to, not including,
// the migration whose text contains marker: a test stores rows in the old
// shape, closes the database and opens it with Open, which applies the
// migration under test.
func beforeMigration(t *testing.T, marker string) (db *sql.DB, dir string) {
	t.Helper()
	dir = t.TempDir()
	db, err := openPool(filepath.Join(dir, FileName), false, 1)
	if err != nil {
		t.Fatal(err)
	}
	mine := -1
	for i, m := range migrations {
		if strings.Contains(m, marker) {
			mine = i
		}
	}
	if mine < 0 {
		t.Fatalf("no migration says %q", marker)
	}
	for i := range mine {
		if err := applyMigration(context.Background(), db, i+1, migrations[i]); err != nil {
			t.Fatal(err)
		}
	}
	return db, dir
}
