package api

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

// policy is the authorization the issue asks for, written out by hand,
// independently of the route table: who may call each operation, and which
// operations act on unit-owned objects. An admin may do whatever any other
// role may (issue 9: a one-person site), but is never unit-scoped. A route
// missing here fails the test, so a new route must be given a policy.
var policy = map[string]struct {
	roles string // space-separated; "public" for no login
	unit  bool
}{
	"getOpenAPI": {"public", false},
	"login":      {"public", false},
	"logout":     {"admin approver editor technician viewer", false},
	"getMe":      {"admin approver editor technician viewer", false},

	"listUnits":  {"admin approver editor technician viewer", false},
	"createUnit": {"admin", false},
	"getUnit":    {"admin approver editor technician viewer", false},
	"updateUnit": {"admin", false},
	"deleteUnit": {"admin", false},

	"listUsers":  {"admin", false},
	"createUser": {"admin", false},
	"getUser":    {"admin", false},
	"updateUser": {"admin", false},
	"deleteUser": {"admin", false},

	"getSettings":    {"admin approver editor technician viewer", false},
	"updateSettings": {"admin", false},

	"listTokens":  {"admin approver editor technician viewer", false},
	"createToken": {"admin approver editor technician viewer", false},
	"revokeToken": {"admin approver editor technician viewer", false},

	"listCAPFeeds":    {"admin", false},
	"createCAPFeed":   {"admin", false},
	"getCAPFeed":      {"admin", false},
	"updateCAPFeed":   {"admin", false},
	"deleteCAPFeed":   {"admin", false},
	"pollCAPFeed":     {"admin", false},
	"listCAPAlerts":   {"approver admin", false},
	"publishCAPAlert": {"approver admin", false},
	"dismissCAPAlert": {"approver admin", false},

	"listMedia":        {"admin approver editor technician viewer", true},
	"createMedia":      {"approver editor admin", true},
	"getMedia":         {"admin approver editor technician viewer", true},
	"updateMedia":      {"approver editor admin", true},
	"deleteMedia":      {"approver editor admin", true},
	"submitMedia":      {"approver editor admin", true},
	"approveMedia":     {"approver admin", true},
	"replaceMediaFile": {"approver editor admin", true},
	"withdrawMedia":    {"approver editor admin", true},
	"previewText":      {"approver editor admin", false},
	"renditionFile":    {"admin approver editor technician viewer", true},
	"previewMedia":     {"admin approver editor technician viewer", true},
	"thumbnailMedia":   {"admin approver editor technician viewer", true},
	"rejectMedia":      {"approver admin", true},

	"listPlaylists":   {"admin approver editor technician viewer", true},
	"createPlaylist":  {"approver editor admin", true},
	"getPlaylist":     {"admin approver editor technician viewer", true},
	"updatePlaylist":  {"approver editor admin", true},
	"deletePlaylist":  {"approver editor admin", true},
	"submitPlaylist":  {"approver editor admin", true},
	"approvePlaylist": {"approver admin", true},
	"rejectPlaylist":  {"approver admin", true},

	"withdrawPlaylist": {"admin approver editor", true},

	"listCampaigns":  {"admin approver editor technician viewer", false},
	"createCampaign": {"approver admin", false},
	"getCampaign":    {"admin approver editor technician viewer", false},
	"updateCampaign": {"approver admin", false},
	"deleteCampaign": {"approver admin", false},

	"listGroups":                  {"admin approver editor technician viewer", false},
	"createGroup":                 {"technician admin", false},
	"getGroup":                    {"admin approver editor technician viewer", false},
	"getGroupPowerBrightness":     {"admin approver editor technician viewer", false},
	"setGroupPowerBrightness":     {"technician admin", false},
	"clearGroupPowerBrightness":   {"technician admin", false},
	"getDisplayPowerBrightness":   {"admin approver editor technician viewer", false},
	"setDisplayPowerBrightness":   {"technician admin", false},
	"clearDisplayPowerBrightness": {"technician admin", false},
	"updateGroup":                 {"technician admin", false},
	"deleteGroup":                 {"technician admin", false},

	"listDisplays":         {"admin approver editor technician viewer", false},
	"createDisplay":        {"technician admin", false},
	"getDisplay":           {"admin approver editor technician viewer", false},
	"updateDisplay":        {"technician admin", false},
	"deleteDisplay":        {"technician admin", false},
	"createEnrollmentCode": {"technician admin", false},
	"revokeDisplay":        {"technician admin", false},
	"sendCommand":          {"technician admin", false},
	"getScreenshot":        {"admin approver editor technician viewer", false},
	"getDisplayPlan":       {"admin approver editor technician viewer", false},
	"getDisplayTimeline":   {"admin approver editor technician viewer", false},
	"getGroupTimeline":     {"admin approver editor technician viewer", false},
	"listPlayRecords":      {"admin approver editor technician viewer", false},
	"playReport":           {"admin approver editor technician viewer", false},
	"listAlerts":           {"admin approver editor technician viewer", false},
	"streamEvents":         {"admin approver editor technician viewer", false},
	"getDisplayHealth":     {"admin approver editor technician viewer", false},
	"listProfiles":         {"admin approver editor technician viewer", false},
	"listUrgentNotices":    {"admin approver editor technician viewer", false},
	"createUrgentNotice":   {"approver admin", false},
	"cancelUrgentNotice":   {"approver admin", false},

	"listSchedules":  {"admin approver editor technician viewer", false},
	"createSchedule": {"approver admin", false},
	"getSchedule":    {"admin approver editor technician viewer", false},
	"updateSchedule": {"approver admin", false},
	"deleteSchedule": {"approver admin", false},

	"listAudit": {"admin approver", false},
}

