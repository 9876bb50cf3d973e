package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
)

// healthOut is a display's health history over [From, To).
type healthOut struct {
	From  time.Time            `json:"from"`
	To    time.Time            `json:"to"`
	Items []store.HealthSample `json:"items"`
}

// maxHealthSamples bounds one answer: 48 h at one sample per 30 s.
const maxHealthSamples = 5760

// getDisplayHealth returns a display's health samples from from to to
// (default: the last 24 h).
func (a *API) getDisplayHealth(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	q := &query{c: c}
	from, to := q.time("from"), q.time("to")
	if q.err != nil {
		return q.err
	}
	now := a.o.Now()
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) {
		return badRequest("from must be before to")
	}
	if _, err := a.o.Store.Display(ctxOf(c), id); err != nil {
		return storeErr(err, "display", id)
	}
	items, err := a.o.Store.HealthSamples(ctxOf(c), id, from, to, maxHealthSamples)
	if err != nil {
		return err
	}
	// The history is sampled; an online display's latest report ends it,
	// so a screen that just came online has a point too.
	if a.o.Hub != nil && !to.Before(now) && len(items) < maxHealthSamples {
		for _, ag := range a.o.Hub.Agents() {
			if ag.DisplayID == id && ag.Health != nil && (len(items) == 0 || items[len(items)-1].At.Before(ag.LastHeartbeat)) {
				items = append(items, store.HealthSampleOf(*ag.Health, ag.LastHeartbeat))
			}
		}
	}
	return c.JSON(http.StatusOK, healthOut{From: from.UTC(), To: to.UTC(), Items: items})
}
