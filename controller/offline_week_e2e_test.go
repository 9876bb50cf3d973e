package main

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// TestOfflineWeekFollowsEveryDaypartAndWindow: a real agent, enrolled with
// a real controller and driving E1.31 to the independent receiver of the
// schedule tests, takes a plan said through the controller's API —
// dayparts (one across midnight), two rotations sharing the day 2:1, an
// item whose validity ends within the week, power windows (off 23:00–05:30,
// but on until 01:00 two nights), a brightness window and day/night levels
// by the sun at the display's coordinates — and all its content. Then the
// controller stops, and the agent's clock (PANO_CLOCK_FILE, a test-only
// clock) is stepped through the next seven days: shortly before each
// instant at which the evaluator says the power, the level, an entry's
// window or an item's validity changes, and at a sample of item changes
// (random, seeded by the week's start, which the log gives), and the clock
// runs on through it. The frames on the wire must show what
// the evaluator says on both sides — the item's solid colour scaled by the
// level in force, or black and Stream_Terminated when off — and switch on
// time.
func TestOfflineWeekFollowsEveryDaypartAndWindow(t *testing.T) {
	// 256 LEDs, two universes; 16 high, as text needs lines of 13 (a
	// lower panel shows no text).
	const w, h = 16, 16
	e := newRuntimeEnv(t)
	rx := newSACNReceiver(t, 1, 2)
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}

	// The agent's clock starts on the real one; the test moves it later.
	clk := &clockFile{t: t, path: filepath.Join(t.TempDir(), "clock")}
	clk.set(time.Now())

	// The week is the seven days from today (the controller's zone).
	today := time.Now().In(loc)
	date := func(k int) string { return today.AddDate(0, 0, k).Format(time.DateOnly) }
	isoDay := func(k int) int { // ISO weekday of day k: 1 = Monday … 7 = Sunday
		d := int(today.AddDate(0, 0, k).Weekday())
		if d == 0 {
			return 7
		}
		return d
	}
	bits := func(days ...int) int { // ISO weekdays as the API's bitmask
		m := 0
		for _, d := range days {
			m |= 1 << (d - 1)
		}
		return m
	}

	// Each slide is a solid colour (text and title drawn in the
	// background's colour), so one LED tells which slide is on and, scaled,
	// at which level. Channels of 100 and 200 stay apart at 40, 70 and 100 %.
	colours := map[string]color.RGBA{
		"đỏ": {R: 200, A: 255}, "xanh lá": {G: 200, A: 255}, "tím hồng": {R: 200, B: 200, A: 255},
		"xanh dương": {B: 200, A: 255}, "vàng": {R: 200, G: 200, A: 255}, "xanh ngọc": {G: 200, B: 200, A: 255},
		"cam": {R: 200, G: 100, A: 255}, "tím": {R: 100, B: 200, A: 255},
	}
	colourOf := map[int64]color.RGBA{} // media id → colour
	nameOf := map[int64]string{}
	slide := func(name, validUntil string) any {
		c := colours[name]
		hex := fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
		m := e.author.call("POST", "/media", map[string]any{
			"title": "Màu " + name, "kind": "text", "body": name, "valid_until": validUntil,
			"style": map[string]any{"color": hex, "title_color": hex, "background": hex, "hide_title": true},
		}, 201)
		id := m["id"]
		e.author.call("POST", fmt.Sprintf("/media/%v/submit", id), nil, 200)
		e.waitMediaReady(id)
		e.approver.call("POST", fmt.Sprintf("/media/%v/approve", id), nil, 200)
		colourOf[int64(id.(float64))], nameOf[int64(id.(float64))] = c, name
		return id
	}
	rotation := func(name string, seconds int, media ...any) any {
		var items []any
		for _, id := range media {
			items = append(items, map[string]any{"media_id": id, "duration_ms": seconds * 1000})
		}
		p := e.author.call("POST", "/playlists", map[string]any{"name": name, "items": items}, 201)
		e.author.call("POST", fmt.Sprintf("/playlists/%v/submit", p["id"]), nil, 200)
		e.approver.call("POST", fmt.Sprintf("/playlists/%v/approve", p["id"]), nil, 200)
		return p["id"]
	}

	display := e.tech.call("POST", "/displays", map[string]any{"name": "pho-hang-bac", "width": w, "height": h, "profile": "virtual",
		"latitude": 21.0285, "longitude": 105.8542}, 201) // Hà Nội
	id := int64(display["id"].(float64))

	// Ward news (weight 2: the validity of one slide ends at the end of
	// day 2) and culture (weight 1) share the whole day; rush hours on
	// the first five days and the night rotation (21:00–06:00, not opened
	// on day 2) outrank them. The screen is off 23:00–05:30, but stays on
	// until 01:00 after days 2 and 4: the slide's validity ends, and the
	// night rotation crosses midnight, in sight.
	news := rotation("Tin phường", 20, slide("đỏ", ""), slide("xanh lá", ""), slide("tím hồng", date(2)))
	culture := rotation("Văn hoá", 20, slide("xanh dương", ""))
	rush := rotation("Giờ cao điểm", 30, slide("vàng", ""), slide("xanh ngọc", ""))
	night := rotation("Đêm", 30, slide("cam", ""), slide("tím", ""))
	schedule := func(playlist any, priority, weight, weekdays int, dayparts ...protocol.Daypart) {
		e.approver.call("POST", "/schedules", map[string]any{
			"playlist_id": playlist, "display_id": id, "starts_on": date(-1), "ends_on": date(8),
			"weekdays": weekdays, "priority": priority, "weight": weight, "dayparts": dayparts,
		}, 201)
	}
	allDay := protocol.Daypart{From: "00:00", Until: "24:00"}
	schedule(news, 30, 2, 127, allDay)
	schedule(culture, 30, 1, 127, allDay)
	schedule(rush, 50, 1, bits(isoDay(0), isoDay(1), isoDay(2), isoDay(3), isoDay(4)),
		protocol.Daypart{From: "06:30", Until: "08:30"}, protocol.Daypart{From: "16:30", Until: "19:00"})
	var nightDays []int
	for k := 0; k < 7; k++ {
		if k != 2 {
			nightDays = append(nightDays, isoDay(k))
		}
	}
	schedule(night, 50, 1, bits(nightDays...), protocol.Daypart{From: "21:00", Until: "06:00"})
	e.tech.call("PUT", fmt.Sprintf("/displays/%d/power-brightness", id), map[string]any{
		"power":      []protocol.Window{{From: "05:30", Until: "23:00"}, {Weekdays: []int{isoDay(2), isoDay(4)}, From: "23:00", Until: "01:00"}},
		"brightness": []protocol.BrightnessWindow{{Window: protocol.Window{From: "11:00", Until: "13:00"}, Percent: 70}},
		"day_night":  protocol.DayNight{Day: 100, Night: 40},
	}, 200)

	// The agent: E1.31 to the receiver, its clock read from the file.
	sets := []string{"host=127.0.0.1", fmt.Sprintf("port=%d", rx.port()), "universe=1", "serpentine=none", "gamma=1"}
	ag, state := e.agent("pho-hang-bac", w, h, "e131", sets, "PANO_CLOCK_FILE="+clk.path)
	ag.waitLine(t, regexp.MustCompile(`agent clock read from a file`), 1)
	var plan protocol.Plan
	health := e.waitHealth(id, "the newest plan and all its content", func(h protocol.Health) bool {
		plan = e.plan(id)
		var total int64
		for _, a := range plan.Assets {
			total += a.Bytes
		}
		return h.PlanRevision == plan.Revision && h.SyncTotal == total && total > 0 && h.SyncDone == h.SyncTotal && len(h.Missing) == 0
	})
	sched, err := protocol.Compile(&plan)
	if err != nil {
		t.Fatalf("the controller's plan does not compile: %v", err)
	}
	if plan.TimeZone != loc.String() {
		t.Fatalf("the plan's zone is %s; the test set its dates in %s", plan.TimeZone, loc)
	}
	checkWeekPlan(t, &plan, colourOf)
	for _, a := range plan.Assets { // every slide is the solid colour it says
		img := decodeRGBA(t, e.asset(state, a.SHA256))
		first := img.RGBAAt(0, 0)
		for k := 0; k < len(img.Pix); k += 4 {
			if c := (color.RGBA{img.Pix[k], img.Pix[k+1], img.Pix[k+2], img.Pix[k+3]}); c != first {
				t.Fatalf("asset %s is not one colour: %v and %v", a.SHA256[:12], first, c)
			}
		}
	}

	// Offline.
	offset := time.Duration(health.ClockOffsetMS * float64(time.Millisecond))
	if _, err := e.ctl.stop(t); err != nil {
		t.Fatal(err)
	}
	ag.waitLine(t, regexp.MustCompile(`controller link down; retrying`), 1)
	clk.offset = offset

	start := clk.now().Truncate(time.Millisecond) // the evaluator counts in ms
	end := start.AddDate(0, 0, 7)
	want := func(at time.Time) look { return expected(t, sched, colourOf, at) }
	checkWard(t, sched, want, loc, today, nameOf)
	edges := weekEdges(sched, start, end, rand.New(rand.NewPCG(uint64(start.UnixMilli()), 10)))
	t.Logf("week from %s: %d instants to check (clock offset to the controller %v)", start.Format(time.RFC3339), len(edges), offset)

	began := time.Now()
	on := want(start).on
	checked, unseen, retries := 0, 0, 0
	const maxRetries = 5
	var lines []string
	for _, x := range edges {
		before, after := want(x.at.Add(-time.Millisecond)), want(x.at)
		if !before.on && !after.on {
			unseen++ // off on both sides: nothing to see
			continue
		}
		what := fmt.Sprintf("%s (%s): %s → %s", x.at.In(loc).Format("Mon 02 15:04:05.000"), strings.Join(x.why, ", "), before.say(nameOf), after.say(nameOf))
		// A check without a verdict or with a wrong frame is tried again,
		// said in the log: on a loaded machine a process may stall for a
		// few hundred ms (no frames, or frames that come late). What the
		// agent does wrong fails every time.
		for try := 1; ; try++ {
			why := checkEdge(t, rx, clk, x.at, on, want, nameOf)
			on = after.on // where the agent's clock is now
			if why == "" {
				break
			}
			retries++
			if try == 3 || retries > maxRetries {
				t.Fatalf("%s: %s", what, why)
			}
			t.Logf("%s: %s\ntrying again", what, why)
		}
		lines = append(lines, what)
		checked++
	}
	t.Logf("checked %d instants in %v, %d tried again (%d more fell while the screen was off)", checked, time.Since(began).Round(time.Millisecond), retries, unseen)
	for _, l := range lines {
		t.Log(l)
	}
}