// confined roles see only their own unit's media and playlists; the
// others see every unit's.
var confined = []string{store.RoleEditor, store.RoleViewer}

// call is one request of the matrix: made fresh for each case, because
// many routes change or delete their object.
type call struct {
	path   string
	body   any
	listed int64 // for lists: an object of the case's unit that must be listed iff visible
}

// fixtures builds, for a route, a valid request on objects of unit.
func fixtures(v *env, caller store.User, unit int64) map[string]func() call {
	id := func(p string, n int64) string { return fmt.Sprintf(p, n) }
	return map[string]func() call{
		"getOpenAPI": func() call { return call{path: "/openapi.json"} },
		"login": func() call {
			u := v.user(store.RoleViewer, unit)
			return call{path: "/session", body: map[string]any{"name": u.Name, "password": testPassword}}
		},
		"logout": func() call { return call{path: "/session"} },
		"getMe":  func() call { return call{path: "/me"} },

		"listUnits":  func() call { return call{path: "/units"} },
		"createUnit": func() call { return call{path: "/units", body: map[string]any{"name": v.uniq("Khối phố")}} },
		"getUnit":    func() call { return call{path: id("/units/%d", unit)} },
		"updateUnit": func() call {
			u, _ := v.st.CreateUnit(context.Background(), store.System, store.Unit{Name: v.uniq("Khối phố")})
			return call{path: id("/units/%d", u.ID), body: map[string]any{"name": v.uniq("Khối phố")}}
		},
		"deleteUnit": func() call {
			u, _ := v.st.CreateUnit(context.Background(), store.System, store.Unit{Name: v.uniq("Khối phố")})
			return call{path: id("/units/%d", u.ID)}
		},

		"listUsers": func() call { return call{path: "/users"} },
		"createUser": func() call {
			return call{path: "/users", body: map[string]any{"name": v.uniq("nguoi"), "password": testPassword, "role": "viewer", "unit_id": unit}}
		},
		"getUser": func() call { return call{path: id("/users/%d", v.user(store.RoleViewer, unit).ID)} },
		"updateUser": func() call {
			return call{path: id("/users/%d", v.user(store.RoleViewer, unit).ID), body: map[string]any{"role": "editor"}}
		},
		"deleteUser": func() call { return call{path: id("/users/%d", v.user(store.RoleViewer, unit).ID)} },

		"getSettings":    func() call { return call{path: "/settings"} },
		"updateSettings": func() call { return call{path: "/settings", body: map[string]any{"two_person_rule": true}} },
		"listTokens":     func() call { return call{path: "/tokens"} },
		"createToken":    func() call { return call{path: "/tokens", body: map[string]any{"name": "script"}} },
		"revokeToken": func() call {
			t, _ := v.st.CreateAPIToken(context.Background(), store.System, store.APIToken{UserID: caller.ID, Name: "x", Prefix: "pano_x", Scopes: store.Scopes, ExpiresAt: v.clock().Add(time.Hour)}, auth.HashToken(v.uniq("tok")))
			return call{path: id("/tokens/%d", t.ID)}
		},

		"listMedia": func() call { return call{path: "/media?limit=500", listed: v.media(unit, store.StatusDraft)} },
		"createMedia": func() call {
			return call{path: "/media", body: map[string]any{"unit_id": unit, "title": "Thông báo", "kind": "text", "body": "Nội dung"}}
		},
		"getMedia": func() call { return call{path: id("/media/%d", v.media(unit, store.StatusDraft))} },
		"updateMedia": func() call {
			return call{path: id("/media/%d", v.media(unit, store.StatusDraft)), body: map[string]any{"title": "Mới"}}
		},
		"deleteMedia": func() call { return call{path: id("/media/%d", v.media(unit, store.StatusDraft))} },
		"replaceMediaFile": func() call {
			return call{path: id("/media/%d/file", v.imageMedia(unit)), body: uploadBody{"b.png", smallPNG}}
		},
		"previewMedia": func() call {
			return call{path: id("/media/%d/preview?w=64&h=32&fit=cover", v.media(unit, store.StatusDraft))}
		},
		"renditionFile": func() call {
			return call{path: id("/media/%d/rendition?w=64&h=32&fit=contain", v.renderedText(unit))}
		},
		"thumbnailMedia": func() call { return call{path: id("/media/%d/thumbnail", v.media(unit, store.StatusDraft))} },
		"submitMedia":    func() call { return call{path: id("/media/%d/submit", v.media(unit, store.StatusDraft))} },
		"approveMedia":   func() call { return call{path: id("/media/%d/approve", v.media(unit, store.StatusPending))} },
		"previewText": func() call {
			return call{path: "/media/preview-text", body: map[string]any{"title": "Thông báo", "body": "Nội dung"}}
		},
		"withdrawMedia": func() call { return call{path: id("/media/%d/withdraw", v.media(unit, store.StatusPending))} },
		"rejectMedia": func() call {
			return call{path: id("/media/%d/reject", v.media(unit, store.StatusPending)), body: map[string]any{"reason": "sai"}}
		},

		"listPlaylists": func() call { return call{path: "/playlists?limit=500", listed: v.playlist(unit, store.StatusDraft)} },
		"createPlaylist": func() call {
			m := v.media(unit, store.StatusApproved)
			return call{path: "/playlists", body: map[string]any{"unit_id": unit, "name": "Vòng", "items": []any{map[string]any{"media_id": m, "duration_ms": 5000}}}}
		},
		"getPlaylist": func() call { return call{path: id("/playlists/%d", v.playlist(unit, store.StatusDraft))} },
		"updatePlaylist": func() call {
			return call{path: id("/playlists/%d", v.playlist(unit, store.StatusDraft)), body: map[string]any{"name": "Mới"}}
		},
		"deletePlaylist":  func() call { return call{path: id("/playlists/%d", v.playlist(unit, store.StatusDraft))} },
		"submitPlaylist":  func() call { return call{path: id("/playlists/%d/submit", v.playlist(unit, store.StatusDraft))} },
		"approvePlaylist": func() call { return call{path: id("/playlists/%d/approve", v.playlist(unit, store.StatusPending))} },
		"rejectPlaylist": func() call {
			return call{path: id("/playlists/%d/reject", v.playlist(unit, store.StatusPending)), body: map[string]any{"reason": "sai"}}
		},
		"withdrawPlaylist": func() call {
			return call{path: id("/playlists/%d/withdraw", v.playlist(unit, store.StatusPending))}
		},

		"listCampaigns": func() call { return call{path: "/campaigns"} },
		"createCampaign": func() call {
			return call{path: "/campaigns", body: map[string]any{"unit_id": unit, "name": "Nghị quyết 57", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "themes": []string{"Chủ đề"}}}
		},
		"getCampaign": func() call { return call{path: id("/campaigns/%d", v.campaign(unit))} },
		"updateCampaign": func() call {
			return call{path: id("/campaigns/%d", v.campaign(unit)), body: map[string]any{"name": "Mới"}}
		},
		"deleteCampaign": func() call { return call{path: id("/campaigns/%d", v.campaign(unit))} },

		"listGroups":  func() call { return call{path: "/groups"} },
		"createGroup": func() call { return call{path: "/groups", body: map[string]any{"name": v.uniq("Nhóm")}} },
		"getGroup":    func() call { return call{path: id("/groups/%d", v.group())} },
		"updateGroup": func() call {
			return call{path: id("/groups/%d", v.group()), body: map[string]any{"name": v.uniq("Nhóm")}}
		},
		"deleteGroup":             func() call { return call{path: id("/groups/%d", v.group())} },
		"getGroupPowerBrightness": func() call { return call{path: id("/groups/%d/power-brightness", v.group())} },
		"setGroupPowerBrightness": func() call {
			return call{path: id("/groups/%d/power-brightness", v.group()), body: map[string]any{"power": []map[string]any{{"from": "05:30", "until": "23:00"}}}}
		},
		"clearGroupPowerBrightness":   func() call { return call{path: id("/groups/%d/power-brightness", v.group())} },
		"getDisplayPowerBrightness":   func() call { return call{path: id("/displays/%d/power-brightness", v.display())} },
		"clearDisplayPowerBrightness": func() call { return call{path: id("/displays/%d/power-brightness", v.display())} },
		"setDisplayPowerBrightness": func() call {
			return call{path: id("/displays/%d/power-brightness", v.display()), body: map[string]any{"brightness": []map[string]any{{"from": "18:00", "until": "06:00", "percent": 40}}}}
		},

		"listDisplays": func() call { return call{path: "/displays"} },
		"createDisplay": func() call {
			return call{path: "/displays", body: map[string]any{"name": v.uniq("man-hinh"), "width": 128, "height": 64, "profile": "virtual"}}
		},
		"getDisplay":           func() call { return call{path: id("/displays/%d", v.display())} },
		"updateDisplay":        func() call { return call{path: id("/displays/%d", v.display()), body: map[string]any{"width": 192}} },
		"deleteDisplay":        func() call { return call{path: id("/displays/%d", v.display())} },
		"createEnrollmentCode": func() call { return call{path: id("/displays/%d/enrollment-codes", v.display())} },
		"revokeDisplay":        func() call { return call{path: id("/displays/%d/revoke", v.display())} },
		"sendCommand": func() call {
			return call{path: id("/displays/%d/commands", v.display()), body: map[string]any{"name": "identify"}}
		},
		"getScreenshot": func() call {
			d := v.display()
			if err := v.st.SaveScreenshot(context.Background(), d, []byte("\x89PNG\r\n\x1a\n"), time.Now()); err != nil {
				v.t.Fatal(err)
			}
			return call{path: id("/displays/%d/screenshot", d)}
		},
		"getDisplayPlan": func() call {
			d := v.display()
			_, _, err := v.st.SavePlan(context.Background(), d, "digest", func(int64) ([]byte, error) { return []byte(`{"schema":1}`), nil })
			if err != nil {
				v.t.Fatal(err)
			}
			return call{path: id("/displays/%d/plan", d)}
		},
		"listPlayRecords":   func() call { return call{path: "/play-records"} },
		"playReport":        func() call { return call{path: "/reports/plays?group_by=unit"} },
		"listAlerts":        func() call { return call{path: "/alerts"} },
		"streamEvents":      func() call { return call{path: "/events"} },
		"getDisplayHealth":  func() call { return call{path: id("/displays/%d/health", v.display())} },
		"listProfiles":      func() call { return call{path: "/profiles"} },
		"listUrgentNotices": func() call { return call{path: "/urgent-notices?live=true"} },
		"createUrgentNotice": func() call {
			return call{path: "/urgent-notices", body: map[string]any{"media_id": v.media(unit, store.StatusApproved), "minutes": 5}}
		},
		"cancelUrgentNotice": func() call {
			n, err := v.st.CreateUrgentNotice(context.Background(), store.System, v.media(unit, store.StatusApproved), nil, time.Minute)
			if err != nil {
				v.t.Fatal(err)
			}
			return call{path: id("/urgent-notices/%d/cancel", n.ID)}
		},

		"listCAPFeeds":  func() call { return call{path: "/cap-feeds"} },
		"createCAPFeed": func() call { return call{path: "/cap-feeds", body: capFeedBody(v.uniq("feed"), v.group())} },
		"getCAPFeed":    func() call { return call{path: id("/cap-feeds/%d", v.capFeed())} },
		"updateCAPFeed": func() call {
			return call{path: id("/cap-feeds/%d", v.capFeed()), body: capFeedBody(v.uniq("feed"), v.group())}
		},
		"deleteCAPFeed": func() call { return call{path: id("/cap-feeds/%d", v.capFeed())} },
		"pollCAPFeed":   func() call { return call{path: id("/cap-feeds/%d/poll", v.capFeed())} },
		"listCAPAlerts": func() call { return call{path: "/cap-alerts?state=waiting"} },
		"publishCAPAlert": func() call {
			return call{path: id("/cap-alerts/%d/publish", v.capAlert())}
		},
		"dismissCAPAlert": func() call { return call{path: id("/cap-alerts/%d/dismiss", v.capAlert())} },

		"listSchedules": func() call { return call{path: "/schedules"} },
		"createSchedule": func() call {
			return call{path: "/schedules", body: scheduleBody(v.playlist(unit, store.StatusApproved), v.group())}
		},
		"getSchedule": func() call { return call{path: id("/schedules/%d", v.schedule(unit))} },
		"updateSchedule": func() call {
			return call{path: id("/schedules/%d", v.schedule(unit)), body: map[string]any{"priority": 50}}
		},
		"deleteSchedule": func() call { return call{path: id("/schedules/%d", v.schedule(unit))} },

		"listAudit": func() call { return call{path: "/audit"} },

		"getDisplayTimeline": func() call { v.previews(); return call{path: id("/displays/%d/timeline", v.display())} },
		"getGroupTimeline":   func() call { v.previews(); return call{path: id("/groups/%d/timeline", v.group())} },
	}
}

