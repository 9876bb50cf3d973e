package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/plans"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// previews gives the API a plan service whose every revision is rendered
// for every panel, as the timelines need (newEnv makes none).
func (v *env) previews() {
	if v.api.o.Previews != nil {
		return
	}
	rend := func(_ context.Context, rev int64, w, h int, fit string) (protocol.Asset, error) {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%dx%d/%s", rev, w, h, fit)))
		return protocol.Asset{SHA256: hex.EncodeToString(sum[:]), Kind: protocol.AssetImage, Bytes: 100}, nil
	}
	v.api.o.Previews = plans.New(v.st, rend, slog.New(slog.NewTextHandler(io.Discard, nil)), plans.Options{Now: v.clock})
}

type timelineDoc struct {
	DisplayID int64  `json:"display_id"`
	TimeZone  string `json:"time_zone"`
	Truncated *bool  `json:"truncated"`
	Spans     []struct {
		Start, End   time.Time
		Entry        int64
		UrgentID     int64  `json:"urgent_id"`
		PlaylistID   int64  `json:"playlist_id"`
		PlaylistName string `json:"playlist_name"`
		Priority     int
		Overlapped   []struct {
			Start, End   time.Time
			Entry        int64
			PlaylistName string `json:"playlist_name"`
			Priority     int
		}
		Items []struct {
			Start, End time.Time
			Index      int
			MediaID    int64  `json:"media_id"`
			MediaTitle string `json:"media_title"`
		}
	}
}

