package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

type tokenIn struct {
	Name string `json:"name"`
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
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	secret := auth.NewToken(tokenPrefix)
	t, err := a.o.Store.CreateAPIToken(ctxOf(c), p.actor(), store.APIToken{UserID: p.User.ID, Name: n, Prefix: secret[:len(tokenPrefix)+6]}, auth.HashToken(secret))
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
