package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/web"
)

// displayTZ is where the dashboard shows times by default.
const displayTZ = "Asia/Ho_Chi_Minh"

// dashboard renders the start page: which screens are online now, without
// addresses or anything else a passer-by should not learn. The full
// dashboard comes with its own issue; this page lets `make run` show life.
func dashboard(d Deps) echo.HandlerFunc {
	loc, err := time.LoadLocation(displayTZ)
	if err != nil {
		loc = time.UTC
	}
	return func(c echo.Context) error {
		lang := web.Lang(c.QueryParam("lang"))
		agents := d.Hub.Agents()
		rows := make([]web.AgentRow, 0, len(agents))
		for _, a := range agents {
			rows = append(rows, web.AgentRow{
				Name:        a.Name,
				Profile:     a.Profile,
				Panel:       a.Panel,
				ConnectedAt: a.ConnectedAt.In(loc).Format("02/01/2006 15:04:05"),
			})
		}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(http.StatusOK)
		return web.RenderIndex(c.Response(), web.IndexPage{Lang: lang, Version: d.Version, Agents: rows, TZ: displayTZ})
	}
}
