package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

func TestBadInputIs4xxWithoutPartialWrites(t *testing.T) {
	v := newEnv(t)
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	draft := v.media(v.unitA.ID, store.StatusDraft)
	rejected := v.playlist(v.unitA.ID, store.StatusRejected)
	g := v.group()
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	for _, tc := range []struct {
		name, method, path string
		body               any
		ctype              string
		status             int
		code, msg          string
	}{
		{"malformed JSON", "POST", "/groups", `{"name":`, "", 400, "bad_request", "malformed JSON"},
		{"not an object", "POST", "/groups", `["a"]`, "", 400, "bad_request", "must be a JSON object"},
		{"unknown field", "POST", "/groups", `{"name":"a","colour":"red"}`, "", 400, "bad_request", `unknown field "colour"`},
		{"wrong type", "POST", "/media", `{"title":5}`, "", 400, "bad_request", `field "title" must be a string`},
		{"trailing data", "POST", "/groups", `{"name":"a"} {"name":"b"}`, "", 400, "bad_request", "nothing after it"},
		{"empty body", "POST", "/groups", ``, "", 400, "bad_request", "empty"},
		{"oversized body", "POST", "/groups", big, "", 413, "too_large", "larger than"},
		{"not JSON", "POST", "/groups", `name=a`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "application/json"},
		{"id not a number", "GET", "/media/abc", nil, "", 400, "bad_request", `id "abc" is not a positive integer`},
		{"id zero", "GET", "/media/0", nil, "", 400, "bad_request", "not a positive integer"},
		{"id negative", "DELETE", "/playlists/-4", nil, "", 400, "bad_request", "not a positive integer"},
		{"id overflow", "GET", "/units/99999999999999999999", nil, "", 400, "bad_request", "not a positive integer"},
		{"missing object", "GET", "/media/424242", nil, "", 404, "not_found", "media 424242 does not exist"},
		{"unknown query parameter", "GET", "/media?stauts=draft", nil, "", 400, "bad_request", `unknown query parameter "stauts"`},
		{"limit out of range", "GET", "/media?limit=100000", nil, "", 400, "bad_request", "from 1 to 500"},
		{"approving a draft", "POST", fmt.Sprintf("/media/%d/approve", draft), nil, "", 409, "wrong_state", "only pending content can be approved"},
		{"reject without reason", "POST", fmt.Sprintf("/media/%d/reject", draft), `{"reason":"  "}`, "", 400, "required", "reason is required"},
		{"scheduling a rejected playlist", "POST", "/schedules", scheduleBody(rejected, g), "", 409, "playlist_not_approved", "only approved playlists can be scheduled"},
		{"schedule end before start", "POST", "/schedules", map[string]any{"playlist_id": rejected, "group_id": g, "starts_on": "2026-12-01", "ends_on": "2026-12-31", "weekdays": 127, "start_time": "22:00", "end_time": "06:00"}, "", 400, "end_time_before_start", "must be after start_time"},
		{"schedule without target", "POST", "/schedules", map[string]any{"playlist_id": rejected, "starts_on": "2026-12-01", "ends_on": "2026-12-31", "weekdays": 127, "start_time": "06:00", "end_time": "22:00"}, "", 400, "one_target", "either group_id or display_id"},
		{"bad date", "POST", "/campaigns", map[string]any{"name": "x", "starts_on": "01/12/2026", "ends_on": "2026-12-31"}, "", 400, "invalid_date", "is not a date"},
		{"playlist of unknown media", "POST", "/playlists", map[string]any{"name": "x", "items": []any{map[string]any{"media_id": 999, "duration_ms": 5000}}}, "", 400, "unknown_media", "media 999 does not exist"},
		{"duplicate group", "POST", "/groups", map[string]any{"name": "dup"}, "", 409, "name_taken", `a group named "dup" exists`},
		{"no such route", "GET", "/nothing", nil, "", 404, "not_found", ""},
		{"wrong method", "PUT", "/groups", nil, "", 405, "method_not_allowed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who := ap
			if strings.HasPrefix(tc.path, "/groups") {
				who = tech // groups are the technicians'
			}
			if tc.code == "name_taken" {
				must(t, v.do(who, "POST", "/groups", map[string]any{"name": "dup"}), 201)
			}
			before := v.auditCount()
			var r resp
			if tc.ctype != "" {
				r = v.doType(who, tc.method, tc.path, tc.body.(string), tc.ctype)
			} else {
				r = v.do(who, tc.method, tc.path, tc.body)
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(r.Body, &e); err != nil {
				t.Fatalf("error body %q is not JSON: %v", r.Body, err)
			}
			if r.Status != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("%d %s; want %d %s containing %q", r.Status, r.Body, tc.status, tc.code, tc.msg)
			}
			for _, leak := range []string{"sqlite", "SELECT", "constraint", "goroutine", ".go:"} {
				if strings.Contains(string(r.Body), leak) {
					t.Fatalf("error shows internals (%q): %s", leak, r.Body)
				}
			}
			if n := v.auditCount(); n != before {
				t.Fatalf("a refused request changed something: %d audit events", n-before)
			}
		})
	}
}

func (v *env) doType(c cred, method, path, body, ctype string) resp {
	v.t.Helper()
	return v.send(c, method, path, strings.NewReader(body), ctype)
}

// injections are classic SQL injection strings; every one must be taken as
// plain data.
var injections = []string{
	`' OR '1'='1`,
	`1 OR 1=1`,
	`1; DROP TABLE units; --`,
	`'); DELETE FROM media; --`,
	`" OR ""="`,
	`title DESC; DROP TABLE users`,
	`%' UNION SELECT name, password_hash FROM users --`,
	"\x00'",
	`\' OR 1=1 --`,
	`1)) OR ((1=1`,
}

