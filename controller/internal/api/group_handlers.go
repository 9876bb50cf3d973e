package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

type groupIn struct {
	Name string `json:"name"`
}

func (a *API) listGroups(c echo.Context, _ *principal) error {
	gs, err := a.o.Store.Groups(ctxOf(c), c.QueryParam("q"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.Group]{Items: gs})
}

func (a *API) createGroup(c echo.Context, p *principal) error {
	var in groupIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	g, err := a.o.Store.CreateGroup(ctxOf(c), p.actor(), n)
	if err != nil {
		return storeErr(err, "group", 0)
	}
	return c.JSON(http.StatusCreated, g)
}

func (a *API) getGroup(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	g, err := a.o.Store.Group(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "group", id)
	}
	return c.JSON(http.StatusOK, g)
}

func (a *API) updateGroup(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := a.o.Store.Group(ctxOf(c), id); err != nil {
		return storeErr(err, "group", id)
	}
	var in groupIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	g, err := a.o.Store.RenameGroup(ctxOf(c), p.actor(), id, n)
	if err != nil {
		return storeErr(err, "group", id)
	}
	return c.JSON(http.StatusOK, g)
}

func (a *API) deleteGroup(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeleteGroup(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "group", id)
	}
	return c.NoContent(http.StatusNoContent)
}
