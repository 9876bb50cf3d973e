package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

func withParts(b map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range b {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestScheduleDaypartsAndWeight(t *testing.T) {
	v := newEnv(t)
	ap := v.session(v.user(store.RoleApprover, v.unitA.ID))
	pl, g := v.playlist(v.unitA.ID, store.StatusApproved), v.group()
	base := scheduleBody(pl, g)
	parts := func(ps ...string) []map[string]string {
		var out []map[string]string
		for i := 0; i+1 < len(ps); i += 2 {
			out = append(out, map[string]string{"from": ps[i], "until": ps[i+1]})
		}
		return out
	}
	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
		want   string // dayparts and weight of the answer: "[…] weight start–end"
	}{
		{"one window, old form", base, 201, "", "", "[{06:00 22:00}] 1 06:00–22:00"},
		{"several windows", withParts(base, "dayparts", parts("06:30", "08:30", "16:30", "19:00"), "weight", 2), 201, "", "",
			"[{06:30 08:30} {16:30 19:00}] 2 06:30–08:30"},
		{"across midnight", withParts(base, "dayparts", parts("22:00", "02:00")), 201, "", "", "[{22:00 02:00}] 1 22:00–02:00"},
		{"until midnight", withParts(base, "dayparts", parts("18:00", "24:00")), 201, "", "", "[{18:00 24:00}] 1 18:00–24:00"},
		{"old form still refuses a reversed window", withParts(base, "start_time", "22:00", "end_time", "06:00"), 400, "end_time_before_start", "end_time", ""},
		{"empty window", withParts(base, "dayparts", parts("08:00", "08:00")), 400, "window_empty", "dayparts", ""},
		{"bad time", withParts(base, "dayparts", parts("8h", "09:00")), 400, "invalid_time", "dayparts", ""},
		{"24:00 is no start", withParts(base, "dayparts", parts("24:00", "02:00")), 400, "invalid_time", "dayparts", ""},
		{"overlap", withParts(base, "dayparts", parts("06:00", "09:00", "08:30", "10:00")), 400, "dayparts_overlap", "dayparts", ""},
		{"overlap across midnight", withParts(base, "dayparts", parts("22:00", "02:00", "01:00", "03:00")), 400, "dayparts_overlap", "dayparts", ""},
		{"too many", withParts(base, "dayparts", parts("00:00", "01:00", "01:00", "02:00", "02:00", "03:00", "03:00", "04:00", "04:00", "05:00",
			"05:00", "06:00", "06:00", "07:00", "07:00", "08:00", "08:00", "09:00")), 400, "too_many_dayparts", "dayparts", ""},
		{"weight 0 means 1", withParts(base, "weight", 0), 201, "", "", "[{06:00 22:00}] 1 06:00–22:00"},
		{"weight too big", withParts(base, "weight", 101), 400, "weight_range", "weight", ""},
		{"weight negative", withParts(base, "weight", -1), 400, "weight_range", "weight", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := v.do(ap, "POST", "/schedules", c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.code != "" {
				var e struct {
					Error struct {
						Code, Field string
					}
				}
				r.json(t, &e)
				if e.Error.Code != c.code || e.Error.Field != c.field {
					t.Fatalf("error %s, want code %s field %s", r.Body, c.code, c.field)
				}
				return
			}
			var x store.Schedule
			r.json(t, &x)
			if got := fmt.Sprintf("%v %d %s–%s", x.Dayparts, x.Weight, x.StartTime, x.EndTime); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
			// Read back as stored.
			back, err := v.st.Schedule(context.Background(), x.ID)
			if err != nil || fmt.Sprint(back.Dayparts, back.Weight) != fmt.Sprint(x.Dayparts, x.Weight) {
				t.Fatalf("stored %+v %v", back, err)
			}
		})
	}

	// PATCH: dayparts replace the windows; start/end alone make a one-window
	// entry again; weight changes alone.
	r := v.do(ap, "POST", "/schedules", withParts(base, "dayparts", parts("06:30", "08:30", "16:30", "19:00")))
	var x store.Schedule
	r.json(t, &x)
	for _, step := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"weight": 3}, "[{06:30 08:30} {16:30 19:00}] 3"},
		{map[string]any{"dayparts": parts("07:00", "11:00", "13:30", "17:00", "22:00", "01:00")}, "[{07:00 11:00} {13:30 17:00} {22:00 01:00}] 3"},
		{map[string]any{"start_time": "08:00", "end_time": "09:00"}, "[{08:00 09:00}] 3"},
		{map[string]any{"priority": 20}, "[{08:00 09:00}] 3"},
	} {
		r := v.do(ap, "PATCH", fmt.Sprintf("/schedules/%d", x.ID), step.body)
		if r.Status != 200 {
			t.Fatalf("patch %v: %d %s", step.body, r.Status, r.Body)
		}
		var y store.Schedule
		r.json(t, &y)
		if got := fmt.Sprintf("%v %d", y.Dayparts, y.Weight); got != step.want {
			t.Fatalf("after %v: %s, want %s", step.body, got, step.want)
		}
	}
	if r := v.do(ap, "PATCH", fmt.Sprintf("/schedules/%d", x.ID), map[string]any{"dayparts": []any{}}); r.Status != 400 || r.code() != "required" {
		t.Fatalf("no dayparts: %d %s", r.Status, r.Body)
	}
}