// TestSQLInjectionInEveryQueryParameter sends each injection string in
// every query parameter of every route of the table: the answer is 200 with
// nothing matching, or 400 for a parameter with a fixed set of values, never
// 500; and afterwards every table still holds what it held.
func TestSQLInjectionInEveryQueryParameter(t *testing.T) {
	v := newEnv(t)
	admin := v.user(store.RoleAdmin, v.unitA.ID)
	approver := v.user(store.RoleApprover, v.unitA.ID)
	editor := v.user(store.RoleEditor, v.unitA.ID)
	v.schedule(v.unitA.ID)
	v.media(v.unitB.ID, store.StatusPending)
	v.campaign(v.unitA.ID)
	v.display()
	counts := v.tableCounts()

	params := 0
	for _, rt := range v.api.Routes() {
		if rt.Method != http.MethodGet || len(rt.Query) == 0 {
			continue
		}
		caller := admin
		for _, u := range []store.User{admin, approver, editor} {
			if slices.Contains(rt.Roles, u.Role) {
				caller = u
				break
			}
		}
		c := v.bearer(caller)
		for _, p := range rt.Query {
			params++
			for _, inj := range injections {
				path := rt.Path[len(Prefix):] + "?" + url.Values{p.Name: {inj}}.Encode()
				r := v.do(c, "GET", path, nil)
				switch {
				case strings.ContainsRune(inj, 0):
					// NUL is refused in every parameter, saying so.
					if r.Status != 400 || !strings.Contains(string(r.Body), "nul_character") {
						t.Errorf("%s?%s=%q: %d %s, want 400 nul_character", rt.Name, p.Name, inj, r.Status, r.Body)
					}
				case r.Status == 400:
					// An integer or a value from a fixed set refuses it.
					if p.Type != "integer" && p.Enum == nil && p.Format == "" {
						t.Errorf("%s: free-text parameter %s refused %q: %s", rt.Name, p.Name, inj, r.Body)
					}
				case r.Status == 200:
					var l struct{ Items []json.RawMessage }
					r.json(t, &l)
					if len(l.Items) != 0 {
						t.Errorf("%s?%s=%q matched %d items", rt.Name, p.Name, inj, len(l.Items))
					}
				default:
					t.Errorf("%s?%s=%q: %d %s", rt.Name, p.Name, inj, r.Status, r.Body)
				}
			}
		}
	}
	if params < 25 {
		t.Fatalf("only %d query parameters exercised", params)
	}
	after := v.tableCounts()
	for table, n := range counts {
		if table == "api_tokens" || table == "audit_events" {
			continue // the test's own tokens
		}
		if after[table] != n {
			t.Errorf("table %s: %d rows before, %d after", table, n, after[table])
		}
	}

	// Binding, not escaping: a title with quotes is found by itself.
	m, err := v.st.CreateMedia(context.Background(), store.System, store.NewMedia{UnitID: v.unitA.ID, Title: `Ngày "Chuyển đổi số" 10/10 – it's on`, Kind: store.KindText, Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var l page[store.Media]
	must(t, v.do(v.bearer(admin), "GET", "/media?"+url.Values{"q": {`"Chuyển đổi số" 10/10 – it's`}}.Encode(), nil), 200).json(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != m.ID {
		t.Fatalf("search with quotes: %+v", l.Items)
	}
}

// tableCounts counts the rows of every table.
func (v *env) tableCounts() map[string]int {
	v.t.Helper()
	out, err := v.st.TableCounts(context.Background())
	if err != nil || len(out) < 15 {
		v.t.Fatalf("table counts: %v, %v", out, err)
	}
	return out
}

// TestSQLInjectionInBodiesIsStoredAsText writes every injection string as a
// name and reads it back unchanged.
func TestSQLInjectionInBodiesIsStoredAsText(t *testing.T) {
	v := newEnv(t)
	admin := v.bearer(v.user(store.RoleAdmin, v.unitA.ID))
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	for i, inj := range injections {
		if strings.ContainsRune(inj, 0) {
			// Refused, saying why, and nothing stored.
			if r := must(t, v.do(admin, "POST", "/units", map[string]any{"name": inj}), 400); !strings.Contains(string(r.Body), "nul_character") {
				t.Errorf("a name with NUL: %s", r.Body)
			}
			continue
		}
		var u store.Unit
		must(t, v.do(admin, "POST", "/units", map[string]any{"name": inj}), 201).json(t, &u)
		var g store.Group
		must(t, v.do(tech, "POST", "/groups", map[string]any{"name": inj}), 201).json(t, &g)
		var m store.Media
		must(t, v.do(ed, "POST", "/media", map[string]any{"title": inj, "kind": "text", "body": inj}), 201).json(t, &m)
		var got store.Media
		must(t, v.do(ed, "GET", fmt.Sprintf("/media/%d", m.ID), nil), 200).json(t, &got)
		if u.Name != inj || g.Name != inj || got.Title != inj || got.Current.Body != inj {
			t.Fatalf("injection %d came back changed: %q %q %q %q", i, u.Name, g.Name, got.Title, got.Current.Body)
		}
	}
	counts := v.tableCounts()
	if counts["users"] != 3 || counts["units"] != 2+len(injections)-1 { // less the one with NUL
		t.Fatalf("rows after the injections: %v", counts)
	}
}
