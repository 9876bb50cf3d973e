package api

import (
	"fmt"
	"testing"

	"github.com/pano-signage/pano/controller/internal/store"
)

// A program is created from JSON, its layouts checked as an agent would
// check them; its media windows may show only media the caller sees, and
// never another program.
func TestProgramLayoutsAreChecked(t *testing.T) {
	v := newEnv(t)
	ed := v.session(v.user(store.RoleEditor, v.unitA.ID))
	slide := v.media(v.unitA.ID, store.StatusApproved)
	theirs := v.media(v.unitB.ID, store.StatusApproved)
	layout := func(windows ...map[string]any) map[string]any {
		return map[string]any{"kind": "program", "title": v.uniq("Chương trình"), "program": map[string]any{
			"layouts": []any{map[string]any{"width": 128, "height": 64, "windows": windows}}}}
	}
	media := func(id int64) map[string]any {
		return map[string]any{"kind": "media", "x": 0, "y": 0, "w": 96, "h": 48, "media_id": id}
	}
	clock := map[string]any{"kind": "clock", "x": 96, "y": 0, "w": 32, "h": 16, "format": "15:04"}
	ticker := map[string]any{"kind": "ticker", "x": 0, "y": 48, "w": 128, "h": 16, "text": "Chuyển đổi số", "speed": 40}

	var m store.Media
	must(t, v.do(ed, "POST", "/media", layout(media(slide), clock, ticker)), 201).json(t, &m)
	if m.Kind != store.KindProgram || m.Current.Program == nil || len(m.Current.Program.Layouts[0].Windows) != 3 ||
		m.Current.Program.Layouts[0].Windows[0].MediaID != slide {
		t.Fatalf("created %+v", m.Current)
	}
	var l list[store.Media]
	must(t, v.do(ed, "GET", "/media?kind=program", nil), 200).json(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != m.ID {
		t.Fatalf("programs listed: %+v", l.Items)
	}

	for _, c := range []struct {
		name string
		body map[string]any
	}{
		{"a window outside the panel", layout(map[string]any{"kind": "clock", "x": 100, "y": 0, "w": 32, "h": 16})},
		{"another unit's media", layout(media(theirs))},
		{"no such media", layout(media(999999))},
		{"a program in a window", layout(media(m.ID))},
		{"a media window without media", layout(map[string]any{"kind": "media", "x": 0, "y": 0, "w": 8, "h": 8})},
		{"a clock showing a media", layout(map[string]any{"kind": "clock", "x": 0, "y": 0, "w": 32, "h": 16, "media_id": slide})},
		{"an unknown kind", layout(map[string]any{"kind": "weather", "x": 0, "y": 0, "w": 32, "h": 16})},
		{"a ticker without text", layout(map[string]any{"kind": "ticker", "x": 0, "y": 0, "w": 32, "h": 16})},
		{"a countdown to nothing", layout(map[string]any{"kind": "countdown", "x": 0, "y": 0, "w": 32, "h": 16, "text": "Tết"})},
		{"a bad fit", layout(map[string]any{"kind": "media", "x": 0, "y": 0, "w": 8, "h": 8, "media_id": slide, "fit": "zoom"})},
		{"a media and a rotation at once", layout(map[string]any{"kind": "media", "x": 0, "y": 0, "w": 8, "h": 8, "media_id": slide, "playlist_id": 1})},
		{"no such rotation", layout(map[string]any{"kind": "media", "x": 0, "y": 0, "w": 8, "h": 8, "playlist_id": 999999})},
		{"a clock playing a rotation", layout(map[string]any{"kind": "clock", "x": 0, "y": 0, "w": 32, "h": 16, "playlist_id": 1})},
		{"a ticker from an unknown source", layout(map[string]any{"kind": "ticker", "x": 0, "y": 0, "w": 32, "h": 16, "text": "x", "source": "rss"})},
		{"no layout", map[string]any{"kind": "program", "title": "x", "program": map[string]any{"layouts": []any{}}}},
	} {
		if r := v.do(ed, "POST", "/media", c.body); r.Status != 400 || r.code() != "bad_program" {
			t.Errorf("%s: %d %s, want 400 bad_program", c.name, r.Status, r.Body)
		}
	}
	// A text notice has no layout to change.
	if r := v.do(ed, "PATCH", fmt.Sprintf("/media/%d", slide), map[string]any{"program": map[string]any{"layouts": []any{}}}); r.Status != 400 || r.code() != "bad_program" {
		t.Errorf("a layout for a text notice: %d %s", r.Status, r.Body)
	}
	// Editing the layout keeps it a program.
	next := layout(media(slide), clock)
	must(t, v.do(ed, "PATCH", fmt.Sprintf("/media/%d", m.ID), map[string]any{"program": next["program"]}), 200).json(t, &m)
	if len(m.Current.Program.Layouts[0].Windows) != 2 {
		t.Fatalf("after the edit: %+v", m.Current.Program)
	}
}
