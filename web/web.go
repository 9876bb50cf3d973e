// Package web holds the dashboard: HTML templates, static files and the UI
// strings in Vietnamese (the default) and English, embedded into the
// controller binary.
package web

import (
	"embed"
	"html/template"
	"io"
	"io/fs"

	"github.com/pano-signage/pano/protocol"
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

// AgentRow is one online screen on the start page.
type AgentRow struct {
	Name        string
	Profile     string
	Panel       protocol.Panel
	ConnectedAt string // already in the display time zone
}

// IndexPage is the start page's data.
type IndexPage struct {
	Lang    Lang
	Version string
	TZ      string
	Agents  []AgentRow
}

// RenderIndex writes the start page.
func RenderIndex(w io.Writer, p IndexPage) error {
	p.Lang = Lang(p.Lang.String())
	return templates.ExecuteTemplate(w, "index.html", p)
}
