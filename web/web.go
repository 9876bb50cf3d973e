// Package web holds the dashboard: HTML shell pages, their scripts and
// styles, and the UI strings in Vietnamese (the default) and English,
// embedded into the controller binary.
//
// The pages carry no data: each is a shell whose script asks the JSON API
// (with the session cookie and the CSRF header), so the API's checks are the
// only authorization path. Scripts and styles are static files: the
// controller's Content-Security-Policy allows no inline ones.
//
// A page NAME is three files: templates/pages/NAME.html (its "main"
// block), static/NAME.js and its strings in i18n_NAME.go.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strings"

	"github.com/pano-signage/pano/protocol"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Static serves the files under static/.
var Static, _ = fs.Sub(staticFS, "static")

// PageInfo is one page of the dashboard.
type PageInfo struct {
	Name string // static/NAME.js, templates/pages/NAME.html, nav_NAME
	Path string // where the controller serves it
	// Roles are those whose navigation shows the page; anyone may open it
	// (the API decides what they see), but a link that leads to nothing of
	// theirs is noise.
	Roles []string
}

// RoleList is Roles as the nav's data-roles attribute.
func (p PageInfo) RoleList() string { return strings.Join(p.Roles, " ") }

var (
	everyone = []string{"admin", "approver", "editor", "technician", "viewer"}
	// Pages are the dashboard's pages, in navigation order.
	Pages = []PageInfo{
		{Name: "displays", Path: "/", Roles: everyone},
		{Name: "content", Path: "/content", Roles: everyone},
		// The program editor is opened from the Nội dung page (a new
		// program, or a program's layout): no role's navigation lists it.
		{Name: "programs", Path: "/programs"},
		{Name: "rotations", Path: "/rotations", Roles: everyone},
		{Name: "schedules", Path: "/schedules", Roles: everyone},
		{Name: "reports", Path: "/reports", Roles: everyone},
		// Approvers keep campaigns and read the audit log there,
		// technicians keep display groups; admin.js shows each role its
		// sections only.
		{Name: "admin", Path: "/admin", Roles: []string{"admin", "approver", "technician"}},
	}
)

var funcs = template.FuncMap{"t": func(lang Lang, key string) string { return T(lang, key) }}

// templates holds one template set per page: the shell with that page's
// "main" block.
var templates = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/page.html"))
	out := make(map[string]*template.Template, len(Pages))
	for _, p := range Pages {
		out[p.Name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/pages/"+p.Name+".html"))
	}
	return out
}()

// Page is what a shell page needs: no data, only its language and where
// it is.
type Page struct {
	Name    string // one of Pages
	Lang    Lang
	Version string
	TZ      string // IANA zone the scripts show times in
	Site    string // who runs the screens, for printed reports; may be empty
}

// pageData is Page plus what the template derives from it.
type pageData struct {
	Page
	Pages    []PageInfo
	Messages map[string]string
	// MaxPanelSide is protocol's panel limit, for the displays form.
	MaxPanelSide int
}

// RenderPage writes the shell of one dashboard page.
func RenderPage(w io.Writer, p Page) error {
	tpl, ok := templates[p.Name]
	if !ok {
		return fmt.Errorf("web: no page %q", p.Name)
	}
	p.Lang = Lang(p.Lang.String())
	return tpl.ExecuteTemplate(w, "page.html", pageData{Page: p, Pages: Pages, Messages: Messages(p.Lang), MaxPanelSide: protocol.MaxPanelSide})
}
