package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
)

// newToken creates an API token through the API as c and returns its
// secret.
func (v *env) newToken(c cred, body map[string]any) cred {
	v.t.Helper()
	if body["name"] == nil {
		body["name"] = v.uniq("script")
	}
	var out tokenOut
	must(v.t, v.do(c, "POST", "/tokens", body), 201).json(v.t, &out)
	return cred{bearer: out.Secret}
}

// TestTokensDieWithTheOwnersPassword: changing a user's password, or
// disabling them, revokes their API tokens for good (issue 12.8).
func TestTokensDieWithTheOwnersPassword(t *testing.T) {
	v := newEnv(t)
	admin := v.session(v.user(store.RoleAdmin, v.unitA.ID))
	for _, change := range []map[string]any{{"password": "một mật khẩu mới dài"}, {"disabled": true}} {
		u := v.user(store.RoleTechnician, v.unitA.ID)
		tok := v.newToken(v.session(u), map[string]any{})
		must(t, v.do(tok, "GET", "/displays", nil), 200)
		must(t, v.do(admin, "PATCH", fmt.Sprintf("/users/%d", u.ID), change), 200)
		if r := v.do(tok, "GET", "/displays", nil); r.Status != 401 {
			t.Fatalf("after %v the token still works: %d %s", change, r.Status, r.Body)
		}
		must(t, v.do(admin, "PATCH", fmt.Sprintf("/users/%d", u.ID), map[string]any{"disabled": false}), 200)
		if r := v.do(tok, "GET", "/displays", nil); r.Status != 401 {
			t.Fatalf("after %v and enabling the user again, the token works: %d %s", change, r.Status, r.Body)
		}
	}
	es, err := v.st.ListAudit(t.Context(), store.AuditFilter{Action: "user.update", Limit: 10})
	// Newest first: enable, disable (1 revoked), enable, password (1 revoked).
	if err != nil || len(es) != 4 || es[1].Detail["tokens_revoked"] != float64(1) || es[3].Detail["tokens_revoked"] != float64(1) {
		t.Fatalf("audit of the revocations: %+v %v", es, err)
	}
}

// TestTokensExpire: a token works until the expiry chosen at creation
// (default 90 days, at most 366), then is refused with token_expired.
func TestTokensExpire(t *testing.T) {
	v := newEnv(t)
	u := v.session(v.user(store.RoleViewer, v.unitA.ID))
	for _, days := range []int{0, 367, -1} {
		r := v.do(u, "POST", "/tokens", map[string]any{"name": "x", "expires_in_days": days})
		if r.Status != 400 || r.code() != "token_days_range" {
			t.Fatalf("expires_in_days %d: %d %s", days, r.Status, r.Body)
		}
	}
	week := v.newToken(u, map[string]any{"expires_in_days": 7})
	def := v.newToken(u, map[string]any{})
	var list list[store.APIToken]
	must(t, v.do(u, "GET", "/tokens", nil), 200).json(t, &list)
	if got := list.Items[0].ExpiresAt.Sub(list.Items[0].CreatedAt); got != 90*24*time.Hour {
		t.Fatalf("default lifetime %v", got)
	}
	v.advance(7*24*time.Hour - time.Second)
	must(t, v.do(week, "GET", "/me", nil), 200)
	v.advance(time.Second)
	if r := v.do(week, "GET", "/me", nil); r.Status != 401 || r.code() != "token_expired" {
		t.Fatalf("a token past its expiry: %d %s", r.Status, r.Body)
	}
	must(t, v.do(def, "GET", "/me", nil), 200)
	v.advance(83 * 24 * time.Hour)
	if r := v.do(def, "GET", "/me", nil); r.code() != "token_expired" {
		t.Fatalf("a default token after 90 days: %d %s", r.Status, r.Body)
	}
}

