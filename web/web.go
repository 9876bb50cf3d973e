// Package web holds the dashboard: HTML shell pages, their scripts and
// styles, and the UI strings in Vietnamese (the default) and English,
// embedded into the controller binary.
//
// The pages carry no data: each is a shell whose script asks the JSON API
// (with the session cookie and the CSRF header), so the API's checks are the
// only authorization path. Scripts and styles are static files: the
// controller's Content-Security-Policy allows no inline ones.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Static serves the files under static/.
var Static, _ = fs.Sub(staticFS, "static")

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"t": func(lang Lang, key string) string { return T(lang, key) },
}).ParseFS(templateFS, "templates/*.html"))

// Pages are the dashboard's pages by name; each has static/NAME.js.
var Pages = []string{"displays", "content", "reports"}

// Page is what a shell page needs: no data, only its language and where
// it is.
type Page struct {
	Name    string // one of Pages
	Lang    Lang
	Version string
	TZ      string // IANA zone the scripts show times in
}

// pageData is Page plus what the template derives from it.
type pageData struct {
	Page
	Pages    []string
	Messages map[string]string
}

// RenderPage writes the shell of one dashboard page.
func RenderPage(w io.Writer, p Page) error {
	known := false
	for _, n := range Pages {
		known = known || n == p.Name
	}
	if !known {
		return fmt.Errorf("web: no page %q", p.Name)
	}
	p.Lang = Lang(p.Lang.String())
	return templates.ExecuteTemplate(w, "page.html", pageData{Page: p, Pages: Pages, Messages: Messages(p.Lang)})
}
