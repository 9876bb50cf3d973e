package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Actor is who makes a change, as the audit log records it. A zero UserID
// is the system (the CLI, the demo seed) or an anonymous caller.
type Actor struct {
	UserID int64
	Name   string
	Addr   string
}

// System is the actor for changes made by the controller itself or the CLI.
var System = Actor{Name: "system", Addr: "local"}

// SetNow replaces the clock; tests use it. Call it before any use.
func (s *Store) SetNow(now func() time.Time) { s.now = now }

func (s *Store) stamp() string { return fmtTime(s.now()) }

// Now is the store's clock (SetNow in tests).
func (s *Store) Now() time.Time { return s.now() }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func parseNullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

func nullInt(p *int64) any {
	if p == nil || *p == 0 {
		return nil
	}
	return *p
}

func ptrInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// change runs fn in one write transaction and appends the audit event it
// describes in the same transaction, so a change and its record are never
// apart. fn returns the object's id and the event's details.
func (s *Store) change(ctx context.Context, who Actor, action, objectType string, fn func(tx *sql.Tx) (int64, map[string]any, error)) (int64, error) {
	return s.transact(ctx, who, action, objectType, true, fn)
}

// transact is change; notify says whether OnChange listeners hear of it.
func (s *Store) transact(ctx context.Context, who Actor, action, objectType string, notify bool, fn func(tx *sql.Tx) (int64, map[string]any, error)) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	id, detail, err := fn(tx)
	if err != nil {
		return 0, err
	}
	if err := s.appendAudit(ctx, tx, who, action, objectType, id, detail); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	if notify {
		s.notify(objectType, id)
	}
	return id, nil
}

// insertID runs an INSERT in tx and returns the id of the row it added
// (RETURNING, which both engines have; PostgreSQL has no last insert id).
func insertID(ctx context.Context, tx *sql.Tx, insert string, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, insert+` RETURNING id`, args...).Scan(&id)
	return id, err
}
