package auth

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/testdb"
)

var fast = Params{Memory: 1024, Time: 1, Threads: 1}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("mật khẩu đúng", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if err := CheckPassword(h, "mật khẩu đúng"); err != nil {
		t.Fatal(err)
	}
	if err := CheckPassword(h, "mật khẩu sai"); err != ErrMismatch {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := HashPassword("mật khẩu đúng", fast)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if err := CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Fatal("accepted a non-argon2id hash")
	}
}

// TestThrottleLocksAndUnlocks runs on the database the test run asks for
// (PANO_TEST_DB=postgres for PostgreSQL), where the failures are kept.
func TestThrottleLocksAndUnlocks(t *testing.T) {
	ctx := context.Background()
	st := testdb.Open(t, t.TempDir())
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	th := NewThrottle(st, "test", 3, 15*time.Minute, clock)
	blocked := func(th *Throttle, key string) (bool, time.Duration) {
		t.Helper()
		b, left, err := th.Blocked(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return b, left
	}
	fail := func(th *Throttle, key string) {
		t.Helper()
		if err := th.Fail(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		if b, _ := blocked(th, "a"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		fail(th, "a")
	}
	if b, left := blocked(th, "a"); !b || left != 15*time.Minute {
		t.Fatalf("after 3 failures: blocked=%v left=%v", b, left)
	}
	if b, _ := blocked(th, "b"); b {
		t.Fatal("another key is blocked")
	}
	if b, _ := blocked(NewThrottle(st, "other", 3, 15*time.Minute, clock), "a"); b {
		t.Fatal("a throttle of another kind counts the same key's failures")
	}
	now = now.Add(15 * time.Minute)
	if b, _ := blocked(th, "a"); b {
		t.Fatal("still blocked after the window")
	}
	fail(th, "a")
	if err := th.Reset(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if b, _ := blocked(th, "a"); b {
		t.Fatal("blocked after reset")
	}
}

// TestThrottleStaysBoundedUnderFlood: failures of one key beyond 4×Limit
// and failures of any key out of the window are deleted by the writes
// themselves, so a flood leaves a bounded table; the key stays locked.
func TestThrottleStaysBoundedUnderFlood(t *testing.T) {
	ctx := context.Background()
	st := testdb.Open(t, t.TempDir())
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	th := NewThrottle(st, "test", 3, 15*time.Minute, func() time.Time { return now })
	rows := func() int {
		t.Helper()
		n, err := st.CountLoginFailureRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// One key failing 100 times (a burst that passed Blocked together).
	for i := 0; i < 100; i++ {
		if err := th.Fail(ctx, "guesser\x00203.0.113.9"); err != nil {
			t.Fatal(err)
		}
	}
	if n := rows(); n != 12 {
		t.Fatalf("%d rows after 100 failures of one key; want 4×limit = 12", n)
	}
	if b, _, err := th.Blocked(ctx, "guesser\x00203.0.113.9"); err != nil || !b {
		t.Fatalf("not blocked after the flood: %v", err)
	}
	// 200 keys failing once each, a minute apart: only those of the
	// latest window remain.
	for i := 0; i < 200; i++ {
		now = now.Add(time.Minute)
		if err := th.Fail(ctx, fmt.Sprintf("name-%d\x00203.0.113.9", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := rows(); n != 15 {
		t.Fatalf("%d rows after 200 keys a minute apart; want the 15 of the last 15 minutes", n)
	}
}

func TestEnrolmentCodeShape(t *testing.T) {
	c := NewEnrolmentCode()
	if len(c) != 14 || c[4] != '-' || c[9] != '-' || strings.ContainsAny(c, "01OIL") {
		t.Fatalf("code %q", c)
	}
}
