// Package pgsql runs SQL written for SQLite on PostgreSQL, through pgx:
// ? placeholders become $1, $2, … and a Go bool argument becomes 0 or 1
// (the store's schema keeps SQLite's integer flags). The store uses it,
// and tests that reach the database past the store.
package pgsql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// WriteLockKey is the advisory lock every write transaction takes first.
// It keeps SQLite's model on PostgreSQL: one writer at a time, across
// every replica, so a transaction that reads then writes (the next
// revision number, the audit chain's last hash) sees no other writer's
// half-done work and needs no retry.
const WriteLockKey = 0x70616e6f // "pano"

// Options say what a pool opened by Open is for.
type Options struct {
	// Writer: every transaction takes the write lock first.
	Writer bool
	// Commits, if not nil, counts the transactions committed (a statement
	// outside a transaction is one).
	Commits *atomic.Int64
	// ReadOnly sessions refuse writes.
	ReadOnly bool
	// Conns is the most connections the pool opens (0: no limit).
	Conns int
	// LockTimeout, if not zero, is how long a statement waits for a lock
	// (the write lock among them) before it fails, as SQLite's busy
	// timeout.
	LockTimeout int // milliseconds
	// IdleSessionTimeout, if not zero, is how long the server keeps a
	// session that sends nothing: it then ends it, and releases its
	// session locks, even when the client's machine vanished without
	// closing the connection.
	IdleSessionTimeout int // milliseconds
}

// Open opens a pool on the database at dbURL.
func Open(dbURL string, o Options) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("the database address %q is not a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DB): %w", RedactURL(dbURL), err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if o.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	if o.LockTimeout > 0 {
		cfg.RuntimeParams["lock_timeout"] = strconv.Itoa(o.LockTimeout)
	}
	if o.IdleSessionTimeout > 0 {
		cfg.RuntimeParams["idle_session_timeout"] = strconv.Itoa(o.IdleSessionTimeout)
	}
	db := sql.OpenDB(connector{base: stdlib.GetConnector(*cfg), writer: o.Writer, readOnly: o.ReadOnly, commits: o.Commits})
	if o.Conns > 0 {
		db.SetMaxOpenConns(o.Conns)
		db.SetMaxIdleConns(o.Conns)
	}
	return db, nil
}

// RedactURL hides a password in a database URL, for error messages.
func RedactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				return s[:i+3] + rest[:c] + ":xxxxx" + rest[at:]
			}
		}
	}
	return s
}

type connector struct {
	base     driver.Connector
	writer   bool
	readOnly bool
	commits  *atomic.Int64 // the writer's commits; nil for readers
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{pgBase: cn.(pgBase), c: c}, nil
}

func (c connector) Driver() driver.Driver { return c.base.Driver() }

// pgBase is what pgx's database/sql connection implements.
type pgBase interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.NamedValueChecker
	driver.SessionResetter
}

type pgConn struct {
	pgBase
	c    connector
	inTx bool
}

func (p *pgConn) Prepare(q string) (driver.Stmt, error) {
	return p.pgBase.PrepareContext(context.Background(), Rebind(q))
}

func (p *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return p.pgBase.PrepareContext(ctx, Rebind(q))
}

func (p *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	res, err := p.pgBase.ExecContext(ctx, Rebind(q), args)
	if err == nil && p.c.commits != nil && !p.inTx {
		p.c.commits.Add(1)
	}
	return res, err
}

func (p *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := p.pgBase.QueryContext(ctx, Rebind(q), args)
	if err != nil && p.c.readOnly && p.closed() {
		// A read on a connection the server closed (it restarted): a
		// read-only session changed nothing, so database/sql may try it
		// again on another connection.
		return nil, driver.ErrBadConn
	}
	return rows, err
}

// closed reports whether the server closed the connection.
func (p *pgConn) closed() bool {
	c, ok := p.pgBase.(interface{ Conn() *pgx.Conn })
	return ok && c.Conn().IsClosed()
}

func (p *pgConn) Begin() (driver.Tx, error) {
	return p.BeginTx(context.Background(), driver.TxOptions{})
}

func (p *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := p.pgBase.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if p.c.writer {
		if _, err := p.pgBase.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, []driver.NamedValue{{Ordinal: 1, Value: int64(WriteLockKey)}}); err != nil {
			tx.Rollback()
			if p.closed() { // nothing written yet: begin again on a new connection
				return nil, driver.ErrBadConn
			}
			return nil, fmt.Errorf("take the write lock: %w", err)
		}
	}
	p.inTx = true
	return &pgTx{tx: tx, p: p}, nil
}

// CheckNamedValue stores a bool as SQLite does, as 0 or 1.
func (p *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
		return nil
	}
	return p.pgBase.CheckNamedValue(nv)
}

type pgTx struct {
	tx driver.Tx
	p  *pgConn
}

func (t *pgTx) Commit() error {
	t.p.inTx = false
	err := t.tx.Commit()
	if err == nil && t.p.c.commits != nil {
		t.p.c.commits.Add(1)
	}
	return err
}

func (t *pgTx) Rollback() error {
	t.p.inTx = false
	return t.tx.Rollback()
}

// Rebind turns SQLite's ? placeholders into PostgreSQL's $1, $2, …,
// leaving quoted text, quoted names and comments as they are.
func Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'' || c == '"':
			end := strings.IndexByte(q[i+1:], c)
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end+2])
			i += end + 1
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end])
			i += end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