// TestAuthorizationMatrix runs every route of the table as every role, on
// an object of the caller's unit and of another unit, and asserts exactly
// who gets through: the allowed get the route's success status, a role
// outside the route's roles gets 403, and a unit-scoped role gets 404 for
// another unit's object (or does not see it in a list).
func TestAuthorizationMatrix(t *testing.T) {
	v := newEnv(t)
	routes := v.api.Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.Name] = true
		pol, ok := policy[rt.Name]
		if !ok {
			t.Errorf("route %s %s (%s) has no entry in the policy of this test", rt.Method, rt.Path, rt.Name)
			continue
		}
		want := strings.Fields(pol.roles)
		got := rt.Roles
		if rt.Roles == nil {
			got = []string{"public"}
		}
		if !slices.Equal(sorted(got), sorted(want)) || rt.UnitScoped != pol.unit {
			t.Errorf("%s: route table roles %v unit-scoped %v; policy says %v, %v", rt.Name, got, rt.UnitScoped, want, pol.unit)
		}
	}
	for name := range policy {
		if !seen[name] {
			t.Errorf("policy names %s, which is not in the route table", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	mayCall := map[string][]string{}
	for n, pol := range policy {
		mayCall[n] = strings.Fields(pol.roles)
	}
	cases := 0
	for _, rt := range routes {
		for _, role := range store.Roles {
			caller := v.user(role, v.unitA.ID)
			for _, other := range []bool{false, true} {
				unit := v.unitA.ID
				if other {
					unit = v.unitB.ID
				}
				name := fmt.Sprintf("%s/%s/other=%v", rt.Name, role, other)
				fx, ok := fixtures(v, caller, unit)[rt.Name]
				if !ok {
					t.Fatalf("%s: no fixture", rt.Name)
				}
				c := fx()
				r := v.do(v.session(caller), rt.Method, c.path, c.body)
				cases++

				allowed := rt.Roles == nil || slices.Contains(rt.Roles, role)
				hidden := rt.UnitScoped && other && slices.Contains(confined, role)
				wantStatus := rt.Status
				switch {
				case !allowed:
					wantStatus = 403
				case hidden && c.listed == 0:
					wantStatus = 404
				}
				if r.Status != wantStatus {
					t.Errorf("%s: %s %s = %d, want %d: %s", name, rt.Method, c.path, r.Status, wantStatus, r.Body)
					continue
				}
				if !allowed {
					// The refusal names the roles that may, for the UI to say whom to ask.
					var e struct {
						Error struct {
							Code  string
							Roles []string
						}
					}
					r.json(t, &e)
					if e.Error.Code != "forbidden" || !slices.Equal(sorted(e.Error.Roles), sorted(mayCall[rt.Name])) {
						t.Errorf("%s: refusal %s, want code forbidden and roles %v", name, r.Body, mayCall[rt.Name])
					}
				}
				if allowed && c.listed != 0 {
					var page struct{ Items []struct{ ID int64 } }
					r.json(t, &page)
					found := slices.ContainsFunc(page.Items, func(x struct{ ID int64 }) bool { return x.ID == c.listed })
					if found == hidden {
						t.Errorf("%s: object %d of the case's unit listed=%v, want %v", name, c.listed, found, !hidden)
					}
				}
			}
		}
	}
	if want := len(routes) * len(store.Roles) * 2; cases != want {
		t.Fatalf("ran %d cases, want %d", cases, want)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestUnauthenticatedIsRefused(t *testing.T) {
	v := newEnv(t)
	for _, rt := range v.api.Routes() {
		if rt.Roles == nil {
			continue
		}
		path := strings.ReplaceAll(rt.Path, ":id", "1")[len(Prefix):]
		r := v.do(cred{}, rt.Method, path, nil)
		if r.Status != 401 || r.code() != "unauthenticated" {
			t.Errorf("%s %s without credentials = %d %s, want 401", rt.Method, path, r.Status, r.Body)
		}
		r = v.do(cred{bearer: "pano_forged"}, rt.Method, path, nil)
		if r.Status != 401 {
			t.Errorf("%s %s with a forged token = %d, want 401", rt.Method, path, r.Status)
		}
	}
}

// TestForbiddenNamesTheRoles checks the words of a refusal: the message a
// script's author reads names the roles that may, admin last.
func TestForbiddenNamesTheRoles(t *testing.T) {
	v := newEnv(t)
	for _, tc := range []struct {
		role, method, path string
		body               any
		msg                string
		roles              []string
	}{
		{store.RoleViewer, "POST", "/groups", map[string]any{"name": "Nhóm"}, "this needs the role technician or admin", []string{"technician", "admin"}},
		{store.RoleTechnician, "POST", "/schedules", map[string]any{}, "this needs the role approver or admin", []string{"approver", "admin"}},
		{store.RoleViewer, "POST", "/media", map[string]any{}, "this needs the role editor, approver or admin", []string{"editor", "approver", "admin"}},
		{store.RoleApprover, "GET", "/users", nil, "this needs the role admin", []string{"admin"}},
	} {
		r := v.do(v.session(v.user(tc.role, v.unitA.ID)), tc.method, tc.path, tc.body)
		var e struct {
			Error struct {
				Code, Message string
				Roles         []string
			}
		}
		r.json(t, &e)
		if r.Status != 403 || e.Error.Code != "forbidden" || e.Error.Message != tc.msg || !slices.Equal(e.Error.Roles, tc.roles) {
			t.Errorf("%s %s %s = %d %s, want 403 %q %v", tc.role, tc.method, tc.path, r.Status, r.Body, tc.msg, tc.roles)
		}
	}
}
