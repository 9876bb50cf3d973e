package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDashboardPagesAndLanguage(t *testing.T) {
	e := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	get := func(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		path, want string
	}{
		{"/", `<h2>Màn hình</h2>`},
		{"/content", `<h2>Nội dung</h2>`},
		{"/reports", `<h2>Báo cáo</h2>`},
		{"/reports?lang=en", `<h2>Reports</h2>`},
		{"/?lang=xx", `<h2>Màn hình</h2>`},
	} {
		rec := get(tc.path)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GET %s: %d, want a page with %q:\n%s", tc.path, rec.Code, tc.want, rec.Body)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", tc.path, csp)
		}
	}

	// ?lang=en is remembered in a cookie; ?lang=vi switches back.
	rec := get("/?lang=en")
	var lang *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == langCookie {
			lang = c
		}
	}
	if lang == nil || lang.Value != "en" {
		t.Fatalf("no %s=en cookie set: %v", langCookie, rec.Result().Cookies())
	}
	if body := get("/content", lang).Body.String(); !strings.Contains(body, `<h2>Content</h2>`) || !strings.Contains(body, `lang="en"`) {
		t.Errorf("the cookie did not keep English:\n%s", body)
	}
	if body := get("/content?lang=vi", lang).Body.String(); !strings.Contains(body, `<h2>Nội dung</h2>`) {
		t.Errorf("?lang=vi did not win over the cookie:\n%s", body)
	}

	// Static files are served with their types.
	for path, typ := range map[string]string{"/static/pano.js": "javascript", "/static/displays.js": "javascript", "/static/pano.css": "text/css"} {
		rec := get(path)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), typ) {
			t.Errorf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}

// TestStaticHasNoDirectoryListing: /static/ serves files, never the list
// of a folder's files.
func TestStaticHasNoDirectoryListing(t *testing.T) {
	e := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	for path, want := range map[string]int{"/static/": http.StatusNotFound, "/static/pano.js": http.StatusOK, "/static/nothing.js": http.StatusNotFound} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want || strings.Contains(rec.Body.String(), `<a href="pano.js">`) {
			t.Errorf("GET %s: %d, want %d:\n%.200s", path, rec.Code, want, rec.Body)
		}
	}
}
