// Package store holds the controller's state in SQLite (the default) or
// PostgreSQL (replicas, see docs/SCALE-OUT.md). All SQL lives in this
// package, one file per table, with parameters always bound, written once
// for both engines (postgres.go says how).
//
// SQLite runs in WAL mode with one writer connection and a pool of
// readers, so reads never wait for a write and writes never race each other
// for SQLite's lock. PostgreSQL keeps the same model: one writer
// connection per controller, whose transactions take one advisory lock
// first, so writes are one at a time across every replica.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3" // the SQLite driver, registered as "sqlite3"
	"github.com/pano-signage/pano/controller/internal/store/pgsql"
	"github.com/pano-signage/pano/protocol"
)

// FileName is the database file inside the data directory.
const FileName = "pano.db"

// Store is the controller's database.
type Store struct {
	w  *sql.DB // exactly one connection: the only writer
	r  *sql.DB // read-only pool
	pg bool    // PostgreSQL, not SQLite
	// dbURL is PostgreSQL's address (tests reopen it).
	dbURL string
	// claimer names this store in the renditions it claims (ClaimRendition).
	claimer string

	// The session Lead asks for the lead on (PostgreSQL), opened at the
	// first ask.
	leadOnce sync.Once
	leadDB   *sql.DB
	leadErr  error

	now func() time.Time

	akey *auditKey // keys the audit chain; see audit_key.go

	changed atomic.Pointer[func(objectType string, id int64)]

	// commits counts the transactions the writer committed (a statement
	// outside a transaction is one), for pano_store_writer_commits_total.
	commits *atomic.Int64

	wb  behind       // agents' hellos and acks kept in memory; see writebehind.go
	log *slog.Logger // SetLogger; nil: slog's default
}

// OnChange registers f to be called after every committed change that the
// audit log records (not for reports such as health or play records). The
// plan compiler uses it to recompile plans. f must not block.
func (s *Store) OnChange(f func(objectType string, id int64)) { s.changed.Store(&f) }

func (s *Store) notify(objectType string, id int64) {
	if f := s.changed.Load(); f != nil {
		(*f)(objectType, id)
	}
}

// Open creates dir when missing, opens (or creates) dir/pano.db, applies
// pending migrations and loads (or creates) the audit key dir/audit.key.
func Open(ctx context.Context, dir string) (*Store, error) {
	return OpenKeyed(ctx, dir, "")
}

// OpenPostgres opens (and migrates) the PostgreSQL database at dbURL
// (postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=…); dir holds the audit
// key, which every replica of one database must share (a copy of the
// first replica's dir/audit.key).
func OpenPostgres(ctx context.Context, dir, dbURL string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	commits := new(atomic.Int64)
	w, r, err := openPostgres(dbURL, commits, max(4, runtime.NumCPU()))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{w: w, r: r, pg: true, dbURL: dbURL, now: time.Now, commits: commits, claimer: protocol.NewID()}
	if err := migratePostgres(ctx, w); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %s: %w", pgsql.RedactURL(dbURL), err)
	}
	if err := s.loadAuditKey(ctx, filepath.Join(dir, KeyFileName)); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// OpenKeyed is Open with the audit key file at keyFile (empty: dir's own),
// to verify a backup restored elsewhere.
func OpenKeyed(ctx context.Context, dir, keyFile string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// The database holds password hashes and device credentials: the
	// owner's alone. SQLite gives its -wal and -shm files the database's
	// mode; files an older build made readable to all are narrowed.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: make %s the owner's alone: %w", p, err)
		}
	}
	commits := new(atomic.Int64)
	w := openWriter(path, commits)
	// Migrating (or just setting WAL mode) is the first write: an unwritable
	// directory or file fails here, at start-up, not on the first request.
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	r, err := openPool(path, true, max(4, runtime.NumCPU()))
	if err != nil {
		w.Close()
		return nil, err
	}
	s := &Store{w: w, r: r, now: time.Now, commits: commits, claimer: protocol.NewID()}
	if keyFile == "" {
		keyFile = filepath.Join(dir, KeyFileName)
	}
	if err := s.loadAuditKey(ctx, keyFile); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

func openPool(path string, readOnly bool, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", dsn(path, readOnly))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// openWriter opens the one writer connection, counting its commits in
// commits (SQLite's commit hook: every committed transaction, whoever
// wrote it in this process).
func openWriter(path string, commits *atomic.Int64) *sql.DB {
	d := &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		c.RegisterCommitHook(func() int { commits.Add(1); return 0 })
		return nil
	}}
	db := sql.OpenDB(dsnConnector{d, dsn(path, false)})
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	return db
}

// dsnConnector opens connections of a driver instance of our own (the
// writer's, with its commit hook) by a fixed name.
type dsnConnector struct {
	d   *sqlite3.SQLiteDriver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

// dsn is the connection string of the database at path.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close stores the agents' hellos and acks kept in memory and closes both
// pools.
func (s *Store) Close() error {
	errB := s.closeBehind()
	if s.leadDB != nil {
		s.leadDB.Close()
	}
	errR := s.r.Close()
	errW := s.w.Close()
	if errB != nil {
		return fmt.Errorf("store: close: %w", errB)
	}
	if errW != nil {
		return fmt.Errorf("store: close: %w", errW)
	}
	if errR != nil {
		return fmt.Errorf("store: close: %w", errR)
	}
	return nil
}

// SchemaVersion reports how many migrations the database has applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if s.pg {
		return postgresVersion(ctx, s.r)
	}
	return schemaVersion(ctx, s.r)
}

// Ping checks that the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// TableCounts counts the rows of every table, for diagnostics and tests.
func (s *Store) TableCounts(ctx context.Context) (map[string]int, error) {
	q := `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.pg {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name != 'schema_version'`
	}
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: table counts: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: table counts: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: table counts: %w", err)
	}
	out := make(map[string]int, len(tables))
	for _, t := range tables {
		var n int
		// A table name cannot be a bound parameter; these come from
		// the schema, not from a request, and are quoted.
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM "`+strings.ReplaceAll(t, `"`, `""`)+`"`).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
