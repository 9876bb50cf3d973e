package main

import (
	"context"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// TestProbeUserAddOnPostgreSQL (review of issue 15): an operator who runs
// replicas on PostgreSQL (PANO_DB set, as docs/SCALE-OUT.md advises) makes
// the first admin with `pano-controller user add`. user add has no --db
// and ignores PANO_DB: it creates a new SQLite pano.db in --data, says
// "created", and the replicas never see the user. enrollment-code is the
// same. Without --demo there is no way to make the first user on
// PostgreSQL.
func TestProbeUserAddOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	db := pgtest.URL(t)
	data := t.TempDir()
	st, err := store.OpenPostgres(ctx, data, db) // the first replica made the schema and the key
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t.Setenv("PANO_DB", db)
	code, out, errs := runCLI(t, "mật khẩu rất dài\n", "user", "add", "--data", data, "--name", "quan-tri", "--role", "admin", "--password-stdin")
	t.Logf("user add = %d, %q, %q", code, out, errs)
	if code == 0 {
		if _, err := st.UserByName(ctx, "quan-tri"); err != nil {
			t.Fatalf("user add said %q, but the PostgreSQL database has no such user: %v", out, err)
		}
	}
}
