// Package storetest holds a store's database as another writer would, for
// tests of what the store and its users do while the one writer is busy.
package storetest

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store/pgsql"

	_ "github.com/mattn/go-sqlite3"
)

// LockWriter takes the store's write lock from a connection of its own
// until release is called (or the test ends): SQLite's on the database
// file at where (the store's FileName in its data directory), or the
// advisory lock the store's writers take on the PostgreSQL database at
// where (postgres://…). db reads the database as it is stored, past
// anything the store keeps in memory.
func LockWriter(tb testing.TB, where string) (db *sql.DB, release func()) {
	tb.Helper()
	if strings.HasPrefix(where, "postgres://") {
		return lockPostgres(tb, where)
	}
	db, err := sql.Open("sqlite3", "file:"+where+"?_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tx.Rollback(); db.Close() })
	return db, func() { tx.Rollback() }
}

func lockPostgres(tb testing.TB, url string) (*sql.DB, func()) {
	tb.Helper()
	db, err := pgsql.Open(url, pgsql.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, int64(pgsql.WriteLockKey)); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			conn.ExecContext(ctx, `SELECT pg_advisory_unlock(?)`, int64(pgsql.WriteLockKey))
			conn.Close()
		})
	}
	tb.Cleanup(func() { release(); db.Close() })
	return db, release
}
