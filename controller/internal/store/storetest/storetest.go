// Package storetest holds a store's database as another writer would, for
// tests of what the store and its users do while the one writer is busy.
package storetest

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// LockWriter takes SQLite's write lock on the database file at path (the
// store's FileName in its data directory) from a connection of its own
// until release is called (or the test ends); db reads the file as it is
// stored, past anything the store keeps in memory.
func LockWriter(tb testing.TB, path string) (db *sql.DB, release func()) {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
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
