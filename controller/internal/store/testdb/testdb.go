// Package testdb opens a store for the tests of the store's users, on the
// engine the run asks for: SQLite in the given directory by default, a new
// PostgreSQL database with PANO_TEST_DB=postgres (make test runs the
// packages that use the store both ways).
package testdb

import (
	"context"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// Open opens a new store for tb, its audit key (and, on SQLite, its
// database) in dir; it is closed when tb ends.
func Open(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	ctx := context.Background()
	var st *store.Store
	var err error
	if pgtest.Wanted() {
		st, err = store.OpenPostgres(ctx, dir, pgtest.URL(tb))
	} else {
		st, err = store.Open(ctx, dir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}