func TestMediaValidity(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	text := map[string]any{"title": "Lịch tiêm chủng", "kind": "text", "body": "Thứ Bảy tại trạm y tế"}
	for _, c := range []struct {
		name        string
		from, until string
		status      int
		code, field string
	}{
		{"open", "", "", 201, "", ""},
		{"both", "2026-12-01", "2026-12-07", 201, "", ""},
		{"one day", "2026-12-24", "2026-12-24", 201, "", ""},
		{"until only", "", "2026-12-31", 201, "", ""},
		{"reversed", "2026-12-07", "2026-12-01", 400, "valid_until_before_from", "valid_until"},
		{"not a date", "01/12/2026", "", 400, "invalid_date", "valid_from"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := v.do(ed, "POST", "/media", withParts(text, "valid_from", c.from, "valid_until", c.until))
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.code != "" {
				var e struct{ Error struct{ Code, Field string } }
				r.json(t, &e)
				if e.Error.Code != c.code || e.Error.Field != c.field {
					t.Fatalf("error %s", r.Body)
				}
				return
			}
			var m store.Media
			r.json(t, &m)
			if m.ValidFrom != c.from || m.ValidUntil != c.until {
				t.Fatalf("media %s–%s", m.ValidFrom, m.ValidUntil)
			}
		})
	}
	// An upload carries them as form fields, checked before the file is read.
	r := v.upload(ed, "lich.png", testPNG(t, 64, 32), map[string]string{"valid_from": "2026-12-01", "valid_until": "2026-12-24"})
	var up store.Media
	r.json(t, &up)
	if r.Status != 201 || up.ValidFrom != "2026-12-01" || up.ValidUntil != "2026-12-24" {
		t.Fatalf("upload with validity: %d %s", r.Status, r.Body)
	}
	if r := v.upload(ed, "lich.png", testPNG(t, 64, 32), map[string]string{"valid_from": "2026-12-24", "valid_until": "2026-12-01"}); r.Status != 400 || r.code() != "valid_until_before_from" {
		t.Fatalf("upload with reversed validity: %d %s", r.Status, r.Body)
	}

	// PATCH changes one end, checked against the other; "" clears.
	r = v.do(ed, "POST", "/media", withParts(text, "valid_from", "2026-12-01", "valid_until", "2026-12-07"))
	var m store.Media
	r.json(t, &m)
	path := fmt.Sprintf("/media/%d", m.ID)
	if r := v.do(ed, "PATCH", path, map[string]any{"valid_until": "2026-11-30"}); r.Status != 400 || r.code() != "valid_until_before_from" {
		t.Fatalf("reversed by patch: %d %s", r.Status, r.Body)
	}
	r = v.do(ed, "PATCH", path, map[string]any{"valid_from": ""})
	r.json(t, &m)
	if r.Status != 200 || m.ValidFrom != "" || m.ValidUntil != "2026-12-07" {
		t.Fatalf("cleared: %d %s", r.Status, r.Body)
	}
	// Audited: the newest event says the dates.
	evs, err := v.st.ListAudit(context.Background(), store.AuditFilter{ObjectType: "media", ObjectID: m.ID})
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit %v %v", evs, err)
	}
	if d := evs[0].Detail; d["valid_from"] != "" || d["valid_until"] != "2026-12-07" {
		t.Fatalf("audit detail %v", d)
	}
}

