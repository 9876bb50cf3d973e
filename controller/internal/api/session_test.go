package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
)

// login posts credentials, with the session cookie old (may be empty), and
// returns the response and the new session cookie.
func (v *env) login(name, password, old string) (resp, cred) {
	v.t.Helper()
	r := v.do(cred{cookie: old}, http.MethodPost, "/session", map[string]any{"name": name, "password": password})
	var c cred
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == SessionCookie {
			c.cookie = ck.Value
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
				v.t.Errorf("session cookie attributes: %+v", ck)
			}
		}
	}
	var out sessionOut
	if r.Status == 200 {
		r.json(v.t, &out)
		c.csrf = out.CSRFToken
	}
	return r, c
}

func TestLoginRotatesTheSession(t *testing.T) {
	v := newEnv(t)
	u := v.user(store.RoleEditor, v.unitA.ID)
	r, first := v.login(u.Name, testPassword, "")
	must(t, r, 200)
	if first.cookie == "" || first.csrf == "" {
		t.Fatalf("login gave cookie %q csrf %q", first.cookie, first.csrf)
	}
	must(t, v.do(first, "GET", "/me", nil), 200)

	// Logging in again from the same browser replaces the session.
	r, second := v.login(u.Name, testPassword, first.cookie)
	must(t, r, 200)
	if second.cookie == first.cookie || second.csrf == first.csrf {
		t.Fatal("the session id or CSRF token did not change at login")
	}
	if r := v.do(first, "GET", "/me", nil); r.Status != 401 {
		t.Fatalf("the replaced session still works: %d", r.Status)
	}
	var me sessionOut
	must(t, v.do(second, "GET", "/me", nil), 200).json(t, &me)
	if me.User.ID != u.ID || me.CSRFToken != second.csrf {
		t.Fatalf("me = %+v", me)
	}
	if strings.Contains(string(r.Body), "password") {
		t.Fatalf("login answer mentions the password hash: %s", r.Body)
	}

	must(t, v.do(second, "DELETE", "/session", nil), 204)
	if r := v.do(second, "GET", "/me", nil); r.Status != 401 {
		t.Fatalf("after logout: %d", r.Status)
	}
}

func TestSecureCookieUnderTLS(t *testing.T) {
	v := newEnv(t)
	v.api.o.SecureCookies = true
	u := v.user(store.RoleViewer, v.unitA.ID)
	r := v.do(cred{}, "POST", "/session", map[string]any{"name": u.Name, "password": testPassword})
	must(t, r, 200)
	cks := (&http.Response{Header: r.Header}).Cookies()
	if len(cks) != 1 || !cks[0].Secure {
		t.Fatalf("cookies under TLS: %+v", cks)
	}
}

func TestSessionExpiresWhenIdle(t *testing.T) {
	v := newEnv(t)
	u := v.user(store.RoleViewer, v.unitA.ID)
	_, c := v.login(u.Name, testPassword, "")
	v.advance(90 * time.Minute)
	must(t, v.do(c, "GET", "/me", nil), 200) // activity postpones expiry
	v.advance(90 * time.Minute)
	must(t, v.do(c, "GET", "/me", nil), 200)
	v.advance(2*time.Hour + time.Second)
	r := v.do(c, "GET", "/me", nil)
	if r.Status != 401 || r.code() != "session_expired" {
		t.Fatalf("idle session: %d %s", r.Status, r.Body)
	}
	if r := v.do(c, "GET", "/me", nil); r.code() != "unauthenticated" {
		t.Fatalf("expired session was not removed: %s", r.Body)
	}
}

