package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIToken is a bearer token for scripts. The token itself is shown once at
// creation; the table keeps its SHA-256 and a prefix to recognise it by.
// It works until it expires or is revoked (by its owner, or when the
// owner's password changes or the owner is disabled), and only for the
// routes its scopes cover, within what its owner's role may do.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Token scopes: what kind of route a token may call (see the API's
// route table for which route needs which).
const (
	ScopeRead    = "read"    // every GET
	ScopeContent = "content" // media, rotations, campaigns, schedules, urgent notices
	ScopeDevices = "devices" // displays and their groups, commands, enrolment
	ScopeAdmin   = "admin"   // units, users, settings, CAP feeds, tokens
)

// Scopes are the token scopes, in order.
var Scopes = []string{ScopeRead, ScopeContent, ScopeDevices, ScopeAdmin}

// ErrTokenExpired is a token past its expiry.
var ErrTokenExpired = errors.New("token expired")

const tokenCols = `id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var at, exp, scopes string
	var used, revoked sql.NullString
	err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &scopes, &at, &exp, &used, &revoked)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = parseTime(at), parseTime(exp), parseNullTime(used), parseNullTime(revoked)
	t.Scopes = strings.Fields(scopes)
	return t, err
}

// CreateAPIToken stores a token by its hash, with t's scopes and expiry
// (both required).
func (s *Store) CreateAPIToken(ctx context.Context, who Actor, t APIToken, hash string) (APIToken, error) {
	if len(t.Scopes) == 0 || t.ExpiresAt.IsZero() {
		return APIToken{}, fmt.Errorf("store: create token: scopes and expiry are required")
	}
	id, err := s.change(ctx, who, "token.create", "api_token", func(tx *sql.Tx) (int64, map[string]any, error) {
		exp := fmtTime(t.ExpiresAt)
		id, err := insertID(ctx, tx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.UserID, t.Name, hash, t.Prefix, strings.Join(t.Scopes, " "), s.stamp(), exp)
		if err != nil {
			return 0, nil, err
		}
		return id, map[string]any{"name": t.Name, "user_id": t.UserID, "scopes": t.Scopes, "expires_at": exp}, err
	})
	if err != nil {
		return APIToken{}, fmt.Errorf("store: create token: %w", err)
	}
	return scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, id))
}

// APITokenUser returns the live (not revoked) token of that hash and its
// user, and records the use. A token past its expiry is ErrTokenExpired,
// with the token.
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
	now := s.now()
	if !now.Before(t.ExpiresAt) {
		return t, User{}, fmt.Errorf("store: token %d: %w", t.ID, ErrTokenExpired)
	}
	u, err := s.User(ctx, t.UserID)
	if err != nil {
		return APIToken{}, User{}, err
	}
	// Record the use at most once a minute: not a write per request.
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
