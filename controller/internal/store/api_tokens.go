package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIToken is a bearer token for scripts. The token itself is shown once at
// creation; the table keeps its SHA-256 and a prefix to recognise it by.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

const tokenCols = `id, user_id, name, prefix, created_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var at string
	var used, revoked sql.NullString
	err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &at, &used, &revoked)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = parseTime(at), parseNullTime(used), parseNullTime(revoked)
	return t, err
}

// CreateAPIToken stores a token by its hash.
func (s *Store) CreateAPIToken(ctx context.Context, who Actor, t APIToken, hash string) (APIToken, error) {
	id, err := s.change(ctx, who, "token.create", "api_token", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.UserID, t.Name, hash, t.Prefix, s.stamp())
		if err != nil {
			return 0, nil, err
		}
		id, err := res.LastInsertId()
		return id, map[string]any{"name": t.Name, "user_id": t.UserID}, err
	})
	if err != nil {
		return APIToken{}, fmt.Errorf("store: create token: %w", err)
	}
	return scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, id))
}

// APITokenUser returns the live (not revoked) token of that hash and its
// user, and records the use.
func (s *Store) APITokenUser(ctx context.Context, hash string) (APIToken, User, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`, hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, User{}, fmt.Errorf("store: token: %w", ErrNotFound)
	}
	if err != nil {
		return APIToken{}, User{}, fmt.Errorf("store: token: %w", err)
	}
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, id))
	if err != nil {
		return APIToken{}, User{}, fmt.Errorf("store: token: %w", err)
	}
	u, err := s.User(ctx, t.UserID)
	if err != nil {
		return APIToken{}, User{}, err
	}
	// Record the use at most once a minute: not a write per request.
	now := s.now()
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < time.Minute {
		return t, u, nil
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, fmtTime(now), id); err != nil {
		return APIToken{}, User{}, fmt.Errorf("store: token: record use: %w", err)
	}
	return t, u, nil
}

// APITokens lists a user's tokens, newest first.
func (s *Store) APITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	defer rows.Close()
	out := []APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken revokes one of the user's tokens; another user's token is
// ErrNotFound.
func (s *Store) RevokeAPIToken(ctx context.Context, who Actor, userID, id int64) error {
	_, err := s.change(ctx, who, "token.revoke", "api_token", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, s.stamp(), id, userID)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: revoke token %d: %w", id, err)
	}
	return nil
}
