package web

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAdminAuditWords checks that every audit action and object type the
// admin page offers as a filter has a string in both languages (admin.js
// builds those keys, so TestScriptKeysExist cannot see them).
func TestAdminAuditWords(t *testing.T) {
	for _, list := range []struct{ name, prefix string }{{"actions", "adm_act_"}, {"objects", "adm_obj_"}} {
		for _, w := range adminList(t, list.name) {
			key := list.prefix + strings.ReplaceAll(w, ".", "_")
			for _, lang := range []string{"vi", "en"} {
				if _, ok := messages[lang][key]; !ok {
					t.Errorf("%s: no %s string %q", list.name, lang, key)
				}
			}
		}
	}
	for _, r := range []string{"admin", "approver", "editor", "technician", "viewer"} {
		if _, ok := messages["vi"]["adm_rolehelp_"+r]; !ok {
			t.Errorf("no adm_rolehelp_%s", r)
		}
	}
}

// adminList returns the words of admin.js's const name = [...].
func adminList(t *testing.T, name string) []string {
	t.Helper()
	b, err := fs.ReadFile(Static, "admin.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const ` + name + ` = \[([^\]]+)\]`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("admin.js has no const %s = [...]", name)
	}
	var out []string
	for _, w := range regexp.MustCompile(`'([a-z_.]+)'`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, w[1])
	}
	if len(out) < 10 {
		t.Fatalf("%s: only %d words", name, len(out))
	}
	return out
}

// auditWrites reads the controller's sources for what it writes to the
// audit log: the actions (the action argument of store.change, transact,
// Audit and the decision helpers) and the keys of the events' details
// (the maps built in the functions given to change, or handed to Audit,
// and functions named …Detail), each with where it is. An action that is
// neither a literal nor a wrapper's parameter named action is an error:
// this test could not see it.
func auditWrites(t *testing.T) (actions, keys map[string]string) {
	t.Helper()
	actions, keys = map[string]string{}, map[string]string{}
	fset := token.NewFileSet()
	where := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
	}
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	// detailKeys collects the keys of the detail maps under n: map
	// literals (not an error's Params) and detail["k"] = … assignments.
	detailKeys := func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok && id.Name == "Params" {
					return false
				}
			case *ast.CompositeLit:
				if mt, ok := x.Type.(*ast.MapType); ok {
					if k, ok := mt.Key.(*ast.Ident); ok && k.Name == "string" {
						for _, e := range x.Elts {
							if kv, ok := e.(*ast.KeyValueExpr); ok {
								if s, ok := lit(kv.Key); ok {
									keys[s] = where(kv)
								}
							}
						}
					}
				}
			case *ast.AssignStmt:
				for _, l := range x.Lhs {
					if ix, ok := l.(*ast.IndexExpr); ok {
						if id, ok := ix.X.(*ast.Ident); ok && (id.Name == "detail" || id.Name == "d") {
							if s, ok := lit(ix.Index); ok {
								keys[s] = where(ix)
							}
						}
					}
				}
			}
			return true
		})
	}
	actionArg := map[string]int{"change": 2, "transact": 2, "Audit": 2, "mediaDecision": 3, "playlistDecision": 3}
	for _, dir := range []string{"../controller/internal/store", "../controller/internal/api"} {
		paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if fd, ok := n.(*ast.FuncDecl); ok && strings.HasSuffix(fd.Name.Name, "Detail") {
					detailKeys(fd.Body)
				}
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				i, ok := actionArg[sel.Sel.Name]
				if !ok || len(call.Args) <= i {
					return true
				}
				if s, ok := lit(call.Args[i]); ok {
					actions[s] = where(call)
				} else if id, ok := call.Args[i].(*ast.Ident); !ok || id.Name != "action" {
					t.Errorf("%s: an audit action this test cannot read", where(call))
				}
				for _, a := range call.Args[i+1:] {
					if _, ok := a.(*ast.FuncLit); ok || sel.Sel.Name == "Audit" {
						detailKeys(a)
					}
				}
				return true
			})
		}
	}
	if len(actions) < 40 || len(keys) < 25 {
		t.Fatalf("found only %d audit actions and %d detail keys; is the scan stale?", len(actions), len(keys))
	}
	return actions, keys
}

// TestEveryAuditWriteHasWords checks that every action the controller can
// write to the audit log is one the admin page lists (and so has words,
// see TestAdminAuditWords), and that every key of an event's detail has a
// name in both languages (adm_det_KEY), so the log shows no raw codes.
func TestEveryAuditWriteHasWords(t *testing.T) {
	actions, keys := auditWrites(t)
	listed := adminList(t, "actions")
	for a, at := range actions {
		if !slices.Contains(listed, a) {
			t.Errorf("%s writes audit action %q, which admin.js's actions do not list", at, a)
		}
	}
	for k, at := range keys {
		for _, lang := range []string{"vi", "en"} {
			if _, ok := messages[lang]["adm_det_"+k]; !ok {
				t.Errorf("%s writes audit detail %q, which has no %s string adm_det_%s", at, k, lang, k)
			}
		}
	}
}