// checkWard checks that the evaluator says what the ward set, day by day
// (day 0 is today): the agent is then checked against the ward's intent at
// those instants, not only against the evaluator.
func checkWard(t *testing.T, s *protocol.Schedule, want func(time.Time) look, loc *time.Location, today time.Time, names map[int64]string) {
	t.Helper()
	at := func(k int, clock string) time.Time {
		d := today.AddDate(0, 0, k)
		c, err := time.Parse("15:04:05.000", clock)
		if err != nil {
			t.Fatal(err)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), c.Second(), c.Nanosecond(), loc)
	}
	is := func(l look, slides ...string) bool { return l.on && slices.Contains(slides, names[l.media]) }
	lateNight := func(k int) bool { return k == 2 || k == 4 }
	for k := 1; k < 7; k++ {
		switch {
		case want(at(k, "05:29:59.999")).on:
			t.Fatalf("day %d: on at 05:29:59.999", k)
		case !is(want(at(k, "05:30:00.000")), "cam", "tím") == (k-1 != 2):
			t.Fatalf("day %d 05:30: %s; the night rotation opened the evening before (day %d) should show, and only then",
				k, want(at(k, "05:30:00.000")).say(names), k-1)
		case is(want(at(k, "06:00:00.000")), "cam", "tím"):
			t.Fatalf("day %d 06:00: the night rotation still shows", k)
		case is(want(at(k, "07:00:00.000")), "vàng", "xanh ngọc") != (k <= 4):
			t.Fatalf("day %d 07:00: %s; rush hours run on days 0–4", k, want(at(k, "07:00:00.000")).say(names))
		case want(at(k, "10:59:59.999")).level != 100 || want(at(k, "11:00:00.000")).level != 70 || want(at(k, "13:00:00.000")).level != 100:
			t.Fatalf("day %d: levels %d, %d, %d around the 11:00–13:00 window", k,
				want(at(k, "10:59:59.999")).level, want(at(k, "11:00:00.000")).level, want(at(k, "13:00:00.000")).level)
		case want(at(k, "20:00:00.000")).level != 40:
			t.Fatalf("day %d 20:00: level %d, want 40 (night)", k, want(at(k, "20:00:00.000")).level)
		case !want(at(k, "22:59:59.999")).on || want(at(k, "23:30:00.000")).on != lateNight(k) || want(at(k+1, "00:59:59.999")).on != lateNight(k):
			t.Fatalf("day %d: on till 23:00, and till 01:00 on days 2 and 4 only", k)
		}
	}
	// The two all-day rotations take turns 2:1, loop by loop; the
	// expiring slide shows on day 2, never after.
	loops := map[string]int{}
	for c := at(5, "09:00:00.000"); c.Before(at(5, "11:00:00.000")); c = c.Add(20 * time.Second) {
		if l := want(c); names[l.media] == "đỏ" || names[l.media] == "xanh dương" {
			loops[names[l.media]]++ // each loop's first slide
		}
	}
	if loops["đỏ"] != 2*loops["xanh dương"] || loops["xanh dương"] < 10 {
		t.Fatalf("day 5, 09:00–11:00: %d loops of the news, %d of culture; want 2:1", loops["đỏ"], loops["xanh dương"])
	}
	seen := map[int]bool{}
	for c := at(2, "05:30:00.000"); c.Before(at(7, "00:00:00.000")); c = c.Add(20 * time.Second) {
		if l := want(c); names[l.media] == "tím hồng" {
			seen[int(c.Sub(at(0, "00:00:00.000")).Hours())/24] = true
		}
	}
	if !seen[2] || len(seen) != 1 {
		t.Fatalf("the slide valid until day 2 shows on days %v", seen)
	}
}