func TestPowerBrightness(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	viewer := v.session(v.user(store.RoleViewer, v.unitA.ID))
	g := v.group()
	placed, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: "tt-phuong", Width: 64, Height: 32, Fit: "contain", Profile: "virtual", GroupID: &g,
		Latitude: ptr(21.0285), Longitude: ptr(105.8542)})
	if err != nil {
		t.Fatal(err)
	}
	unplaced, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: "cho-moi", Width: 64, Height: 32, Fit: "contain", Profile: "virtual", GroupID: &g})
	if err != nil {
		t.Fatal(err)
	}
	gp, dp := fmt.Sprintf("/groups/%d/power-brightness", g), fmt.Sprintf("/displays/%d/power-brightness", placed.ID)
	get := func(path string) powerBrightnessOut {
		t.Helper()
		r := v.do(viewer, "GET", path, nil)
		if r.Status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		var out powerBrightnessOut
		r.json(t, &out)
		return out
	}
	// Nothing set yet.
	if o := get(dp); o.Own || o.InheritedFromGroup != nil || len(o.Power) != 0 || o.DayNight != nil {
		t.Fatalf("empty: %+v", o)
	}
	if o := get(gp); len(o.DisplaysWithoutSite) != 1 || o.DisplaysWithoutSite[0].Name != "cho-moi" {
		t.Fatalf("group lists its displays without a site: %+v", o)
	}

	win := func(from, until string, days ...int) map[string]any {
		return map[string]any{"weekdays": days, "from": from, "until": until}
	}
	for _, c := range []struct {
		name   string
		path   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"bad time", gp, map[string]any{"power": []any{win("5:30", "23:00")}}, 400, "invalid_time", "power"},
		{"empty window", gp, map[string]any{"power": []any{win("23:00", "23:00")}}, 400, "window_empty", "power"},
		{"bad weekday", gp, map[string]any{"power": []any{win("05:30", "23:00", 0)}}, 400, "weekday_invalid", "power"},
		{"percent", gp, map[string]any{"brightness": []any{withParts(win("18:00", "06:00"), "percent", 140)}}, 400, "percent_range", "brightness"},
		{"day/night percent", dp, map[string]any{"day_night": map[string]any{"day": 100, "night": -1}}, 400, "percent_range", "day_night"},
		{"group day/night names the displays without coordinates", gp, map[string]any{"day_night": map[string]any{"day": 100, "night": 40}}, 409, "displays_need_site", "day_night"},
		{"display without coordinates", fmt.Sprintf("/displays/%d/power-brightness", unplaced.ID), map[string]any{"day_night": map[string]any{"day": 100, "night": 40}}, 409, "display_needs_site", "day_night"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := v.do(tech, "PUT", c.path, c.body)
			var e struct {
				Error struct {
					Code, Field string
					Params      map[string]any
				}
			}
			r.json(t, &e)
			if r.Status != c.status || e.Error.Code != c.code || e.Error.Field != c.field {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if c.code == "displays_need_site" && e.Error.Params["displays"] != "cho-moi" {
				t.Fatalf("names: %s", r.Body)
			}
		})
	}

	// The group: off 23:00–05:30 (on 05:30–23:00), every day.
	r := v.do(tech, "PUT", gp, map[string]any{"power": []any{win("05:30", "23:00", 1, 2, 3, 4, 5, 6, 7)}, "brightness": []any{}, "day_night": nil})
	if r.Status != 200 {
		t.Fatalf("set group: %d %s", r.Status, r.Body)
	}
	if o := get(dp); o.Own || o.InheritedFromGroup == nil || *o.InheritedFromGroup != g || fmt.Sprint(o.Power) != "[{[] 05:30 23:00}]" {
		t.Fatalf("display inherits the group's: %+v", o)
	}
	// The display's own: 40 % after sunset, and it replaces the group's.
	r = v.do(tech, "PUT", dp, map[string]any{"power": []any{win("05:30", "23:00")}, "day_night": map[string]any{"day": 100, "night": 40}})
	if r.Status != 200 {
		t.Fatalf("set display: %d %s", r.Status, r.Body)
	}
	if o := get(dp); !o.Own || o.InheritedFromGroup != nil || o.DayNight == nil || o.DayNight.Night != 40 {
		t.Fatalf("display's own: %+v", o)
	}
	if r := v.do(viewer, "PUT", dp, map[string]any{}); r.Status != 403 {
		t.Fatalf("a viewer may not: %d", r.Status)
	}
	if r := v.do(tech, "DELETE", dp, nil); r.Status != 204 {
		t.Fatalf("clear: %d %s", r.Status, r.Body)
	}
	if o := get(dp); o.Own || o.InheritedFromGroup == nil {
		t.Fatalf("inherits again: %+v", o)
	}
	if r := v.do(tech, "PUT", "/displays/99999/power-brightness", map[string]any{}); r.Status != 404 {
		t.Fatalf("unknown display: %d", r.Status)
	}
	evs, err := v.st.ListAudit(ctx, store.AuditFilter{ObjectType: "display", ObjectID: placed.ID})
	if err != nil || len(evs) < 2 {
		t.Fatalf("audited: %d %v", len(evs), err)
	}
	gevs, err := v.st.ListAudit(ctx, store.AuditFilter{ObjectType: "group", ObjectID: g})
	if err != nil || len(gevs) == 0 || gevs[0].Detail["power"] != "05:30–23:00" || gevs[0].Detail["day_night"] != "" {
		t.Fatalf("the group's audit says the rule in words: %v %v", gevs, err)
	}
}

func ptr[T any](v T) *T { return &v }
