package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a logged-in browser. The cookie holds a random token; the table
// holds only its SHA-256, so a copy of the database logs nobody in.
type Session struct {
	TokenHash  string
	UserID     int64
	CSRFToken  string
	RemoteAddr string
	CreatedAt  time.Time
	LastSeen   time.Time
}

// CreateSession stores a new session and, in the same transaction, removes
// the one it replaces (replacesHash, may be empty): rotation at login.
func (s *Store) CreateSession(ctx context.Context, who Actor, sess Session, replacesHash string) error {
	_, err := s.change(ctx, who, "session.create", "user", func(tx *sql.Tx) (int64, map[string]any, error) {
		if replacesHash != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, replacesHash); err != nil {
				return 0, nil, err
			}
		}
		at := fmtTime(sess.CreatedAt)
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, remote_addr, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)`,
			sess.TokenHash, sess.UserID, sess.CSRFToken, sess.RemoteAddr, at, at)
		return sess.UserID, nil, err
	})
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionUser returns the session of that token hash and its user.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (Session, User, error) {
	var sess Session
	var created, seen string
	row := s.r.QueryRowContext(ctx, `SELECT s.token_hash, s.user_id, s.csrf_token, s.remote_addr, s.created_at, s.last_seen, `+userCols+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN units n ON n.id = u.unit_id WHERE s.token_hash = ?`, tokenHash)
	var u User
	var uat string
	err := row.Scan(&sess.TokenHash, &sess.UserID, &sess.CSRFToken, &sess.RemoteAddr, &created, &seen,
		&u.ID, &u.UnitID, &u.UnitName, &u.Name, &u.Role, &u.Disabled, &uat, &u.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("store: session: %w", err)
	}
	sess.CreatedAt, sess.LastSeen, u.CreatedAt = parseTime(created), parseTime(seen), parseTime(uat)
	return sess, u, nil
}

// TouchSession records activity, which postpones idle expiry.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, fmtTime(at), tokenHash); err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session (logout, expiry). Not audited for expiry.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// Logout ends a session and records it.
func (s *Store) Logout(ctx context.Context, who Actor, tokenHash string) error {
	_, err := s.change(ctx, who, "session.delete", "user", func(tx *sql.Tx) (int64, map[string]any, error) {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		return who.UserID, nil, err
	})
	if err != nil {
		return fmt.Errorf("store: logout: %w", err)
	}
	return nil
}

// DeleteIdleSessions removes sessions not used since before, which
// nobody can use any more; login calls it so the table does not grow.
func (s *Store) DeleteIdleSessions(ctx context.Context, before time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen < ?`, fmtTime(before)); err != nil {
		return fmt.Errorf("store: delete idle sessions: %w", err)
	}
	return nil
}
