package api

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/web"
)

// errorSources reads the sources of every package whose errors reach an
// API answer and returns the error codes they can produce, and the input
// fields the API names (Error.at, name, clock), each with where it is. A
// code must be written where the error is made, as a string literal (or
// an assets code constant), so that this test sees it: a code it cannot
// read is an error.
func errorSources(t *testing.T) (codes, fields map[string]string) {
	t.Helper()
	codes, fields = map[string]string{}, map[string]string{}
	fset := token.NewFileSet()
	parse := func(dir string) []*ast.File {
		paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		var out []*ast.File
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, f)
		}
		if len(out) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		return out
	}
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	where := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
	}

	// The assets package's codes: an upload refused there answers with
	// its code (assetErr), so every one of them can reach the API.
	assetCodes := map[string]string{} // constant name → code
	for _, f := range parse("../../../assets") {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					if v, ok := lit(vs.Values[i]); ok {
						assetCodes[n.Name] = v
						codes[v] = "assets " + where(n)
					}
				}
			}
		}
	}
	if len(assetCodes) < 10 {
		t.Fatalf("found only %d assets codes; is the pattern stale?", len(assetCodes))
	}

	// The API's: errf(status, CODE, …), invalid(CODE, …), Error{Code: CODE}.
	for _, f := range parse(".") {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			inFunc := ""
			if ok {
				inFunc = fd.Name.Name
			}
			ast.Inspect(d, func(n ast.Node) bool {
				var code ast.Expr
				switch x := n.(type) {
				case *ast.CallExpr:
					switch fn := x.Fun.(type) {
					case *ast.Ident:
						switch {
						case fn.Name == "errf" && len(x.Args) > 1:
							code = x.Args[1]
						case fn.Name == "invalid" && len(x.Args) > 0:
							code = x.Args[0]
						case (fn.Name == "name" || fn.Name == "clock") && len(x.Args) > 0:
							if v, ok := lit(x.Args[0]); ok {
								fields[v] = where(x)
							}
						}
					case *ast.SelectorExpr:
						if fn.Sel.Name == "at" && len(x.Args) == 1 {
							if v, ok := lit(x.Args[0]); ok {
								fields[v] = where(x)
							}
						}
					}
				case *ast.CompositeLit:
					if id, ok := x.Type.(*ast.Ident); ok && id.Name == "Error" {
						for _, el := range x.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok && fmt.Sprint(kv.Key) == "Code" {
								code = kv.Value
							}
						}
					}
				}
				if code == nil {
					return true
				}
				if v, ok := lit(code); ok {
					codes[v] = where(code)
				} else if sel, ok := code.(*ast.SelectorExpr); ok && fmt.Sprint(sel.X) == "assets" && assetCodes[sel.Sel.Name] != "" {
					codes[assetCodes[sel.Sel.Name]] = where(code)
				} else if !slices.Contains([]string{"errf", "invalid", "assetErr"}, inFunc) { // the callers of errf and invalid are read; assetErr passes on the assets codes, counted above
					t.Errorf("%s: the error code is not a string literal, so this test cannot check it has a translation", where(code))
				}
				return true
			})
		}
	}

	// The store's: &StateError{Code: CODE, …}, &ConflictError{Code: CODE, …}.
	for _, f := range parse("../store") {
		ast.Inspect(f, func(n ast.Node) bool {
			x, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			id, ok := x.Type.(*ast.Ident)
			if !ok || (id.Name != "StateError" && id.Name != "ConflictError") {
				return true
			}
			found := false
			for _, el := range x.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok && fmt.Sprint(kv.Key) == "Code" {
					if v, ok := lit(kv.Value); ok {
						codes[v], found = where(x), true
					}
				}
			}
			if !found {
				t.Errorf("store %s: a %s without a literal Code", where(x), id.Name)
			}
			return true
		})
	}

	// The server's error handler: echo's own errors by status, and the
	// codes it assigns (internal, error).
	for _, f := range parse("../server") {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				if len(x.Names) == 1 && x.Names[0].Name == "errorCodes" && len(x.Values) == 1 {
					for _, el := range x.Values[0].(*ast.CompositeLit).Elts {
						if v, ok := lit(el.(*ast.KeyValueExpr).Value); ok {
							codes[v] = "server " + where(el)
						}
					}
				}
			case *ast.AssignStmt:
				for i, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name == "code" && i < len(x.Rhs) && len(x.Lhs) == len(x.Rhs) {
						if v, ok := lit(x.Rhs[i]); ok {
							codes[v] = "server " + where(x)
						}
					}
				}
			}
			return true
		})
	}
	return codes, fields
}