// TestTokenScopesBoundWhatATokenDoes: a token does only what its scopes
// cover (read by default), never more than its owner's role, asks only for
// scopes the role can use, and cannot make tokens.
func TestTokenScopesBoundWhatATokenDoes(t *testing.T) {
	v := newEnv(t)
	admin := v.session(v.user(store.RoleAdmin, v.unitA.ID))
	text := map[string]any{"title": "Thông báo", "kind": "text", "body": "Nội dung"}
	display := func() map[string]any {
		return map[string]any{"name": v.uniq("man-hinh"), "width": 64, "height": 32, "profile": "virtual"}
	}

	read := v.newToken(admin, map[string]any{})
	must(t, v.do(read, "GET", "/media", nil), 200)
	mustCode(t, v.do(read, "POST", "/media", text), 403, "token_scope")

	content := v.newToken(admin, map[string]any{"scopes": []string{"read", "content"}})
	must(t, v.do(content, "POST", "/media", text), 201)
	mustCode(t, v.do(content, "POST", "/displays", display()), 403, "token_scope")
	mustCode(t, v.do(content, "POST", "/units", map[string]any{"name": v.uniq("Khối phố")}), 403, "token_scope")
	mustCode(t, v.do(content, "PATCH", "/settings", map[string]any{"two_person_rule": false}), 403, "token_scope")

	devices := v.newToken(admin, map[string]any{"scopes": []string{"devices"}})
	must(t, v.do(devices, "POST", "/displays", display()), 201)
	mustCode(t, v.do(devices, "GET", "/displays", nil), 403, "token_scope") // no read scope

	// An editor's token with the content scope still cannot do what an
	// editor may not; the editor cannot ask for scopes no route of theirs
	// needs.
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	edTok := v.newToken(ed, map[string]any{"scopes": []string{"read", "content"}})
	mustCode(t, v.do(edTok, "POST", "/campaigns", map[string]any{"name": "x", "starts_on": "2026-01-01", "ends_on": "2026-02-01", "themes": []string{"a"}}), 403, "forbidden")
	for _, sc := range []string{"devices", "admin", "everything"} {
		r := v.do(ed, "POST", "/tokens", map[string]any{"name": "x", "scopes": []string{"read", sc}})
		if r.Status != 400 || r.code() != "token_scope_invalid" {
			t.Fatalf("editor asks for scope %s: %d %s", sc, r.Status, r.Body)
		}
	}
	mustCode(t, v.do(ed, "POST", "/tokens", map[string]any{"name": "x", "scopes": []string{}}), 400, "required")

	// A token cannot make tokens, not even an admin-scoped one.
	all := v.newToken(admin, map[string]any{"scopes": store.Scopes})
	mustCode(t, v.do(all, "POST", "/tokens", map[string]any{"name": "x"}), 403, "token_makes_token")
}

// TestEveryRouteHasATokenScope: every route that changes something is
// given a scope by name or by tag, on purpose: none falls to the default.
func TestEveryRouteHasATokenScope(t *testing.T) {
	v := newEnv(t)
	for _, rt := range v.api.Routes() {
		if rt.Roles == nil || isSafe(rt.Method) {
			continue
		}
		_, byName := scopeOfRoute[rt.Name]
		_, byTag := scopeOfTag[rt.Tag]
		if !byName && !byTag {
			t.Errorf("%s (tag %s) has no token scope: add its tag to scopeOfTag or its name to scopeOfRoute", rt.Name, rt.Tag)
		}
	}
}

// TestSessionHasAnAbsoluteLifetime: however active, a session ends 12 h
// after its login.
func TestSessionHasAnAbsoluteLifetime(t *testing.T) {
	v := newEnv(t)
	u := v.user(store.RoleViewer, v.unitA.ID)
	_, c := v.login(u.Name, testPassword, "")
	for i := 0; i < 11; i++ {
		v.advance(time.Hour)
		must(t, v.do(c, "GET", "/me", nil), 200)
	}
	v.advance(time.Hour + time.Second)
	if r := v.do(c, "GET", "/me", nil); r.Status != 401 || r.code() != "session_expired" {
		t.Fatalf("a session 12 h after login, busy all along: %d %s", r.Status, r.Body)
	}
}
