package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

func (a *API) listAudit(c echo.Context, _ *principal) error {
	q := &query{c: c}
	f := store.AuditFilter{
		Action:     q.str("action"),
		ObjectType: q.str("object_type"),
		ObjectID:   q.id("object_id"),
		ActorID:    q.id("actor_id"),
		ActorName:  q.str("actor"),
		From:       q.time("from"),
		To:         q.time("to"),
		BeforeID:   q.id("before_id"),
		Limit:      q.intIn("limit", 50, 1, 500),
	}
	if q.err != nil {
		return q.err
	}
	es, err := a.o.Store.ListAudit(ctxOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.AuditEvent]{Items: es})
}
