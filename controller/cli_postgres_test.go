package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// TestCLIOnPostgreSQL: with PANO_DB set (as docs/SCALE-OUT.md advises)
// user add makes the first admin in the replicas' PostgreSQL database,
// enrollment-code makes a code there, and backup points to pg_dump (found
// in review: they opened a new SQLite file in --data instead).
func TestCLIOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	db := pgtest.URL(t)
	data := t.TempDir()
	st, err := store.OpenPostgres(ctx, data, db) // the first replica made the schema and the key
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t.Setenv("PANO_DB", db)
	if code, out, errs := runCLI(t, "mật khẩu rất dài\n", "user", "add", "--data", data, "--name", "quan-tri", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user add = %d, %q, %q", code, out, errs)
	}
	if _, err := st.UserByName(ctx, "quan-tri"); err != nil {
		t.Fatalf("the PostgreSQL database has no user quan-tri: %v", err)
	}
	if _, err := st.CreateDisplay(ctx, store.System, store.Display{Name: "cong-phuong", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"}); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "", "enrollment-code", "--data", data, "--display", "cong-phuong"); code != 0 || out == "" {
		t.Fatalf("enrollment-code = %d, %q, %q", code, out, errs)
	}
	if code, _, errs := runCLI(t, "", "backup", "--data", data, "--out", t.TempDir()+"/copy.db"); code == 0 || !strings.Contains(errs, "pg_dump") {
		t.Fatalf("backup on PostgreSQL = %d, %q; want a pointer to pg_dump", code, errs)
	}
	if _, err := os.Stat(filepath.Join(data, store.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a SQLite file was made in --data: %v", err)
	}
}
