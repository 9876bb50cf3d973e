package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

type loginIn struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type sessionOut struct {
	User      store.User `json:"user"`
	CSRFToken string     `json:"csrf_token,omitempty"` // only for cookie sessions
	// May lists the operations (operationId) the user's role may call,
	// from the route table, so that a page shows what the user can do
	// without restating who may do what.
	May []string `json:"may"`
}

// may lists the operations role may call.
func (a *API) may(role string) []string {
	out := []string{}
	for _, rt := range a.Routes() {
		if slices.Contains(rt.Roles, role) {
			out = append(out, rt.Name)
		}
	}
	return out
}

var errBadLogin = errf(http.StatusUnauthorized, "bad_credentials", "wrong name or password")

func (a *API) login(c echo.Context, _ *principal) error {
	var in loginIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	ctx := ctxOf(c)
	addr := remoteAddr(c.Request())
	account := strings.ToLower(strings.TrimSpace(in.Name))
	// Throttled per (account, address) and per address: the guesser's
	// address is slowed, and the owner elsewhere still logs in. Nothing
	// counts per account alone, which would let anyone lock anyone out.
	pair := account + "\x00" + addr
	for _, k := range []struct {
		th  throttle
		key string
	}{{a.byAccountAddr, pair}, {a.byAddress, addr}} {
		blocked, left, err := k.th.Blocked(ctx, k.key)
		if err != nil {
			return err
		}
		if blocked {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(left.Seconds()))))
			return errf(http.StatusTooManyRequests, "throttled", "too many failed logins; try again in %d minutes", int(math.Ceil(left.Minutes())))
		}
	}
	u, err := a.o.Store.UserByName(ctx, account)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = a.dummyHash // same work whether or not the account exists
	}
	select {
	case a.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	perr := auth.CheckPassword(hash, in.Password)
	<-a.hashing
	if perr != nil || err != nil || u.Disabled {
		// Counted even if the guesser hangs up before the answer.
		ctx := context.WithoutCancel(ctx)
		if err := a.byAccountAddr.Fail(ctx, pair); err != nil {
			return err
		}
		if err := a.byAddress.Fail(ctx, addr); err != nil {
			return err
		}
		who := store.Actor{Name: account, Addr: addr}
		if aerr := a.o.Store.Audit(ctx, who, "session.fail", "user", u.ID, map[string]any{"name": account}); aerr != nil {
			return aerr
		}
		return errBadLogin
	}
	// Only this pair is forgiven: a success on one account must not wipe
	// the address's failures on others.
	if err := a.byAccountAddr.Reset(ctx, pair); err != nil {
		return err
	}

	// Rotation: a new session id at every login, and the one the browser
	// had (if any) is gone.
	var old string
	if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
		old = auth.HashToken(ck.Value)
	}
	if err := a.o.Store.DeleteIdleSessions(ctx, a.o.Now().Add(-a.o.IdleTimeout)); err != nil {
		return err
	}
	token := auth.NewToken("")
	sess := store.Session{TokenHash: auth.HashToken(token), UserID: u.ID, CSRFToken: auth.NewToken(""), RemoteAddr: addr, CreatedAt: a.o.Now()}
	who := store.Actor{UserID: u.ID, Name: u.Name, Addr: addr}
	if err := a.o.Store.CreateSession(ctx, who, sess, old); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   a.o.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
	return c.JSON(http.StatusOK, sessionOut{User: u, CSRFToken: sess.CSRFToken, May: a.may(u.Role)})
}

func (a *API) logout(c echo.Context, p *principal) error {
	if p.Session == nil {
		return badRequest("a bearer token has no session; revoke the token with DELETE %s/tokens/{id}", Prefix)
	}
	if err := a.o.Store.Logout(ctxOf(c), p.actor(), p.Session.TokenHash); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.o.SecureCookies, SameSite: http.SameSiteLaxMode})
	return c.NoContent(http.StatusNoContent)
}

func (a *API) me(c echo.Context, p *principal) error {
	out := sessionOut{User: p.User, May: a.may(p.User.Role)}
	if p.Session != nil {
		out.CSRFToken = p.Session.CSRFToken
	}
	return c.JSON(http.StatusOK, out)
}
