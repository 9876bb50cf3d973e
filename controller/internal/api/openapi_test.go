package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes compares the served document with the routes
// echo actually has under /api/v1, both ways, and checks that every
// operation's parameters and schemas resolve.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	v := newEnv(t)
	r := must(t, v.do(cred{}, "GET", "/openapi.json", nil), 200)
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Paths      map[string]map[string]map[string]any
		Components struct {
			Schemas map[string]any
		}
	}
	r.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}

	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, rt := range v.e.Routes() {
		if strings.HasPrefix(rt.Path, Prefix+"/") {
			registered[rt.Method+" "+openAPIPath(rt.Path)] = true
		}
	}
	for k := range registered {
		if !documented[k] {
			t.Errorf("registered but not documented: %s", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("documented but not registered: %s", k)
		}
	}
	if len(registered) != len(v.api.Routes()) {
		t.Errorf("%d routes registered under %s, %d in the table", len(registered), Prefix, len(v.api.Routes()))
	}

	// Every $ref resolves, and every path parameter is declared.
	raw := string(r.Body)
	for _, ref := range refs(raw) {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if doc.Components.Schemas[name] == nil {
			t.Errorf("unresolved $ref %s", ref)
		}
	}
	ops := map[string]bool{}
	for path, item := range doc.Paths {
		for method, op := range item {
			id, _ := op["operationId"].(string)
			if id == "" || ops[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, id)
			}
			ops[id] = true
			var declared []string
			ps, _ := op["parameters"].([]any)
			for _, p := range ps {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					declared = append(declared, pm["name"].(string))
				}
			}
			for _, seg := range strings.Split(path, "/") {
				if strings.HasPrefix(seg, "{") && !slices.Contains(declared, strings.Trim(seg, "{}")) {
					t.Errorf("%s %s: path parameter %s not declared", method, path, seg)
				}
			}
		}
	}
	// The schema of what the media route returns names the revision fields
	// the content pipeline fills in.
	media, _ := json.Marshal(doc.Components.Schemas["MediaRevision"])
	for _, f := range []string{"sha256", "mime", "bytes", "width", "height", "duration_ms", "processing", "processing_progress"} {
		if !strings.Contains(string(media), fmt.Sprintf("%q", f)) {
			t.Errorf("MediaRevision schema lacks %s: %s", f, media)
		}
	}
}

func refs(doc string) []string {
	var out []string
	for _, part := range strings.Split(doc, `"$ref":"`)[1:] {
		out = append(out, part[:strings.Index(part, `"`)])
	}
	return out
}
