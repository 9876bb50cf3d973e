package api

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// OpenAPI builds the OpenAPI 3.1 document from the route table: paths,
// roles, query parameters, and body schemas derived from the Go types the
// handlers decode and encode. TestOpenAPIMatchesRoutes keeps it true.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]any{}
	for _, rt := range a.Routes() {
		op := map[string]any{
			"operationId": rt.Name,
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if name, ok := strings.CutPrefix(seg, ":"); ok {
				params = append(params, map[string]any{"name": name, "in": "path", "required": true,
					"schema": map[string]any{"type": "integer", "minimum": 1}})
			}
		}
		for _, p := range rt.Query {
			s := map[string]any{"type": p.Type}
			if p.Enum != nil {
				s["enum"] = p.Enum
			}
			if p.Format != "" {
				s["format"] = p.Format
			}
			qp := map[string]any{"name": p.Name, "in": "query", "schema": s}
			if p.Desc != "" {
				qp["description"] = p.Desc
			}
			params = append(params, qp)
		}
		if params != nil {
			op["parameters"] = params
		}
		content := map[string]any{}
		if rt.In != nil {
			content["application/json"] = map[string]any{"schema": g.schema(reflect.TypeOf(rt.In))}
		}
		if rt.Form != nil {
			props := map[string]any{}
			var required []string
			for _, f := range rt.Form {
				s := map[string]any{"type": f.Type}
				if f.Type == "binary" {
					s = map[string]any{"type": "string", "format": "binary"}
					required = append(required, f.Name)
				}
				if f.Desc != "" {
					s["description"] = f.Desc
				}
				props[f.Name] = s
			}
			content["multipart/form-data"] = map[string]any{"schema": map[string]any{"type": "object", "properties": props, "required": required}}
		}
		if len(content) > 0 {
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Out != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Out))}}
		}
		if rt.Produces != "" {
			ok["content"] = map[string]any{rt.Produces: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(rt.Status): ok,
			"default": map[string]any{"description": "an error", "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
		}
		if rt.Roles == nil {
			op["security"] = []any{}
		} else {
			op["x-roles"] = rt.Roles
			op["x-unit-scoped"] = rt.UnitScoped
			op["x-token-scope"] = scopeOf(rt)
		}
		path := openAPIPath(rt.Path)
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	g.defs["Error"] = map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
		"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
			"code": map[string]any{"type": "string", "description": "stable, for programs: what went wrong " +
				"(bad_request is a malformed request; others are specific, e.g. name_taken, required, wrong_state)"},
			"message": map[string]any{"type": "string", "description": "in English, for people; may change"},
			"field":   map[string]any{"type": "string", "description": "the body field at fault, when one is"},
			"params": map[string]any{"type": "object", "additionalProperties": true,
				"description": "the values the message names, by name (e.g. name, status, max), for a client to word the error itself"},
		}, "additionalProperties": true}}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "pano controller API",
			"version": "1",
			"description": "Cookie sessions need the " + CSRFHeader + " header on unsafe methods (from POST /api/v1/session or GET /api/v1/me). " +
				"x-roles lists who may call an operation; x-unit-scoped operations show editors and viewers only their own unit's objects; " +
				"x-token-scope is the scope an API token needs for it (read, content, devices or admin).",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
		"security": []any{map[string]any{"cookie": []string{}}, map[string]any{"bearer": []string{}}},
	}
}

var echoParam = regexp.MustCompile(`:([a-z_]+)`)

// openAPIPath turns /media/:id into /media/{id}.
func openAPIPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

func (a *API) openAPI(c echo.Context, _ *principal) error {
	return c.JSON(http.StatusOK, a.OpenAPI())
}

// schemaGen derives JSON Schemas from Go types, named struct types as
// components.
type schemaGen struct{ defs map[string]any }

var timeType = reflect.TypeOf(time.Time{})

func schemaName(t reflect.Type) string {
	n := t.Name()
	if base, arg, ok := strings.Cut(n, "["); ok { // list[…store.Unit] → UnitList
		arg = strings.TrimSuffix(arg, "]")
		arg = arg[strings.LastIndex(arg, ".")+1:]
		return strings.ToUpper(arg[:1]) + arg[1:] + strings.ToUpper(base[:1]) + base[1:]
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		inner := g.schema(t.Elem())
		if typ, ok := inner["type"].(string); ok {
			out := map[string]any{}
			for k, v := range inner {
				out[k] = v
			}
			out["type"] = []string{typ, "null"}
			return out
		}
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, done := g.defs[name]; done {
			return ref
		}
		g.defs[name] = nil // reserve: recursive types end here
		props := map[string]any{}
		g.fields(t, props)
		g.defs[name] = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		return ref
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			g.fields(f.Type, props)
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
}
