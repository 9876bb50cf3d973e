package store

import (
	"database/sql"
	"sync/atomic"

	"github.com/pano-signage/pano/controller/internal/store/pgsql"
)

// openPostgres opens the writer (one connection, as on SQLite, waiting at
// most 5 s for the write lock as SQLite's busy timeout) and the readers
// (a pool of read-only sessions) of the database at dbURL.
func openPostgres(dbURL string, commits *atomic.Int64, readers int) (w, r *sql.DB, err error) {
	w, err = pgsql.Open(dbURL, pgsql.Options{Writer: true, Commits: commits, Conns: 1, LockTimeout: 5000})
	if err != nil {
		return nil, nil, err
	}
	r, err = pgsql.Open(dbURL, pgsql.Options{ReadOnly: true, Conns: readers})
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	return w, r, nil
}
