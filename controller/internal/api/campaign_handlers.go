package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

type campaignIn struct {
	UnitID   *int64   `json:"unit_id"` // owner unit, default: yours
	Name     string   `json:"name"`
	StartsOn string   `json:"starts_on"` // YYYY-MM-DD
	EndsOn   string   `json:"ends_on"`   // YYYY-MM-DD, inclusive
	Themes   []string `json:"themes"`
}

type campaignPatch struct {
	UnitID   *int64    `json:"unit_id"`
	Name     *string   `json:"name"`
	StartsOn *string   `json:"starts_on"`
	EndsOn   *string   `json:"ends_on"`
	Themes   *[]string `json:"themes"` // matched by position; media keep their theme
}

func checkPeriod(from, to string) error {
	a, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return invalid("invalid_date", "starts_on %q is not a date YYYY-MM-DD", from).at("starts_on").with("value", from)
	}
	b, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return invalid("invalid_date", "ends_on %q is not a date YYYY-MM-DD", to).at("ends_on").with("value", to)
	}
	if b.Before(a) {
		return invalid("end_before_start", "ends_on %s is before starts_on %s", to, from).at("ends_on").with("starts_on", from).with("ends_on", to)
	}
	return nil
}

func themes(ts []string) ([]store.Theme, error) {
	if len(ts) > 50 {
		return nil, invalid("too_many_themes", "a campaign has at most 50 themes").at("themes").with("max", 50)
	}
	out := make([]store.Theme, 0, len(ts))
	for i, t := range ts {
		n, err := name("theme", t)
		var e *Error
		if errors.As(err, &e) {
			e.Message = fmt.Sprintf("theme %d: %s", i+1, e.Message)
			return nil, e.with("item", i+1)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, store.Theme{Title: n})
	}
	return out, nil
}

func (a *API) listCampaigns(c echo.Context, _ *principal) error {
	cs, err := a.o.Store.Campaigns(ctxOf(c), c.QueryParam("q"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.Campaign]{Items: cs})
}

func (a *API) createCampaign(c echo.Context, p *principal) error {
	var in campaignIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	unit, err := targetUnit(p, in.UnitID)
	if err != nil {
		return err
	}
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	if err := checkPeriod(in.StartsOn, in.EndsOn); err != nil {
		return err
	}
	ts, err := themes(in.Themes)
	if err != nil {
		return err
	}
	cp, err := a.o.Store.CreateCampaign(ctxOf(c), p.actor(), store.Campaign{UnitID: unit, Name: n, StartsOn: in.StartsOn, EndsOn: in.EndsOn, Themes: ts})
	if err != nil {
		return storeErr(err, "unit", unit)
	}
	return c.JSON(http.StatusCreated, cp)
}

func (a *API) getCampaign(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cp, err := a.o.Store.Campaign(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "campaign", id)
	}
	return c.JSON(http.StatusOK, cp)
}

func (a *API) updateCampaign(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cp, err := a.o.Store.Campaign(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "campaign", id)
	}
	var in campaignPatch
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if in.UnitID != nil {
		cp.UnitID = *in.UnitID
	}
	if in.Name != nil {
		if cp.Name, err = name("name", *in.Name); err != nil {
			return err
		}
	}
	if in.StartsOn != nil {
		cp.StartsOn = *in.StartsOn
	}
	if in.EndsOn != nil {
		cp.EndsOn = *in.EndsOn
	}
	if err := checkPeriod(cp.StartsOn, cp.EndsOn); err != nil {
		return err
	}
	cp.Themes = nil
	if in.Themes != nil {
		if cp.Themes, err = themes(*in.Themes); err != nil {
			return err
		}
	}
	cp, err = a.o.Store.UpdateCampaign(ctxOf(c), p.actor(), cp)
	if err != nil {
		return storeErr(err, "campaign", id)
	}
	return c.JSON(http.StatusOK, cp)
}

func (a *API) deleteCampaign(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeleteCampaign(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "campaign", id)
	}
	return c.NoContent(http.StatusNoContent)
}