func TestTimelines(t *testing.T) {
	v := newEnv(t) // the clock: Wednesday 2026-11-25 15:00 in Asia/Ho_Chi_Minh
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	approver := v.session(v.user(store.RoleApprover, v.unitA.ID))
	editorA := v.session(v.user(store.RoleEditor, v.unitA.ID))

	g := v.group()
	d, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: v.uniq("man-hinh"), Width: 64, Height: 32, Fit: "contain", Profile: "virtual", GroupID: &g})
	if err != nil {
		t.Fatal(err)
	}
	allDay := v.playlist(v.unitA.ID, store.StatusApproved)
	mornings := v.playlist(v.unitB.ID, store.StatusApproved)
	var base, morning int64
	for _, x := range []struct {
		id       *int64
		playlist int64
		weekdays int
		from, to string
		priority int
	}{{&base, allDay, 127, "00:00", "24:00", 10}, {&morning, mornings, 0x1F, "07:00", "11:00", 60}} {
		var s store.Schedule
		must(t, v.do(approver, "POST", "/schedules", map[string]any{"playlist_id": x.playlist, "group_id": g, "starts_on": "2026-11-01", "ends_on": "2026-12-31",
			"weekdays": x.weekdays, "start_time": x.from, "end_time": x.to, "priority": x.priority}), 201).json(t, &s)
		*x.id = s.ID
	}

	t.Run("unavailable without the plan service", func(t *testing.T) {
		r := v.do(approver, "GET", fmt.Sprintf("/groups/%d/timeline", g), nil)
		if r.Status != 503 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
	v.previews()

	week := "from=2026-11-23T00:00:00%2B07:00&to=2026-11-30T00:00:00%2B07:00"
	monday := func(day, h int) time.Time { return time.Date(2026, 11, 23+day, h, 0, 0, 0, loc) }

	t.Run("group week: weekday mornings win, the all-day entry is shown as overlapped", func(t *testing.T) {
		var doc timelineDoc
		must(t, v.do(approver, "GET", fmt.Sprintf("/groups/%d/timeline?%s", g, week), nil), 200).json(t, &doc)
		if doc.DisplayID != d.ID || doc.TimeZone != "Asia/Ho_Chi_Minh" {
			t.Fatalf("display %d zone %s", doc.DisplayID, doc.TimeZone)
		}
		// Mon–Fri: all day 00–07, mornings 07–11, all day 11–24; weekend: all day.
		if len(doc.Spans) != 5*3+2 {
			t.Fatalf("%d blocks, want 17", len(doc.Spans))
		}
		for day := 0; day < 5; day++ {
			s := doc.Spans[day*3+1]
			if s.Entry != morning || s.PlaylistID != mornings || s.Priority != 60 || !s.Start.Equal(monday(day, 7)) || !s.End.Equal(monday(day, 11)) {
				t.Errorf("day %d, block 2: entry %d playlist %d priority %d [%s, %s)", day, s.Entry, s.PlaylistID, s.Priority, s.Start, s.End)
			}
			if !strings.HasPrefix(s.PlaylistName, "Vòng phát") {
				t.Errorf("the approver sees no name: %q", s.PlaylistName)
			}
			if len(s.Overlapped) != 1 || s.Overlapped[0].Entry != base || s.Overlapped[0].Priority != 10 ||
				!s.Overlapped[0].Start.Equal(monday(day, 7)) || !s.Overlapped[0].End.Equal(monday(day, 11)) {
				t.Errorf("day %d: overlapped %+v, want the all-day entry %d from 07:00 to 11:00", day, s.Overlapped, base)
			}
			for _, k := range []int{0, 2} {
				if s := doc.Spans[day*3+k]; s.Entry != base || len(s.Overlapped) != 0 {
					t.Errorf("day %d block %d: entry %d overlapped %v", day, k, s.Entry, s.Overlapped)
				}
			}
		}
	})

	t.Run("another unit's rotation stays unnamed for an editor", func(t *testing.T) {
		var doc timelineDoc
		must(t, v.do(editorA, "GET", fmt.Sprintf("/groups/%d/timeline?%s", g, week), nil), 200).json(t, &doc)
		if s := doc.Spans[1]; s.Entry != morning || s.PlaylistName != "" || !strings.HasPrefix(s.Overlapped[0].PlaylistName, "Vòng phát") {
			t.Fatalf("editor of unit A: %q over %q", s.PlaylistName, s.Overlapped[0].PlaylistName)
		}
	})

	t.Run("display items, an urgent notice and an entry of the display alone", func(t *testing.T) {
		urgentMedia := v.media(v.unitA.ID, store.StatusApproved)
		n, err := v.st.CreateUrgentNotice(ctx, store.System, urgentMedia, &g, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		own := v.playlist(v.unitA.ID, store.StatusApproved)
		must(t, v.do(approver, "POST", "/schedules", map[string]any{"playlist_id": own, "display_id": d.ID, "starts_on": "2026-11-25", "ends_on": "2026-11-25",
			"weekdays": 127, "start_time": "16:00", "end_time": "17:00", "priority": 20}), 201)
		var doc timelineDoc
		must(t, v.do(approver, "GET", fmt.Sprintf("/displays/%d/timeline?from=2026-11-25T14:00:00%%2B07:00&to=2026-11-25T18:00:00%%2B07:00&detail=items", d.ID), nil), 200).json(t, &doc)
		want := []struct {
			urgent     bool
			start, end time.Time
		}{
			{false, monday(2, 14), v.clock().In(loc)},
			{true, v.clock().In(loc), v.clock().Add(10 * time.Minute)},
			{false, v.clock().Add(10 * time.Minute), monday(2, 16)},
			{false, monday(2, 16), monday(2, 17)},
			{false, monday(2, 17), monday(2, 18)},
		}
		if len(doc.Spans) != len(want) || doc.Truncated == nil || *doc.Truncated {
			t.Fatalf("%d blocks (truncated %v): %+v", len(doc.Spans), doc.Truncated, doc.Spans)
		}
		for i, w := range want {
			s := doc.Spans[i]
			if (s.UrgentID != 0) != w.urgent || !s.Start.Equal(w.start) || !s.End.Equal(w.end) {
				t.Errorf("block %d: urgent %d [%s, %s), want urgent=%v [%s, %s)", i, s.UrgentID, s.Start, s.End, w.urgent, w.start, w.end)
			}
			if len(s.Items) == 0 || !s.Items[0].Start.Equal(s.Start) || !s.Items[len(s.Items)-1].End.Equal(s.End) {
				t.Errorf("block %d: items do not cover it", i)
			}
		}
		u := doc.Spans[1]
		if u.UrgentID != n.ID || u.Entry != 0 || u.Priority != plans.UrgentPriority || u.PlaylistName != n.Title || len(u.Overlapped) != 1 || u.Overlapped[0].Entry != base {
			t.Errorf("urgent block: %+v", u)
		}
		if it := u.Items[0]; it.MediaID != urgentMedia || it.MediaTitle != n.Title {
			t.Errorf("urgent item: %+v", it)
		}
		if s := doc.Spans[3]; s.Priority != 20 || s.PlaylistID != own || len(s.Overlapped) != 1 || len(s.Items) != 360 || s.Items[0].MediaTitle == "" {
			t.Errorf("the display's own hour: priority %d playlist %d overlapped %d items %d", s.Priority, s.PlaylistID, len(s.Overlapped), len(s.Items))
		}

		// The group's calendar leaves the display's own entry out.
		var gdoc timelineDoc
		must(t, v.do(approver, "GET", fmt.Sprintf("/groups/%d/timeline?from=2026-11-25T14:00:00%%2B07:00&to=2026-11-25T18:00:00%%2B07:00", g), nil), 200).json(t, &gdoc)
		if len(gdoc.Spans) != 3 || gdoc.Spans[1].UrgentID != n.ID || gdoc.Spans[2].Entry != base || !gdoc.Spans[2].End.Equal(monday(2, 18)) {
			t.Errorf("group: %+v", gdoc.Spans)
		}
	})

	t.Run("a group without displays", func(t *testing.T) {
		empty := v.group()
		must(t, v.do(approver, "POST", "/schedules", map[string]any{"playlist_id": allDay, "group_id": empty, "starts_on": "2026-11-01", "ends_on": "2026-12-31",
			"weekdays": 0x60, "start_time": "18:00", "end_time": "22:00", "priority": 30}), 201)
		var doc timelineDoc
		must(t, v.do(approver, "GET", fmt.Sprintf("/groups/%d/timeline?%s", empty, week), nil), 200).json(t, &doc)
		if doc.DisplayID != 0 || len(doc.Spans) != 2 || !doc.Spans[0].Start.Equal(monday(5, 18)) || !doc.Spans[1].End.Equal(monday(6, 22)) {
			t.Fatalf("weekend evenings of an empty group: %+v", doc)
		}
	})

	t.Run("items beyond the budget: the answer says it is truncated", func(t *testing.T) {
		fg := v.group()
		fd, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: v.uniq("nhanh"), Width: 64, Height: 32, Fit: "contain", Profile: "virtual", GroupID: &fg})
		if err != nil {
			t.Fatal(err)
		}
		m := v.media(v.unitA.ID, store.StatusApproved)
		pl, err := v.st.CreatePlaylist(ctx, store.System, store.NewPlaylist{UnitID: v.unitA.ID, Name: v.uniq("Vòng phát nhanh"), Items: []store.PlaylistItem{{MediaID: m, DurationMS: 1000}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.st.SubmitPlaylist(ctx, store.System, pl.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := v.st.ApprovePlaylist(ctx, store.System, pl.ID); err != nil {
			t.Fatal(err)
		}
		must(t, v.do(approver, "POST", "/schedules", map[string]any{"playlist_id": pl.ID, "group_id": fg, "starts_on": "2026-11-01", "ends_on": "2026-12-31",
			"weekdays": 127, "start_time": "00:00", "end_time": "24:00", "priority": 10}), 201)
		var doc timelineDoc
		must(t, v.do(approver, "GET", fmt.Sprintf("/displays/%d/timeline?from=2026-11-26T00:00:00%%2B07:00&to=2026-11-27T00:00:00%%2B07:00&detail=items", fd.ID), nil), 200).json(t, &doc)
		n := 0
		for _, s := range doc.Spans {
			n += len(s.Items)
		}
		if doc.Truncated == nil || !*doc.Truncated || n != plans.MaxTimelineItems {
			t.Fatalf("a day of 1 s items: truncated %v, %d items, want true and %d", doc.Truncated, n, plans.MaxTimelineItems)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, c := range []struct {
			path, code, says string
			status           int
			params           string // the answer's params, as JSON
		}{
			{fmt.Sprintf("/displays/%d/timeline?from=2026-11-01T00:00:00Z&to=2026-12-15T00:00:00Z", d.ID), "timeline_too_long", "at most 31 days", 400, `{"max_days":31}`},
			{fmt.Sprintf("/displays/%d/timeline?from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:01Z", d.ID), "timeline_too_long", "at most 31 days", 400, `{"max_days":31}`},
			{fmt.Sprintf("/displays/%d/timeline?%s&detail=items", d.ID, week), "timeline_items_too_long", "at most 24 hours", 400, `{"max_hours":24}`},
			{fmt.Sprintf("/displays/%d/timeline?from=2026-11-25&to=2026-11-26", d.ID), "timeline_bad_from", "RFC 3339", 400, `{"value":"2026-11-25"}`},
			{fmt.Sprintf("/displays/%d/timeline?from=2026-11-25T00:00:00Z&to=tomorrow", d.ID), "timeline_bad_to", "RFC 3339", 400, `{"value":"tomorrow"}`},
			{fmt.Sprintf("/displays/%d/timeline?from=2026-11-26T00:00:00Z&to=2026-11-25T00:00:00Z", d.ID), "timeline_reversed", "must be after", 400, ``},
			{fmt.Sprintf("/displays/%d/timeline?from=2026-11-26T00:00:00Z&to=2026-11-26T00:00:00Z", d.ID), "timeline_reversed", "must be after", 400, ``},
			{fmt.Sprintf("/groups/%d/timeline?from=2026-11-01T00:00:00Z&to=2026-12-15T00:00:00Z", g), "timeline_too_long", "at most 31 days", 400, `{"max_days":31}`},
			{fmt.Sprintf("/displays/%d/timeline?detail=all", d.ID), "bad_request", "detail", 400, ``},
			{"/displays/9999/timeline", "not_found", "display 9999", 404, ``},
			{"/groups/9999/timeline", "not_found", "group 9999", 404, ``},
		} {
			r := v.do(approver, "GET", c.path, nil)
			var doc struct {
				Error struct {
					Params json.RawMessage `json:"params"`
				} `json:"error"`
			}
			r.json(t, &doc)
			if r.Status != c.status || r.code() != c.code || !strings.Contains(string(r.Body), c.says) || string(doc.Error.Params) != c.params {
				t.Errorf("GET %s = %d %s, want %d %s saying %q with params %s", c.path, r.Status, r.Body, c.status, c.code, c.says, c.params)
			}
		}
		// A month exactly is allowed, and so is a day of items.
		must(t, v.do(approver, "GET", fmt.Sprintf("/displays/%d/timeline?from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:00Z", d.ID), nil), 200)
		must(t, v.do(approver, "GET", fmt.Sprintf("/displays/%d/timeline?from=2026-11-25T00:00:00%%2B07:00&to=2026-11-26T00:00:00%%2B07:00&detail=items", d.ID), nil), 200)
	})

	t.Run("default range is a week from today", func(t *testing.T) {
		var doc struct{ From, To time.Time }
		must(t, v.do(editorA, "GET", fmt.Sprintf("/displays/%d/timeline", d.ID), nil), 200).json(t, &doc)
		if !doc.From.Equal(monday(2, 0)) || !doc.To.Equal(monday(9, 0)) {
			t.Fatalf("from %s to %s", doc.From, doc.To)
		}
	})
}

// TestGroupTimelineLeavesOutOneScreensUrgent: a notice aimed at one
// display by name is not on its group's calendar, which the group's other
// screens follow.
func TestGroupTimelineLeavesOutOneScreensUrgent(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	approver := v.session(v.user(store.RoleApprover, v.unitA.ID))
	g := v.group()
	d1, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: v.uniq("a"), Width: 64, Height: 32, Fit: "contain", Profile: "virtual", GroupID: &g})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: v.uniq("b"), Width: 64, Height: 32, Fit: "contain", Profile: "virtual", GroupID: &g}); err != nil {
		t.Fatal(err)
	}
	m := v.media(v.unitA.ID, store.StatusApproved)
	if _, err := v.st.SendUrgentNotice(ctx, store.System, m, store.UrgentTarget{DisplayIDs: []int64{d1.ID}}, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	v.previews()
	var doc timelineDoc
	must(t, v.do(approver, "GET", fmt.Sprintf("/groups/%d/timeline", g), nil), 200).json(t, &doc)
	for _, s := range doc.Spans {
		if s.UrgentID != 0 {
			t.Errorf("group %d calendar shows urgent notice %d aimed only at display %d: %+v", g, s.UrgentID, d1.ID, s)
		}
	}
}

// stubPreviews answers every timeline with one plan.
type stubPreviews struct{ plan *protocol.Plan }

func (s stubPreviews) DisplayPreview(context.Context, int64) (*protocol.Plan, error) {
	return s.plan, nil
}
func (s stubPreviews) GroupPreview(context.Context, int64) (*protocol.Plan, int64, error) {
	return s.plan, 0, nil
}
func (s stubPreviews) ProgramPreview(context.Context, int64, int, int) (*protocol.Program, []protocol.Asset, error) {
	return nil, nil, errors.New("no programs here")
}

// TestTimelineSchema2 reads the schema-2 parts of the answer
// (TIMELINE_JSON.md): weights and shares, items' entries, power,
// brightness and the sun.
func TestTimelineSchema2(t *testing.T) {
	v := newEnv(t)
	approver := v.session(v.user(store.RoleApprover, v.unitA.ID))
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, loc)
	hash := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	p := &protocol.Plan{Schema: 2, Revision: 1, TimeZone: loc.String(), Panel: protocol.Panel{Width: 64, Height: 32}, Fallback: protocol.FallbackBlack,
		Assets: []protocol.Asset{{SHA256: hash("a"), Kind: protocol.AssetImage, Bytes: 1}, {SHA256: hash("b"), Kind: protocol.AssetImage, Bytes: 1}},
		Playlists: []protocol.Playlist{
			{ID: 1, Items: []protocol.Item{{ID: 1, Media: 11, Asset: hash("a"), DurationMS: 10_000}}},
			{ID: 2, Items: []protocol.Item{{ID: 2, Media: 22, Asset: hash("b"), DurationMS: 5_000}}},
		},
		Entries: []protocol.Entry{
			{ID: 5, Playlist: 1, Priority: 30, Weight: 2, Dayparts: []protocol.Daypart{{From: "08:00", Until: "09:00"}, {From: "22:00", Until: "01:00"}}},
			{ID: 6, Playlist: 2, Priority: 30, From: "08:00", Until: "08:30"},
		},
		Site:       &protocol.Site{Latitude: 21.0285, Longitude: 105.8542},
		Power:      []protocol.Window{{From: "05:30", Until: "23:00"}},
		Brightness: []protocol.BrightnessWindow{{Window: protocol.Window{From: "20:00", Until: "21:00"}, Percent: 30}},
		DayNight:   &protocol.DayNight{Day: 100, Night: 40},
	}
	v.api.o.Previews = stubPreviews{p}
	type who struct {
		Entry, Weight int64
		PlaylistID    int64 `json:"playlist_id"`
	}
	var doc struct {
		Spans []struct {
			Start, End time.Time
			Entry      int64
			Weight     int
			Shares     []who
			Items      []struct {
				Start, End time.Time
				Entry      int64
				PlaylistID int64 `json:"playlist_id"`
			}
		}
		Power []struct {
			Start, End time.Time
			On         bool
		}
		Brightness []struct {
			Start, End time.Time
			Percent    *int
			Source     string
		}
		Sun []struct {
			Date            string
			Sunrise, Sunset *time.Time
		}
	}
	r := must(t, v.do(approver, "GET", "/displays/1/timeline?from=2026-11-25T00:00:00%2B07:00&to=2026-11-26T00:00:00%2B07:00&detail=items", nil), 200)
	r.json(t, &doc)
	// 08:00–08:30 shared 2:1 (5 and 6), 08:30–09:00 entry 5 alone, 22:00–24:00 entry 5.
	if len(doc.Spans) != 4 {
		t.Fatalf("%d spans: %s", len(doc.Spans), r.Body)
	}
	s := doc.Spans[1]
	if s.Entry != 5 || s.Weight != 2 || len(s.Shares) != 2 || s.Shares[0] != (who{5, 2, 1}) || s.Shares[1] != (who{6, 1, 2}) ||
		!s.Start.Equal(day.Add(8*time.Hour)) || !s.End.Equal(day.Add(8*time.Hour+30*time.Minute)) {
		t.Errorf("shared span %+v", s)
	}
	var order []int64
	for _, it := range s.Items[:6] {
		order = append(order, it.Entry)
		if it.PlaylistID != it.Entry-4 {
			t.Errorf("item %+v", it)
		}
	}
	if fmt.Sprint(order) != "[5 6 5 5 6 5]" {
		t.Errorf("items by entry %v, want loops of 5, 6, 5 (weights 2:1)", order)
	}
	if len(doc.Spans[2].Shares) != 0 || doc.Spans[2].Entry != 5 {
		t.Errorf("08:30: %+v", doc.Spans[2])
	}
	if len(doc.Power) != 3 || doc.Power[0].On || !doc.Power[1].On || !doc.Power[1].Start.Equal(day.Add(5*time.Hour+30*time.Minute)) || !doc.Power[2].End.Equal(day.Add(24*time.Hour)) {
		t.Errorf("power %+v", doc.Power)
	}
	var srcs []string
	for _, b := range doc.Brightness {
		srcs = append(srcs, fmt.Sprintf("%s %d", b.Source, *b.Percent))
	}
	if fmt.Sprint(srcs) != "[night 40 day 100 night 40 window 30 night 40]" {
		t.Errorf("brightness %v", srcs)
	}
	if len(doc.Sun) != 1 || doc.Sun[0].Date != "2026-11-25" || doc.Sun[0].Sunrise == nil || !doc.Sun[0].Sunrise.Equal(doc.Brightness[1].Start) {
		t.Errorf("sun %+v", doc.Sun)
	}

	// A plan without power, brightness or site: on, the profile's level
	// (percent null), no sun.
	p.Site, p.Power, p.Brightness, p.DayNight = nil, nil, nil, nil
	body := string(must(t, v.do(approver, "GET", "/groups/1/timeline?from=2026-11-25T00:00:00%2B07:00&to=2026-11-26T00:00:00%2B07:00", nil), 200).Body)
	for _, want := range []string{`"power":[{"start":"2026-11-25T00:00:00+07:00","end":"2026-11-26T00:00:00+07:00","on":true}]`,
		`"brightness":[{"start":"2026-11-25T00:00:00+07:00","end":"2026-11-26T00:00:00+07:00","percent":null,"source":"profile"}]`, `"weight":1`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in %s", want, body)
		}
	}
	if strings.Contains(body, `"sun"`) {
		t.Errorf("a sun without a site: %s", body)
	}
}
