package auth

import (
	"strings"
	"testing"
	"time"
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

func TestThrottleLocksAndUnlocks(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	th := NewThrottle(3, 15*time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if b, _ := th.Blocked("a"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		th.Fail("a")
	}
	if b, left := th.Blocked("a"); !b || left != 15*time.Minute {
		t.Fatalf("after 3 failures: blocked=%v left=%v", b, left)
	}
	if b, _ := th.Blocked("b"); b {
		t.Fatal("another key is blocked")
	}
	now = now.Add(15 * time.Minute)
	if b, _ := th.Blocked("a"); b {
		t.Fatal("still blocked after the window")
	}
	th.Fail("a")
	th.Reset("a")
	if b, _ := th.Blocked("a"); b {
		t.Fatal("blocked after reset")
	}
}

func TestEnrolmentCodeShape(t *testing.T) {
	c := NewEnrolmentCode()
	if len(c) != 14 || c[4] != '-' || c[9] != '-' || strings.ContainsAny(c, "01OIL") {
		t.Fatalf("code %q", c)
	}
}
