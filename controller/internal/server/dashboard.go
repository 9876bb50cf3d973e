package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/web"
)

// defaultTZ is where the dashboard shows times unless told otherwise.
const defaultTZ = "Asia/Ho_Chi_Minh"

// langCookie keeps the language chosen with ?lang=.
const langCookie = "pano_lang"

// dashboard renders the shell of a dashboard page. It holds no data and
// needs no login: its script logs in and reads everything through the JSON
// API, which checks every request.
func dashboard(d Deps, page string) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := pageLang(c)
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		c.Response().WriteHeader(http.StatusOK)
		tz := d.TimeZone
		if tz == "" {
			tz = defaultTZ
		}
		return web.RenderPage(c.Response(), web.Page{Name: page, Lang: lang, Version: d.Version, TZ: tz, Site: d.SiteName})
	}
}

// pageLang is the language of ?lang= (remembered in a cookie), else the
// cookie's, else Vietnamese.
func pageLang(c echo.Context) web.Lang {
	if l, ok := web.ParseLang(c.QueryParam("lang")); ok {
		c.SetCookie(&http.Cookie{Name: langCookie, Value: l.String(), Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if ck, err := c.Cookie(langCookie); err == nil {
		l, _ := web.ParseLang(ck.Value)
		return l
	}
	return "vi"
}