func TestCSRF(t *testing.T) {
	v := newEnv(t)
	admin := v.user(store.RoleAdmin, v.unitA.ID)
	_, c := v.login(admin.Name, testPassword, "")
	before := v.auditCount()

	noToken := cred{cookie: c.cookie}
	r := v.do(noToken, "POST", "/units", map[string]any{"name": "Khối phố 9"})
	if r.Status != 403 || r.code() != "csrf" {
		t.Fatalf("cookie POST without CSRF token: %d %s", r.Status, r.Body)
	}
	r = v.do(cred{cookie: c.cookie, csrf: "wrong"}, "DELETE", "/session", nil)
	if r.Status != 403 || r.code() != "csrf" {
		t.Fatalf("cookie DELETE with a wrong token: %d %s", r.Status, r.Body)
	}
	if n := v.auditCount(); n != before {
		t.Fatalf("refused requests wrote %d audit events", n-before)
	}
	must(t, v.do(noToken, "GET", "/units", nil), 200) // safe methods need no token
	must(t, v.do(c, "POST", "/units", map[string]any{"name": "Khối phố 9"}), 201)

	// A bearer token is not sent by browsers on their own: no CSRF token.
	must(t, v.do(v.bearer(admin), "POST", "/units", map[string]any{"name": "Khối phố 10"}), 201)
}

// loginFrom posts credentials from the address addr.
func (v *env) loginFrom(addr, name, password string) resp {
	v.t.Helper()
	return v.do(cred{addr: addr}, http.MethodPost, "/session", map[string]any{"name": name, "password": password})
}