// clockFile is the agent's test clock: the instant it reads at the file's
// modification time, from which it runs on in real time (clock.FileLocal).
type clockFile struct {
	t      *testing.T
	path   string
	at     time.Time     // the instant in the file
	mtime  time.Time     // the file's modification time
	offset time.Duration // controller − agent clock, from the last sync
}

// set writes a new instant, whole (a rename), as the agent expects.
func (c *clockFile) set(at time.Time) {
	c.t.Helper()
	tmp := c.path + ".new"
	if err := os.WriteFile(tmp, []byte(at.UTC().Format(time.RFC3339Nano)+"\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		c.t.Fatal(err)
	}
	st, err := os.Stat(c.path)
	if err != nil {
		c.t.Fatal(err)
	}
	c.at, c.mtime = at, st.ModTime()
}

// agentAt is the agent's controller time at the wall instant wall.
func (c *clockFile) agentAt(wall time.Time) time.Time {
	return c.at.Add(wall.Round(0).Sub(c.mtime) + c.offset)
}

// wallAt is the wall instant at which the agent's controller time is at.
func (c *clockFile) wallAt(at time.Time) time.Time {
	return c.mtime.Add(at.Sub(c.at) - c.offset)
}

func (c *clockFile) now() time.Time { return c.agentAt(time.Now()) }

// look is what the screen should show: off, or a slide's colour at a level.
type look struct {
	on     bool
	media  int64
	colour color.RGBA
	level  int
}

func (l look) say(names map[int64]string) string {
	if !l.on {
		return "off"
	}
	return fmt.Sprintf("%s %d%%", names[l.media], l.level)
}

// rgb is the colour as the receiver gets it: scaled by the level (gamma 1).
func (l look) rgb() [3]int {
	if !l.on {
		return [3]int{}
	}
	s := func(v uint8) int { return int(math.Round(float64(v) * float64(l.level) / 100)) }
	return [3]int{s(l.colour.R), s(l.colour.G), s(l.colour.B)}
}

// expected is what the evaluator says the screen shows at t.
func expected(t *testing.T, s *protocol.Schedule, colours map[int64]color.RGBA, at time.Time) look {
	t.Helper()
	on, _ := s.PowerAt(at)
	if !on {
		return look{}
	}
	level, ok, _ := s.BrightnessAt(at)
	if !ok {
		level = 100
	}
	slot, ok := s.At(at)
	if !ok {
		t.Fatalf("%v: no entry applies, but the news rotation runs all day", at)
	}
	return look{on: true, media: slot.Item.Media, colour: colours[slot.Item.Media], level: level}
}

// checkWeekPlan checks that the controller's plan says what the test set
// through the API, so the week below tests that.
func checkWeekPlan(t *testing.T, p *protocol.Plan, colours map[int64]color.RGBA) {
	t.Helper()
	var weights []int
	crossing, expiring := false, 0
	for _, en := range p.Entries {
		if en.Priority == 30 {
			weights = append(weights, max(en.Weight, 1))
		}
		// One window across midnight is schema 1's from/until; several
		// are dayparts.
		for _, d := range append(en.Dayparts, protocol.Daypart{From: en.From, Until: en.Until}) {
			crossing = crossing || (d.From != "" && d.Until != "" && d.Until != "24:00" && d.Until <= d.From)
		}
	}
	for _, pl := range p.Playlists {
		for _, it := range pl.Items {
			if _, ok := colours[it.Media]; !ok {
				t.Fatalf("plan item of media %d, which the test did not make", it.Media)
			}
			if it.NotAfter != nil {
				expiring++
			}
		}
	}
	sort.Ints(weights)
	switch {
	case p.Schema != 2 || len(p.Entries) != 4:
		t.Fatalf("plan schema %d with %d entries; want 2 and 4", p.Schema, len(p.Entries))
	case !slices.Equal(weights, []int{1, 2}):
		t.Fatalf("the two all-day rotations have weights %v, want 1 and 2", weights)
	case !crossing:
		t.Fatal("no daypart crosses midnight")
	case expiring != 1:
		t.Fatalf("%d items with a validity end, want 1", expiring)
	case len(p.Power) != 2 || len(p.Brightness) != 1 || p.DayNight == nil || p.Site == nil:
		t.Fatalf("power %v, brightness %v, day/night %v, site %v", p.Power, p.Brightness, p.DayNight, p.Site)
	}
}

// edge is an instant at which something changes, and what.
type edge struct {
	at  time.Time
	why []string
}

// weekEdges lists, in [from, to), every instant at which the evaluator
// says the power, the level, an entry's window or an item's validity
// changes, the start and end of the last showing of a slide whose validity
// ends, and two item changes a day picked at random among those that
// change the picture (none within 2 s of another instant).
func weekEdges(s *protocol.Schedule, from, to time.Time, rnd *rand.Rand) []edge {
	at := map[int64][]string{}
	add := func(t time.Time, why string) {
		if t.After(from.Add(2*time.Second)) && t.Before(to) {
			at[t.UnixMilli()] = append(at[t.UnixMilli()], why)
		}
	}
	for t := from; ; {
		on, next := s.PowerAt(t)
		if next.IsZero() || !next.Before(to) {
			break
		}
		add(next, map[bool]string{true: "power off", false: "power on"}[on])
		t = next
	}
	for t := from; ; {
		_, src, next := s.BrightnessBy(t)
		if next.IsZero() || !next.Before(to) {
			break
		}
		_, then, _ := s.BrightnessBy(next)
		add(next, "level "+src+"→"+then)
		t = next
	}
	for t := from; ; {
		next := s.NextChange(t, to)
		if !next.After(t) || !next.Before(to) {
			break
		}
		add(next, "entries")
		t = next
	}
	// The last showing of a slide whose validity ends within the week.
	for _, pl := range s.Plan().Playlists {
		for _, it := range pl.Items {
			if it.NotAfter == nil || !it.NotAfter.After(from) || !it.NotAfter.Before(to) {
				continue
			}
			for t, n := it.NotAfter.Add(-time.Millisecond), 0; t.After(from) && n < 100_000; n++ {
				sl, ok := s.At(t)
				if ok && sl.Item.Media == it.Media {
					add(sl.Start, "the expiring slide's last showing")
					add(sl.End, "the expiring slide's last showing ends")
					break
				}
				t = sl.Start.Add(-time.Millisecond)
				if !ok {
					t = t.Add(-time.Second)
				}
			}
		}
	}
	near := func(x time.Time) bool {
		for ms := range at {
			if d := x.Sub(time.UnixMilli(ms)); d > -2*time.Second && d < 2*time.Second {
				return true
			}
		}
		return false
	}
	asset := func(t time.Time) string { sl, _ := s.At(t); return sl.Item.Asset }
	for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
		for picked := 0; picked < 2; {
			t := day.Add(time.Duration(rnd.Int64N(int64(24 * time.Hour))))
			sl, ok := s.At(t)
			on1, _ := s.PowerAt(sl.End.Add(-time.Millisecond))
			on2, _ := s.PowerAt(sl.End)
			if !ok || !on1 || !on2 || asset(sl.End.Add(-time.Millisecond)) == asset(sl.End) || near(sl.End) {
				continue
			}
			add(sl.End, "item")
			picked++
		}
	}
	var out []edge
	for ms, why := range at {
		out = append(out, edge{at: time.UnixMilli(ms).In(s.Location()), why: why})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// Margins of a check: the clock is set lead before the instant (more when
// the screen is off: the sleeping loop looks at the clock once a second),
// and frames are looked at from settle after the jump (frames drawn before
// the agent saw it may come until then) to lookAfter after the instant. A
// frame that reaches the receiver at agent time a was drawn within late
// before (a frame, and the way through the kernel on a loaded machine), on
// a clock that may be early by the clock sync's error: it must show what
// the evaluator says at a−late−early or at a+early (they differ only if a
// change falls between).
const (
	leadOn, settleOn   = 300 * time.Millisecond, 120 * time.Millisecond
	leadOff, settleOff = 1900 * time.Millisecond, 1120 * time.Millisecond
	early, late        = 5 * time.Millisecond, 120 * time.Millisecond
	lookAfter          = 350 * time.Millisecond
)

// checkEdge sets the agent's clock shortly before x and checks every frame
// on both sides of it against the evaluator's answer (want); it returns
// what is wrong, or "".
func checkEdge(t *testing.T, rx *sacnReceiver, clk *clockFile, x time.Time, wasOn bool, want func(time.Time) look, names map[int64]string) string {
	t.Helper()
	lead, settle := leadOn, settleOn
	if !wasOn {
		lead, settle = leadOff, settleOff
	}
	before, after := want(x.Add(-time.Millisecond)), want(x)
	clk.set(x.Add(-lead))
	frames := framesUntil(t, rx, clk.wallAt(x.Add(-lead)), clk.wallAt(x.Add(lookAfter)), after.on)
	var pre, post []sacnFrame
	for _, f := range frames {
		switch at := clk.agentAt(f.at); {
		case at.Before(x.Add(-lead + settle)):
			// drawn before the agent saw the jump
		case at.Before(x.Add(-early)):
			pre = append(pre, f)
		default:
			post = append(post, f)
		}
	}
	describe := func(fs []sacnFrame) string {
		var s []string
		for _, f := range fs {
			s = append(s, fmt.Sprintf("%s@%s", frameSays(f), clk.agentAt(f.at).Sub(x).Round(time.Millisecond)))
		}
		return strings.Join(s, " ")
	}
	fail := func(why string) string {
		return fmt.Sprintf("%s\nframes before (time from the instant): %s\nframes after: %s", why, describe(pre), describe(post))
	}
	fits := func(f sacnFrame, l look) bool {
		if !l.on {
			return f.black()
		}
		return !f.terminated && shows(f, l)
	}
	for _, f := range append(append([]sacnFrame(nil), pre...), post...) {
		at := clk.agentAt(f.at)
		if lo, hi := want(at.Add(-late-early)), want(at.Add(early)); !fits(f, lo) && !fits(f, hi) {
			return fail(fmt.Sprintf("the frame %v from the instant is %s, want %s or %s", at.Sub(x).Round(time.Millisecond), frameSays(f), lo.say(names), hi.say(names)))
		}
	}
	switch {
	case before.on && len(pre) == 0:
		return fail("no frame before the instant")
	case !wasOn && !before.on && len(pre) > 0:
		return fail("frames while the screen is off")
	case before.on && clk.agentAt(pre[len(pre)-1].at).Before(x.Add(-late)):
		return fail("the frames stop before the instant")
	case after.on && (len(post) == 0 || clk.agentAt(post[len(post)-1].at).Sub(x) < late+early):
		return fail("no frame after the instant")
	case after.on && clk.agentAt(post[0].at).Sub(x) > late:
		return fail("the first frame after the instant is late")
	case !after.on && (len(post) != 4 || post[0].terminated || !post[1].terminated || !post[2].terminated || !post[3].terminated):
		// One black frame, three terminations (E1.31's rule), then silence.
		return fail("not one black frame and three terminations")
	}
	if after.on { // a frame a frame-time, give or take a late one
		for i := 1; i < len(post); i++ {
			if gap := post[i].at.Sub(post[i-1].at); gap > late {
				return fail(fmt.Sprintf("no frame for %v after the instant", gap.Round(time.Millisecond)))
			}
		}
	}
	return ""
}

// shows reports whether every LED of f is l's colour at l's level (±1 for
// rounding).
func shows(f sacnFrame, l look) bool {
	want := l.rgb()
	if len(f.slots)%3 != 0 || len(f.slots) == 0 {
		return false
	}
	for i, v := range f.slots {
		if d := int(v) - want[i%3]; d < -1 || d > 1 {
			return false
		}
	}
	return true
}

func frameSays(f sacnFrame) string {
	switch {
	case f.terminated:
		return "terminated"
	case f.black():
		return "black"
	case len(f.slots) >= 3:
		return fmt.Sprintf("rgb(%d,%d,%d)", f.slots[0], f.slots[1], f.slots[2])
	}
	return "empty"
}

// framesUntil returns the frames that arrived from from on, once one has
// arrived at or after until — or, when none is due (the screen ends off),
// once until has passed.
func framesUntil(t *testing.T, rx *sacnReceiver, from, until time.Time, due bool) []sacnFrame {
	t.Helper()
	deadline := time.NewTimer(time.Until(until) + 3*time.Second)
	defer deadline.Stop()
	passed := time.NewTimer(time.Until(until))
	defer passed.Stop()
	since := func() []sacnFrame {
		rx.mu.Lock()
		defer rx.mu.Unlock()
		k := sort.Search(len(rx.frames), func(i int) bool { return !rx.frames[i].at.Before(from) })
		return append([]sacnFrame(nil), rx.frames[k:]...)
	}
	for {
		rx.mu.Lock()
		n := len(rx.frames)
		done := n > 0 && !rx.frames[n-1].at.Before(until)
		grew := rx.grew
		rx.mu.Unlock()
		if done {
			return since()
		}
		select {
		case <-grew:
		case <-passed.C:
			if !due {
				return since()
			}
		case <-deadline.C:
			t.Fatalf("no E1.31 frame by %v", until.Format("15:04:05.000"))
		}
	}
}
