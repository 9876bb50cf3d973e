package auth

import (
	"sync"
	"time"
)

// Throttle counts failed logins per key (an account name, an address) in a
// sliding window and locks a key that reached its limit until the window
// has passed since its latest failure. It lives in memory: a restart forgets
// it, which is acceptable for one controller (noted for replicas).
type Throttle struct {
	Limit  int
	Window time.Duration
	Now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle returns a throttle allowing limit failures per window.
func NewThrottle(limit int, window time.Duration, now func() time.Time) *Throttle {
	return &Throttle{Limit: limit, Window: window, Now: now, failures: make(map[string][]time.Time)}
}

func (t *Throttle) recent(key string, now time.Time) []time.Time {
	fs := t.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= t.Window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, key)
	} else {
		t.failures[key] = fs
	}
	return fs
}

// Blocked reports whether key is locked and for how long still.
func (t *Throttle) Blocked(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	fs := t.recent(key, now)
	if len(fs) < t.Limit {
		return false, 0
	}
	return true, fs[len(fs)-1].Add(t.Window).Sub(now)
}

// Fail records a failure of key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	fs := t.recent(key, now)
	if len(fs) >= 4*t.Limit { // bound memory under a flood
		fs = fs[1:]
	}
	t.failures[key] = append(fs, now)
}

// Reset forgets key's failures (after a successful login).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}
