package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Failures is where a Throttle keeps its failures: the database
// (store.Store), so that every replica on it counts the same ones and a
// guesser cannot spread attempts over replicas.
type Failures interface {
	// LoginFailures returns how many failures keyHash has after since,
	// and the latest one's time.
	LoginFailures(ctx context.Context, keyHash string, since time.Time) (int, time.Time, error)
	// AddLoginFailure records one at at, deletes every key's failures at
	// or before expired, and keeps only keyHash's latest keep.
	AddLoginFailure(ctx context.Context, keyHash string, at, expired time.Time, keep int) error
	// ResetLoginFailures forgets keyHash's failures.
	ResetLoginFailures(ctx context.Context, keyHash string) error
}

// Throttle counts failures per key (an account name, an address) in a
// sliding window and locks a key that reached its limit until the window
// has passed since its latest failure.
type Throttle struct {
	Limit  int
	Window time.Duration
	Now    func() time.Time

	failures Failures
	kind     string
}

// NewThrottle returns a throttle allowing limit failures per window,
// kept in failures. kind names what it counts ("login address"…): throttles
// sharing one Failures count apart.
func NewThrottle(failures Failures, kind string, limit int, window time.Duration, now func() time.Time) *Throttle {
	return &Throttle{Limit: limit, Window: window, Now: now, failures: failures, kind: kind}
}

// hash is the stored key: the key holds account names and addresses,
// which the table should not, and may hold NUL, which PostgreSQL text
// cannot.
func (t *Throttle) hash(key string) string {
	h := sha256.Sum256([]byte(t.kind + "\x00" + key))
	return hex.EncodeToString(h[:])
}

// Blocked reports whether key is locked and for how long still.
func (t *Throttle) Blocked(ctx context.Context, key string) (bool, time.Duration, error) {
	now := t.Now()
	n, latest, err := t.failures.LoginFailures(ctx, t.hash(key), now.Add(-t.Window))
	if err != nil {
		return false, 0, fmt.Errorf("throttle %s: %w", t.kind, err)
	}
	if n < t.Limit {
		return false, 0, nil
	}
	return true, latest.Add(t.Window).Sub(now), nil
}

// Fail records a failure of key.
func (t *Throttle) Fail(ctx context.Context, key string) error {
	now := t.Now()
	// 4×Limit bounds the rows of one key under a flood (requests checked
	// Blocked together and all failed); the window bounds the rest.
	if err := t.failures.AddLoginFailure(ctx, t.hash(key), now, now.Add(-t.Window), 4*t.Limit); err != nil {
		return fmt.Errorf("throttle %s: %w", t.kind, err)
	}
	return nil
}

// Reset forgets key's failures (after a successful login).
func (t *Throttle) Reset(ctx context.Context, key string) error {
	if err := t.failures.ResetLoginFailures(ctx, t.hash(key)); err != nil {
		return fmt.Errorf("throttle %s: %w", t.kind, err)
	}
	return nil
}
