package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

type unitIn struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Lead bool   `json:"lead"` // its people see every unit's proof of play
}

type unitPatch struct {
	Name *string `json:"name"`
	Kind *string `json:"kind"`
	Lead *bool   `json:"lead"`
	// StorageQuotaMiB sets the unit's own storage quota in MiB; 0 puts it
	// back on the site's default.
	StorageQuotaMiB *int64 `json:"storage_quota_mib"`
}

// name checks a required short text field.
func name(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", invalid("required", "%s is required", field).at(field)
	}
	if len([]rune(v)) > 200 {
		return "", invalid("too_long", "%s is longer than 200 characters", field).at(field).with("max", 200)
	}
	return v, nil
}

func (a *API) listUnits(c echo.Context, _ *principal) error {
	us, err := a.o.Store.Units(ctxOf(c), c.QueryParam("q"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.Unit]{Items: us})
}

func (a *API) createUnit(c echo.Context, p *principal) error {
	var in unitIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	u, err := a.o.Store.CreateUnit(ctxOf(c), p.actor(), store.Unit{Name: n, Kind: strings.TrimSpace(in.Kind), Lead: in.Lead})
	if err != nil {
		return storeErr(err, "unit", 0)
	}
	return c.JSON(http.StatusCreated, u)
}

func (a *API) getUnit(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	u, err := a.o.Store.Unit(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "unit", id)
	}
	return c.JSON(http.StatusOK, u)
}

func (a *API) updateUnit(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	u, err := a.o.Store.Unit(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "unit", id)
	}
	var in unitPatch
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if in.Name != nil {
		if u.Name, err = name("name", *in.Name); err != nil {
			return err
		}
	}
	if in.Kind != nil {
		u.Kind = strings.TrimSpace(*in.Kind)
	}
	if in.Lead != nil {
		u.Lead = *in.Lead
	}
	if q := in.StorageQuotaMiB; q != nil {
		switch {
		case *q < 0 || *q > 1<<30:
			return invalid("quota_range", "storage_quota_mib must be from 1 to %d MiB, or 0 for the site's default", 1<<30).at("storage_quota_mib").with("max", 1<<30)
		case *q == 0:
			u.StorageQuotaMiB = nil
		default:
			u.StorageQuotaMiB = q
		}
	}
	u, err = a.o.Store.UpdateUnit(ctxOf(c), p.actor(), u)
	if err != nil {
		return storeErr(err, "unit", id)
	}
	return c.JSON(http.StatusOK, u)
}

func (a *API) deleteUnit(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeleteUnit(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "unit", id)
	}
	return c.NoContent(http.StatusNoContent)
}