// TestErrorCodesTranslated: the dashboard shows every error the API can
// answer with in its own words, in both languages, and every input field
// the API names; a new code without strings fails here.
func TestErrorCodesTranslated(t *testing.T) {
	codes, fields := errorSources(t)
	// Codes this test must find, lest it pass by finding nothing: one of
	// each source.
	for _, c := range []string{"bad_request", "name_taken", "wrong_state", "required", "unsupported_type", "method_not_allowed", "internal", "forbidden"} {
		if codes[c] == "" {
			t.Errorf("code %q not found in the sources; is the scan stale?", c)
		}
	}
	if len(codes) < 50 {
		t.Errorf("found only %d codes", len(codes))
	}
	for _, lang := range []web.Lang{"vi", "en"} {
		for c, at := range codes {
			if !web.HasString(lang, "err_"+c) {
				t.Errorf("code %q (%s) has no %s string err_%s (add it to web/i18n_errors.go)", c, at, lang, c)
			}
		}
		for f, at := range fields {
			if !web.HasString(lang, "errv_field_"+f) {
				t.Errorf("field %q (%s) has no %s string errv_field_%s (add it to web/i18n_errors.go)", f, at, lang, f)
			}
		}
	}
	// The wrong_state params name statuses, which the dashboard words too.
	for _, lang := range []web.Lang{"vi", "en"} {
		for _, s := range []string{store.StatusDraft, store.StatusPending, store.StatusApproved, store.StatusRejected} {
			if !web.HasString(lang, "errv_status_"+s) {
				t.Errorf("no %s string errv_status_%s", lang, s)
			}
		}
		for _, s := range []string{store.StatusPending, store.StatusApproved, store.StatusRejected} {
			if !web.HasString(lang, "errv_to_"+s) {
				t.Errorf("no %s string errv_to_%s", lang, s)
			}
		}
	}
}

// TestErrorDetails: an error answer carries what its message names as
// params, and the input at fault as field, beside a code and the English
// message; an error without details has neither.
func TestErrorDetails(t *testing.T) {
	v := newEnv(t)
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	draft := v.media(v.unitA.ID, store.StatusDraft)
	g := v.group()
	must(t, v.do(tech, "POST", "/groups", map[string]any{"name": "Trường học"}), 201)
	type answer struct {
		Error map[string]any `json:"error"`
	}
	for _, tc := range []struct {
		name   string
		who    cred
		method string
		path   string
		body   any
		status int
		want   string // the error object, as JSON
	}{
		{"name taken", tech, "POST", "/groups", map[string]any{"name": "Trường học"}, 409,
			`{"code":"name_taken","message":"a group named \"Trường học\" exists","params":{"name":"Trường học"}}`},
		{"end time", ap, "POST", "/schedules", map[string]any{"playlist_id": 1, "group_id": g, "starts_on": "2026-12-01", "ends_on": "2026-12-31", "weekdays": 127, "start_time": "22:00", "end_time": "06:00"}, 400,
			`{"code":"end_time_before_start","field":"end_time","message":"end_time 06:00 must be after start_time 22:00","params":{"end_time":"06:00","start_time":"22:00"}}`},
		{"required", ed, "POST", "/playlists", map[string]any{"name": " "}, 400,
			`{"code":"required","field":"name","message":"name is required"}`},
		{"wrong state", ap, "POST", fmt.Sprintf("/media/%d/approve", draft), nil, 409,
			fmt.Sprintf(`{"code":"wrong_state","message":"media %d: it is draft; only pending content can be approved","params":{"status":"draft","to":"approved"}}`, draft)},
		{"forbidden names the roles", ed, "POST", "/groups", map[string]any{"name": "x"}, 403,
			`{"code":"forbidden","message":"this needs the role technician or admin","roles":["technician","admin"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := v.do(tc.who, tc.method, tc.path, tc.body)
			var got, want answer
			r.json(t, &got)
			if err := json.Unmarshal([]byte(`{"error":`+tc.want+`}`), &want); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if r.Status != tc.status || string(g) != string(w) {
				t.Fatalf("%d %s\nwant %d %s", r.Status, g, tc.status, w)
			}
		})
	}
}

// TestErrorDetailsDoNotMutate: adding details to a shared error (a
// package variable) leaves it as it was.
func TestErrorDetailsDoNotMutate(t *testing.T) {
	shared := errf(http.StatusForbidden, "forbidden", "no")
	e := shared.detail("roles", []string{"admin"}).with("x", 1)
	if shared.Details != nil {
		t.Fatalf("the shared error changed: %v", shared.Details)
	}
	if !slices.Equal(e.Details["roles"].([]string), []string{"admin"}) || e.Details["params"].(map[string]any)["x"] != 1 {
		t.Fatalf("details lost: %v", e.Details)
	}
	f := e.with("y", 2)
	if _, ok := e.Details["params"].(map[string]any)["y"]; ok {
		t.Fatal("with changed the error it was called on")
	}
	if f.Details["params"].(map[string]any)["x"] != 1 {
		t.Fatal("with dropped an earlier param")
	}
}
