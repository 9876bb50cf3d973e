package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Failed logins and enrolments (auth.Throttle), in the database so that
// every replica counts the same failures. keyHash is the SHA-256 (hex) of
// the throttle's key: the table holds no account name or address.

// LoginFailures returns how many failures keyHash has after since, and
// the latest one's time.
func (s *Store) LoginFailures(ctx context.Context, keyHash string, since time.Time) (int, time.Time, error) {
	var n int
	var latest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), MAX(at) FROM login_failures WHERE key_hash = ? AND at > ?`,
		keyHash, since.UnixNano()).Scan(&n, &latest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: login failures: %w", err)
	}
	if !latest.Valid {
		return 0, time.Time{}, nil
	}
	return n, time.Unix(0, latest.Int64), nil
}

// AddLoginFailure records a failure of keyHash at at. In the same
// transaction it deletes every key's failures at or before expired, and
// all but the latest keep of keyHash: the table stays bounded under a
// flood of failures, as the throttle only ever looks at its window.
func (s *Store) AddLoginFailure(ctx context.Context, keyHash string, at, expired time.Time, keep int) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: login failure: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= ?`, expired.UnixNano()); err != nil {
		return fmt.Errorf("store: login failure: prune: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key_hash, at) VALUES (?, ?)`, keyHash, at.UnixNano()); err != nil {
		return fmt.Errorf("store: login failure: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key_hash = ? AND id <=
		(SELECT id FROM login_failures WHERE key_hash = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, keyHash, keyHash, keep); err != nil {
		return fmt.Errorf("store: login failure: trim: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: login failure: %w", err)
	}
	return nil
}

// ResetLoginFailures forgets keyHash's failures (after a success).
func (s *Store) ResetLoginFailures(ctx context.Context, keyHash string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE key_hash = ?`, keyHash); err != nil {
		return fmt.Errorf("store: reset login failures: %w", err)
	}
	return nil
}

// CountLoginFailureRows is how many failures the table holds (tests).
func (s *Store) CountLoginFailureRows(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count login failures: %w", err)
	}
	return n, nil
}