// TestWrongPasswordsElsewhereDoNotLockTheOwnerOut: a storm of wrong
// passwords for an account from one address slows that address, and the
// owner's right password from another address still logs in (issue 12.5).
func TestWrongPasswordsElsewhereDoNotLockTheOwnerOut(t *testing.T) {
	v := newEnv(t)
	u := v.user(store.RoleEditor, v.unitA.ID)
	const attacker, owner = "203.0.113.7", "198.51.100.20"
	for i := 0; i < 5; i++ {
		r := v.loginFrom(attacker, u.Name, "sai mật khẩu")
		if r.Status != 401 || r.code() != "bad_credentials" {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	// The attacker's address is refused for this account, even with the
	// right password, and the answer says when to try again.
	r := v.loginFrom(attacker, strings.ToUpper(u.Name), testPassword)
	if r.Status != 429 || r.code() != "throttled" {
		t.Fatalf("after 5 failures from the attacker: %d %s", r.Status, r.Body)
	}
	if s, _ := strconv.Atoi(r.Header.Get("Retry-After")); s <= 0 || s > 900 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// The storm goes on; the owner, elsewhere, logs in between its waves.
	for i := 0; i < 3; i++ {
		if r := v.loginFrom(attacker, u.Name, "đoán tiếp"); r.Status != 429 {
			t.Fatalf("the attacker's guess %d was not refused: %d %s", i, r.Status, r.Body)
		}
		if r := v.loginFrom(owner, u.Name, testPassword); r.Status != 200 {
			t.Fatalf("the owner's right password from another address during the storm: %d %s", r.Status, r.Body)
		}
	}
	// Another account from the attacker's address is not refused yet.
	other := v.user(store.RoleViewer, v.unitA.ID)
	must(t, v.loginFrom(attacker, other.Name, testPassword), 200)

	v.advance(15 * time.Minute)
	must(t, v.loginFrom(attacker, u.Name, testPassword), 200)
}

// TestLoginStormAcrossAccountsFromOneAddressIsThrottled: guessing many
// names from one address gets that address refused, for every account,
// while other addresses are unaffected.
func TestLoginStormAcrossAccountsFromOneAddressIsThrottled(t *testing.T) {
	v := newEnv(t)
	u := v.user(store.RoleViewer, v.unitA.ID)
	const attacker = "203.0.113.9"
	for i := 0; i < 20; i++ {
		if r := v.loginFrom(attacker, v.uniq("khong-co"), "x"); r.Status != 401 {
			t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := v.loginFrom(attacker, v.uniq("khong-co"), "x"); r.Status != 429 || r.code() != "throttled" {
		t.Fatalf("after 20 failures from one address, a new name: %d %s", r.Status, r.Body)
	}
	if r := v.loginFrom(attacker, u.Name, testPassword); r.Status != 429 {
		t.Fatalf("after 20 failures from one address, a real account: %d %s", r.Status, r.Body)
	}
	// A success on one account from that address would not have reset
	// the address's count either; another address is not refused.
	must(t, v.loginFrom("198.51.100.21", u.Name, testPassword), 200)
	// Failed logins are in the audit log (20; throttled attempts are
	// refused before any password check and not logged one by one).
	es, err := v.st.ListAudit(t.Context(), store.AuditFilter{Action: "session.fail", Limit: 500})
	if err != nil || len(es) != 20 {
		t.Fatalf("audit of failed logins: %d, %v", len(es), err)
	}
	v.advance(15 * time.Minute)
	must(t, v.loginFrom(attacker, u.Name, testPassword), 200)
}

func TestBearerTokensAreShownOnceAndRevocable(t *testing.T) {
	v := newEnv(t)
	u := v.user(store.RoleTechnician, v.unitA.ID)
	_, c := v.login(u.Name, testPassword, "")
	var out tokenOut
	must(t, v.do(c, "POST", "/tokens", map[string]any{"name": "giám sát"}), 201).json(t, &out)
	if !strings.HasPrefix(out.Secret, tokenPrefix) || !strings.HasPrefix(out.Secret, out.Token.Prefix) {
		t.Fatalf("token %+v", out)
	}
	tok := cred{bearer: out.Secret}
	must(t, v.do(tok, "GET", "/displays", nil), 200)
	list := must(t, v.do(c, "GET", "/tokens", nil), 200)
	if strings.Contains(string(list.Body), out.Secret) {
		t.Fatal("the token list shows the secret")
	}
	// Another user cannot revoke it: 404, as if it did not exist.
	other := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	must(t, v.do(other, "DELETE", "/tokens/"+strconv.FormatInt(out.Token.ID, 10), nil), 404)
	must(t, v.do(c, "DELETE", "/tokens/"+strconv.FormatInt(out.Token.ID, 10), nil), 204)
	if r := v.do(tok, "GET", "/displays", nil); r.Status != 401 {
		t.Fatalf("revoked token: %d", r.Status)
	}
}

// TestMeSaysWhatTheRoleMay: /me lists the operations the route table lets
// the user's role call, and no other, so pages need not restate roles.
func TestMeSaysWhatTheRoleMay(t *testing.T) {
	v := newEnv(t)
	for _, role := range []string{store.RoleEditor, store.RoleApprover, store.RoleTechnician, store.RoleViewer, store.RoleAdmin} {
		var me sessionOut
		must(t, v.do(v.session(v.user(role, v.unitA.ID)), "GET", "/me", nil), 200).json(t, &me)
		for _, rt := range v.api.Routes() {
			if rt.Roles == nil {
				continue
			}
			if want := slices.Contains(rt.Roles, role); slices.Contains(me.May, rt.Name) != want {
				t.Errorf("%s: may %s is %v, the route table says %v", role, rt.Name, !want, want)
			}
		}
	}
}

// TestFailedLoginsOnOneReplicaLockTheOther: two APIs on one database (two
// replicas behind a load balancer). Failures spread over both count
// together: the guesser is refused on either, and a success on one forgives
// the pair on the other.
func TestFailedLoginsOnOneReplicaLockTheOther(t *testing.T) {
	v := newEnv(t)
	b := v.replica(nil)
	u := v.user(store.RoleEditor, v.unitA.ID)
	const attacker = "203.0.113.8"
	// 2 on A, 2 on B: 4, one short of the limit of 5.
	for i, r := range []*env{v, b, v, b} {
		if got := r.loginFrom(attacker, u.Name, "sai"); got.Status != 401 {
			t.Fatalf("guess %d: %d %s", i+1, got.Status, got.Body)
		}
	}
	// The right password on B forgives the pair everywhere.
	must(t, b.loginFrom(attacker, u.Name, testPassword), 200)
	for i := 0; i < 5; i++ {
		r := []*env{v, b}[i%2]
		if got := r.loginFrom(attacker, u.Name, "sai"); got.Status != 401 {
			t.Fatalf("guess %d after the success: %d %s", i+1, got.Status, got.Body)
		}
	}
	for name, r := range map[string]*env{"A": v, "B": b} {
		if got := r.loginFrom(attacker, strings.ToUpper(u.Name), testPassword); got.Status != 429 || got.code() != "throttled" {
			t.Fatalf("replica %s after 5 failures spread over A and B: %d %s", name, got.Status, got.Body)
		}
	}
	v.advance(15 * time.Minute)
	must(t, b.loginFrom(attacker, u.Name, testPassword), 200)
}
