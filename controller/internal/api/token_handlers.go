package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

type tokenIn struct {
	Name string `json:"name"`
	// ExpiresInDays: how long the token works, 1 to 366 days (default 90).
	ExpiresInDays *int `json:"expires_in_days"`
	// Scopes: what the token may do, some of read, content, devices and
	// admin (default read only), each one the owner's role can use.
	Scopes []string `json:"scopes"`
}

// Token lifetimes.
const (
	defaultTokenDays = 90
	maxTokenDays     = 366
)

// scopesFor lists the scopes role can use: those of at least one route
// the role may call (one's own tokens aside: every role manages those).
func (a *API) scopesFor(role string) []string {
	var out []string
	for _, sc := range store.Scopes {
		for _, rt := range a.Routes() {
			if rt.Tag != "tokens" && slices.Contains(rt.Roles, role) && scopeOf(rt) == sc {
				out = append(out, sc)
				break
			}
		}
	}
	return out
}

type tokenOut struct {
	Token  store.APIToken `json:"token"`
	Secret string         `json:"secret"` // shown this once; send as "Authorization: Bearer SECRET"
}

// tokenPrefix marks pano tokens, so that secret scanners can find leaked ones.
const tokenPrefix = "pano_"

func (a *API) listTokens(c echo.Context, p *principal) error {
	ts, err := a.o.Store.APITokens(ctxOf(c), p.User.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.APIToken]{Items: ts})
}

func (a *API) createToken(c echo.Context, p *principal) error {
	var in tokenIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	// A token cannot make tokens: it would outlive itself, or widen its
	// own scopes.
	if p.TokenID != 0 {
		return errf(http.StatusForbidden, "token_makes_token", "an API token cannot create API tokens; log in to create one")
	}
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	days := defaultTokenDays
	if in.ExpiresInDays != nil {
		days = *in.ExpiresInDays
	}
	if days < 1 || days > maxTokenDays {
		return invalid("token_days_range", "expires_in_days must be from 1 to %d", maxTokenDays).at("expires_in_days").with("min", 1).with("max", maxTokenDays)
	}
	scopes := []string{store.ScopeRead}
	if in.Scopes != nil {
		allowed := a.scopesFor(p.User.Role)
		scopes = nil
		for _, sc := range store.Scopes { // in order, once each
			if slices.Contains(in.Scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		for _, sc := range in.Scopes {
			if !slices.Contains(allowed, sc) {
				return invalid("token_scope_invalid", "scope %q is not one your role (%s) can use; choose among %s", sc, p.User.Role, strings.Join(allowed, ", ")).
					at("scopes").with("scope", sc)
			}
		}
		if len(scopes) == 0 {
			return invalid("required", "choose at least one scope").at("scopes")
		}
	}
	secret := auth.NewToken(tokenPrefix)
	t, err := a.o.Store.CreateAPIToken(ctxOf(c), p.actor(), store.APIToken{UserID: p.User.ID, Name: n, Prefix: secret[:len(tokenPrefix)+6],
		Scopes: scopes, ExpiresAt: a.o.Now().Add(time.Duration(days) * 24 * time.Hour)}, auth.HashToken(secret))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenOut{Token: t, Secret: secret})
}

func (a *API) revokeToken(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.RevokeAPIToken(ctxOf(c), p.actor(), p.User.ID, id); err != nil {
		return storeErr(err, "token", id)
	}
	return c.NoContent(http.StatusNoContent)
}
