package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// savePlan stores a plan for a display as the plans service would.
func (v *env) savePlan(displayID int64, p protocol.Plan) {
	v.t.Helper()
	_, _, err := v.st.SavePlan(context.Background(), displayID, fmt.Sprint(time.Now().UnixNano()), func(rev int64) ([]byte, error) {
		p.Revision = rev
		return json.Marshal(p)
	})
	if err != nil {
		v.t.Fatal(err)
	}
}

// TestDisplayStatesNowPlayingAndFilters: every state is told apart, an
// offline display keeps when it was last seen, "now playing" names the
// media and its rotation (or the urgent notice), and the list filters by
// state, group and name and pages with a total.
func TestDisplayStatesNowPlayingAndFilters(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	g := v.group()
	mk := func(name string, group *int64) int64 {
		d, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: name, Width: 64, Height: 32, Fit: "contain", Profile: "virtual", GroupID: group})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	never := mk("a-chua-ket-noi", nil)
	gone := mk("b-mat-ket-noi", &g)
	blank := mk("c-tat-hinh", &g)
	playing := mk("d-dang-phat", nil)
	pattern := mk("e-mau-kiem-tra", nil)

	// gone was online at 07:00 and left at 07:30.
	dark := time.Date(2026, 11, 25, 7, 30, 0, 0, time.UTC)
	if err := v.st.SeeAgent(ctx, store.Agent{Name: "b-mat-ket-noi", DisplayID: gone, Profile: "virtual"}, dark.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := v.st.AgentLeft(ctx, "b-mat-ket-noi", dark); err != nil {
		t.Fatal(err)
	}

	// playing plays item 1 of a rotation whose media has a title.
	pl := v.playlist(v.unitA.ID, store.StatusApproved)
	p, err := v.st.Playlist(ctx, pl)
	if err != nil {
		t.Fatal(err)
	}
	media := p.Approved.Items[0].MediaID
	m, err := v.st.Media(ctx, media)
	if err != nil {
		t.Fatal(err)
	}
	v.savePlan(playing, protocol.Plan{DisplayID: playing, Playlists: []protocol.Playlist{
		{ID: pl + 100, Items: []protocol.Item{{ID: 1, Media: media, Asset: "bbbb"}}}, // the same position in another rotation, another asset
		{ID: pl, Items: []protocol.Item{{ID: 1, Media: media, Asset: "aaaa"}}},
	}})
	health := func(state string, item int64, asset string) *protocol.Health {
		return &protocol.Health{DriverState: state, CurrentItem: item, CurrentAsset: asset, At: v.clock()}
	}
	beat := v.clock().Add(-5 * time.Second)
	v.api.o.Hub = fakeHub{
		{DisplayID: blank, Name: "c-tat-hinh", LastHeartbeat: beat, Health: health("blanked", 0, "")},
		{DisplayID: playing, Name: "d-dang-phat", LastHeartbeat: beat, Health: health("ok", 1, "aaaa")},
		{DisplayID: pattern, Name: "e-mau-kiem-tra", LastHeartbeat: beat, Health: health("test_pattern", 1, "aaaa")}, // the item under the pattern
	}
	v.savePlan(pattern, protocol.Plan{DisplayID: pattern, Playlists: []protocol.Playlist{{ID: pl, Items: []protocol.Item{{ID: 1, Media: media, Asset: "aaaa"}}}}})

	var page displayPage
	must(t, v.do(tech, "GET", "/displays", nil), 200).json(t, &page)
	if page.Total != 5 || len(page.Items) != 5 {
		t.Fatalf("total %d, %d items, want 5", page.Total, len(page.Items))
	}
	want := map[int64]string{never: StateNeverConnected, gone: StateOffline, blank: StateBlanked, playing: StateOnline, pattern: StateTestPattern}
	for _, d := range page.Items {
		if d.State != want[d.ID] {
			t.Errorf("%s: state %q, want %q", d.Name, d.State, want[d.ID])
		}
		switch d.ID {
		case never:
			if d.LastSeen != nil {
				t.Errorf("never connected, yet last seen %v", d.LastSeen)
			}
		case gone:
			if d.LastSeen == nil || !d.LastSeen.Equal(dark) {
				t.Errorf("offline display last seen %v, want %v (when its link closed)", d.LastSeen, dark)
			}
		case pattern:
			if d.NowPlaying != nil {
				t.Errorf("a test pattern on screen, yet now playing %+v", d.NowPlaying)
			}
		case playing:
			if d.NowPlaying == nil || d.NowPlaying.Title != m.Title || d.NowPlaying.Playlist != p.Name || d.NowPlaying.PlaylistID != pl {
				t.Errorf("now playing %+v, want %q in %q (%d)", d.NowPlaying, m.Title, p.Name, pl)
			}
			if d.LastSeen == nil || !d.LastSeen.Equal(beat) {
				t.Errorf("online display last seen %v, want its last heartbeat %v", d.LastSeen, beat)
			}
		}
	}
	if page.Counts[StateOffline] != 1 || page.Counts[StateBlanked] != 1 || page.Counts[StateNeverConnected] != 1 {
		t.Errorf("counts %v", page.Counts)
	}

	// An urgent notice for every display turns the online ones that play
	// their schedule into "urgent"; one that plays it is named for it.
	n, err := v.st.CreateUrgentNotice(ctx, store.System, v.media(v.unitA.ID, store.StatusApproved), nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v.savePlan(pattern, protocol.Plan{DisplayID: pattern, Playlists: []protocol.Playlist{{ID: -n.ID, Name: n.Title, Items: []protocol.Item{{ID: 1, Media: n.MediaID, Asset: "cccc"}}}}})
	v.api.o.Hub = fakeHub{
		{DisplayID: blank, Name: "c-tat-hinh", Health: health("blanked", 0, "")},
		{DisplayID: playing, Name: "d-dang-phat", Health: health("ok", 1, "aaaa")},
		{DisplayID: pattern, Name: "e-mau-kiem-tra", Health: health("ok", 1, "cccc")},
	}
	for _, tc := range []struct {
		query string
		want  []int64
		total int
	}{
		{"?state=urgent", []int64{playing, pattern}, 2},
		{"?state=blanked", []int64{blank}, 1},
		{"?state=offline", []int64{gone}, 1},
		{"?state=never_connected", []int64{never}, 1},
		{fmt.Sprintf("?group_id=%d", g), []int64{gone, blank}, 2},
		{"?q=phat", []int64{playing}, 1},
		{"?limit=2", []int64{never, gone}, 5},
		{"?limit=2&offset=2", []int64{blank, playing}, 5},
		{"?limit=2&offset=4", []int64{pattern}, 5},
		{"?state=urgent&limit=1&offset=1", []int64{pattern}, 2},
	} {
		var page displayPage
		must(t, v.do(tech, "GET", "/displays"+tc.query, nil), 200).json(t, &page)
		var got []int64
		for _, d := range page.Items {
			got = append(got, d.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || page.Total != tc.total {
			t.Errorf("%s: %v of %d, want %v of %d", tc.query, got, page.Total, tc.want, tc.total)
		}
		if tc.query == "?state=urgent" {
			if np := page.Items[1].NowPlaying; np == nil || np.UrgentID != n.ID || np.Title != n.Title {
				t.Errorf("urgent now playing %+v, want notice %d %q", np, n.ID, n.Title)
			}
		}
	}
	for _, bad := range []string{"?state=dark", "?limit=0", "?limit=1001", "?offset=-1"} {
		if r := v.do(tech, "GET", "/displays"+bad, nil); r.Status != 400 {
			t.Errorf("%s = %d, want 400", bad, r.Status)
		}
	}
}

// BenchmarkListDisplays lists a page of 1,000 displays, 300 of them online,
// filtered by state as the dashboard asks (the handler itself, past the
// session check): it must answer well within the dashboard's 2 s.
func BenchmarkListDisplays(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var agents fakeHub
	for i := 0; i < 1000; i++ {
		d, err := st.CreateDisplay(ctx, store.System, store.Display{Name: fmt.Sprintf("man-hinh-%04d", i), Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
		if err != nil {
			b.Fatal(err)
		}
		if i%10 < 3 {
			agents = append(agents, hub.AgentInfo{DisplayID: d.ID, Name: d.Name, Health: &protocol.Health{DriverState: "ok", At: time.Now()}})
		} else if err := st.SeeAgent(ctx, store.Agent{Name: d.Name, DisplayID: d.ID}, time.Now().Add(-time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	a := New(Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Store: st, Hub: agents})
	e := echo.New()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest("GET", "/api/v1/displays?limit=24&offset=240&state=online", nil), rec)
		if err := a.listDisplays(c, nil); err != nil {
			b.Fatal(err)
		}
		var page displayPage
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			b.Fatal(err)
		}
		if page.Total != 300 || len(page.Items) != 24 || page.Counts[StateOffline] != 700 {
			b.Fatalf("total %d, %d items, counts %v", page.Total, len(page.Items), page.Counts)
		}
	}
}

// The add-display form lists the bundled firmware profiles.
func TestProfilesListTheBundledOnes(t *testing.T) {
	v := newEnv(t)
	var l list[profileOut]
	must(t, v.do(v.session(v.user(store.RoleTechnician, v.unitA.ID)), "GET", "/profiles", nil), 200).json(t, &l)
	found := false
	for _, p := range l.Items {
		if p.Name == "virtual" {
			found = p.Driver == "virtual" && p.Width == 64 && p.Height == 32 && p.Description != ""
		}
	}
	if len(l.Items) < 5 || !found {
		t.Fatalf("profiles %+v: want the bundled ones, virtual 64×32 among them", l.Items)
	}
}

// The health history: a sample per 30 s at most, read by time range,
// pruned past the retention.
func TestHealthHistory(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	id := v.display()
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	t0 := v.clock().Add(-30 * time.Hour)
	temp := 51.5
	kept := 0
	for i := 0; i < 30*60*6; i++ { // 30 h of reports every 10 s
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		ok, err := v.st.AddHealthSample(ctx, id, store.HealthSample{At: at, FPS: 25, TargetFPS: 25, ClockOffsetMS: float64(i % 7), CPUTempC: &temp, Frozen: i == 600}, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			kept++
		}
	}
	if kept != 30*60*2 { // one in three
		t.Fatalf("kept %d samples of 30 h of reports every 10 s, want %d (one per 30 s)", kept, 30*60*2)
	}
	var h healthOut
	must(t, v.do(tech, "GET", fmt.Sprintf("/displays/%d/health", id), nil), 200).json(t, &h)
	if n := len(h.Items); n < 24*60*2-1 || n > 24*60*2 || !h.To.Equal(v.clock()) || !h.From.Equal(v.clock().Add(-24*time.Hour)) {
		t.Fatalf("last 24 h: %d samples from %v to %v", n, h.From, h.To)
	}
	if h.Items[0].CPUTempC == nil || *h.Items[0].CPUTempC != temp || h.Items[0].At.Before(h.From) {
		t.Fatalf("first sample %+v", h.Items[0])
	}
	from := t0.Add(100 * time.Minute).Format(time.RFC3339)
	to := t0.Add(110 * time.Minute).Format(time.RFC3339)
	must(t, v.do(tech, "GET", fmt.Sprintf("/displays/%d/health?from=%s&to=%s", id, from, to), nil), 200).json(t, &h)
	if len(h.Items) != 20 || !h.Items[0].Frozen {
		t.Fatalf("10 minutes from the frozen report: %d samples, first %+v", len(h.Items), h.Items[0])
	}
	n, err := v.st.PruneHealthSamples(ctx, v.clock().Add(-24*time.Hour))
	if err != nil || n != 6*60*2 {
		t.Fatalf("pruned %d (%v), want the 6 h past 24 h", n, err)
	}
	if r := v.do(tech, "GET", fmt.Sprintf("/displays/%d/health?from=%s&to=%s", id, to, from), nil); r.Status != 400 {
		t.Fatalf("from after to: %d", r.Status)
	}

	// A display online now ends its history with its latest report, even
	// before its first sample.
	fresh := v.display()
	v.api.o.Hub = fakeHub{{DisplayID: fresh, LastHeartbeat: v.clock().Add(-time.Second), Health: &protocol.Health{AchievedFPS: 12.5, At: v.clock()}}}
	must(t, v.do(tech, "GET", fmt.Sprintf("/displays/%d/health", fresh), nil), 200).json(t, &h)
	if len(h.Items) != 1 || h.Items[0].FPS != 12.5 {
		t.Fatalf("history of a display just online: %+v", h.Items)
	}
}

// TestUrgentStateOnlyOnTargetedScreens: a notice aimed at one screen marks
// that screen urgent, not every online one.
func TestUrgentStateOnlyOnTargetedScreens(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	tech := v.session(v.user(store.RoleTechnician, v.unitA.ID))
	mk := func(name string) int64 {
		d, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: name, Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	a, b := mk("a"), mk("b")
	_, err := v.st.SendUrgentNotice(ctx, store.System, v.media(v.unitA.ID, store.StatusApproved), store.UrgentTarget{DisplayIDs: []int64{a}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v.api.o.Hub = fakeHub{
		{DisplayID: a, Name: "a", Health: &protocol.Health{DriverState: "ok"}},
		{DisplayID: b, Name: "b", Health: &protocol.Health{DriverState: "ok"}},
	}
	var page displayPage
	must(t, v.do(tech, "GET", "/displays", nil), 200).json(t, &page)
	for _, d := range page.Items {
		if want := map[int64]string{a: StateUrgent, b: StateOnline}[d.ID]; d.State != want {
			t.Errorf("display %s is %q, want %q", d.Name, d.State, want)
		}
	}
}

// TestNowPlayingNamesOnlyOwnUnit: an editor of another unit sees that a
// screen plays something (the ids), not the names of unit A's content and
// rotation, which are 404 to them elsewhere; unit A's editor sees them.
func TestNowPlayingNamesOnlyOwnUnit(t *testing.T) {
	v := newEnv(t)
	ctx := context.Background()
	ed := v.session(v.user(store.RoleEditor, v.unitB.ID))
	d, err := v.st.CreateDisplay(ctx, store.System, store.Display{Name: "x", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	pl := v.playlist(v.unitA.ID, store.StatusApproved)
	p, _ := v.st.Playlist(ctx, pl)
	media := p.Approved.Items[0].MediaID
	v.savePlan(d.ID, protocol.Plan{DisplayID: d.ID, Playlists: []protocol.Playlist{{ID: pl, Items: []protocol.Item{{ID: 1, Media: media, Asset: "aaaa"}}}}})
	v.api.o.Hub = fakeHub{{DisplayID: d.ID, Name: "x", Health: &protocol.Health{DriverState: "ok", CurrentItem: 1, CurrentAsset: "aaaa"}}}
	var other, own displayOut
	must(t, v.do(ed, "GET", fmt.Sprintf("/displays/%d", d.ID), nil), 200).json(t, &other)
	if np := other.NowPlaying; np == nil || np.MediaID != media || np.Title != "" || np.Playlist != "" {
		t.Errorf("unit B's editor sees now playing %+v", np)
	}
	must(t, v.do(v.session(v.user(store.RoleEditor, v.unitA.ID)), "GET", fmt.Sprintf("/displays/%d", d.ID), nil), 200).json(t, &own)
	if np := own.NowPlaying; np == nil || np.Title == "" || np.Playlist == "" {
		t.Errorf("unit A's editor sees now playing %+v", np)
	}

	// Pages that want names and geometries only ask for a brief list,
	// which reads no plans; the full list names what plays.
	var brief, full displayPage
	own2 := v.session(v.user(store.RoleEditor, v.unitA.ID))
	must(t, v.do(own2, "GET", "/displays?brief=true", nil), 200).json(t, &brief)
	must(t, v.do(own2, "GET", "/displays", nil), 200).json(t, &full)
	if len(brief.Items) != 1 || brief.Items[0].NowPlaying != nil || len(full.Items) != 1 || full.Items[0].NowPlaying == nil {
		t.Errorf("brief list %+v, full list %+v", brief.Items, full.Items)
	}
}

// A screen its power windows have off is "power_off", not online, offline
// or in error — even with an urgent notice that does not wake it — while
// what the agent does on purpose (blank, a test pattern) and a failing
// panel still say so.
func TestPowerOffState(t *testing.T) {
	group := int64(4)
	d := store.Display{ID: 9, GroupID: &group}
	l := &live{urgent: []store.UrgentNotice{{GroupIDs: []int64{group}}}}
	for _, tc := range []struct {
		h    protocol.Health
		want string
	}{
		{protocol.Health{DriverState: "ok", PowerOff: true}, StatePowerOff},
		{protocol.Health{DriverState: "ok", PowerOff: true, Frozen: true}, StatePowerOff},
		{protocol.Health{DriverState: "ok"}, StateUrgent},
		{protocol.Health{DriverState: "blanked", PowerOff: true}, StateBlanked},
		{protocol.Health{DriverState: "identify", PowerOff: true}, StateIdentify},
		{protocol.Health{DriverState: "error", PowerOff: true}, StatePanelError},
	} {
		h := tc.h
		if got := l.state(d, &liveAgent{Health: &h}, store.DisplayActivity{}); got != tc.want {
			t.Errorf("%+v: state %q, want %q", tc.h, got, tc.want)
		}
	}
}
