package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// settingsIn changes the site's settings; an absent field keeps its value.
type settingsIn struct {
	// TwoPersonRule: nobody approves their own work (issue 12.6).
	TwoPersonRule *bool `json:"two_person_rule"`
}

func (a *API) getSettings(c echo.Context, _ *principal) error {
	st, err := a.o.Store.Settings(ctxOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (a *API) updateSettings(c echo.Context, p *principal) error {
	var in settingsIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	st, err := a.o.Store.Settings(ctxOf(c))
	if err != nil {
		return err
	}
	if in.TwoPersonRule != nil {
		st.TwoPersonRule = *in.TwoPersonRule
	}
	out, err := a.o.Store.SetSettings(ctxOf(c), p.actor(), st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
