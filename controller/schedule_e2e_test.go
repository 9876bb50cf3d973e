package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// The schedule tests run real controller and agent processes against an
// E1.31 receiver written here from the standard's layout (PROTOCOLS.md),
// not from the agent's driver, and check what reaches the wire: power
// windows, brightness windows (a display's own and its group's), share of
// voice, and the plan's schema. Every plan is the controller's, set up
// through its API as a technician or an approver would (a display's or a
// group's power and brightness, schedule entries with weights); each agent
// is started once and takes the changes as they come.

// sacnFrame is one frame as the receiver put it together: the universes of
// one sequence number.
type sacnFrame struct {
	at         time.Time // when its last packet arrived
	seq        byte
	terminated bool   // Stream_Terminated (options bit 0x40) on every universe
	slots      []byte // the universes' slots in order, first to last
}

func (f sacnFrame) black() bool { return len(bytes.Trim(f.slots, "\x00")) == 0 }

// sacnReceiver listens on loopback for universes first … first+count−1,
// each of slotsPer slots but the last, which holds the rest of total.
type sacnReceiver struct {
	conn         *net.UDPConn
	first, count int
	mu           sync.Mutex
	frames       []sacnFrame
	bad          []string // packets that break the standard's layout
	grew         chan struct{}
}

func newSACNReceiver(t *testing.T, first, count int) *sacnReceiver {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &sacnReceiver{conn: conn, first: first, count: count, grew: make(chan struct{})}
	t.Cleanup(func() {
		conn.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.bad) > 0 {
			t.Errorf("E1.31 packets that break the layout: %v", r.bad[:min(len(r.bad), 5)])
		}
	})
	go r.loop()
	return r
}

func (r *sacnReceiver) port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

func (r *sacnReceiver) loop() {
	buf := make([]byte, 1500)
	type partial struct {
		slots      map[int][]byte
		terminated int
	}
	pending := map[byte]*partial{}
	for {
		n, err := r.conn.Read(buf)
		if err != nil {
			return
		}
		at := time.Now()
		p := buf[:n]
		if why := sacnDataPacketError(p); why != "" {
			r.mu.Lock()
			r.bad = append(r.bad, why)
			r.mu.Unlock()
			continue
		}
		u := int(binary.BigEndian.Uint16(p[113:]))
		seq, opt := p[111], p[112]
		if u < r.first || u >= r.first+r.count {
			continue
		}
		f := pending[seq]
		if f == nil {
			f = &partial{slots: map[int][]byte{}}
			pending[seq] = f
		}
		f.slots[u] = append([]byte(nil), p[126:]...)
		if opt&0x40 != 0 {
			f.terminated++
		}
		if len(f.slots) < r.count {
			continue
		}
		delete(pending, seq)
		fr := sacnFrame{at: at, seq: seq, terminated: f.terminated == r.count}
		for k := r.first; k < r.first+r.count; k++ {
			fr.slots = append(fr.slots, f.slots[k]...)
		}
		r.mu.Lock()
		if f.terminated != 0 && f.terminated != r.count {
			r.bad = append(r.bad, fmt.Sprintf("sequence %d: Stream_Terminated on %d of %d universes", seq, f.terminated, r.count))
		}
		r.frames = append(r.frames, fr)
		close(r.grew)
		r.grew = make(chan struct{})
		r.mu.Unlock()
	}
}

// sacnDataPacketError checks an E1.31 data packet against ANSI E1.31-2018's
// layout (PROTOCOLS.md); "" when it is one.
func sacnDataPacketError(p []byte) string {
	n := len(p)
	switch {
	case n < 126:
		return fmt.Sprintf("%d bytes", n)
	case binary.BigEndian.Uint16(p[0:]) != 0x0010 || !bytes.Equal(p[4:16], []byte("ASC-E1.17\x00\x00\x00")):
		return "preamble or ACN packet identifier"
	case binary.BigEndian.Uint32(p[18:]) != 4:
		return fmt.Sprintf("root vector %d", binary.BigEndian.Uint32(p[18:]))
	case binary.BigEndian.Uint16(p[16:]) != 0x7000|uint16(n-16) || binary.BigEndian.Uint16(p[38:]) != 0x7000|uint16(n-38) ||
		binary.BigEndian.Uint16(p[115:]) != 0x7000|uint16(n-115):
		return "flags and length"
	case binary.BigEndian.Uint32(p[40:]) != 2 || p[117] != 0x02 || p[118] != 0xA1:
		return "framing or DMP vector"
	case binary.BigEndian.Uint16(p[119:]) != 0 || binary.BigEndian.Uint16(p[121:]) != 1 || int(binary.BigEndian.Uint16(p[123:])) != n-125:
		return "DMP addresses or property count"
	case p[125] != 0:
		return fmt.Sprintf("start code %d", p[125])
	}
	return ""
}

// waitPast waits until a frame has arrived at or after t and returns all
// frames so far.
func (r *sacnReceiver) waitPast(t *testing.T, at time.Time, within time.Duration) []sacnFrame {
	t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		if n := len(r.frames); n > 0 && !r.frames[n-1].at.Before(at) {
			out := append([]sacnFrame(nil), r.frames...)
			r.mu.Unlock()
			return out
		}
		grew := r.grew
		r.mu.Unlock()
		select {
		case <-grew:
		case <-deadline:
			t.Fatalf("no E1.31 frame at or after %v within %v", at.Format("15:04:05.000"), within)
		}
	}
}

// e131Agent enrols and starts, once, the agent of the display name (w×h)
// on the e131 profile towards rx: universe 1 on, the LEDs in reading order,
// RGB, no gamma, the profile's level 100 %, so the slots are the picture's
// bytes. It returns when the agent has its content.
func (e *runtimeEnv) e131Agent(name string, w, h int, rx *sacnReceiver) (*proc, string) {
	e.t.Helper()
	sets := []string{"host=127.0.0.1", fmt.Sprintf("port=%d", rx.port()), "universe=1", "serpentine=none", "gamma=1"}
	ag, state := e.agent(name, w, h, "e131", sets)
	ag.waitLine(e.t, regexp.MustCompile(`msg="content synced"`), 1)
	return ag, state
}

// takenPlan waits until the display's plan is one that ok accepts (the
// controller recompiles shortly after a change) and its agent has taken it
// (acknowledged, after which it plays it; its log says so too), and
// returns that plan and its schema as the controller wrote it.
func (e *runtimeEnv) takenPlan(ag *proc, id int64, what string, ok func(protocol.Plan) bool) (protocol.Plan, int) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := e.tech.call("GET", fmt.Sprintf("/displays/%d/plan", id), nil, 200)
		b, _ := json.Marshal(out["plan"])
		var p protocol.Plan
		if err := json.Unmarshal(b, &p); err != nil {
			e.t.Fatal(err)
		}
		var raw struct {
			Schema *int `json:"schema"`
		}
		json.Unmarshal(b, &raw)
		if ok(p) && out["acked_revision"] == float64(p.Revision) {
			ag.waitLine(e.t, regexp.MustCompile(fmt.Sprintf(`msg="new plan" revision=%d `, p.Revision)), 1)
			if raw.Schema == nil {
				e.t.Fatalf("plan revision %d has no schema", p.Revision)
			}
			return p, *raw.Schema
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the agent never took a plan with %s (last: revision %d, acknowledged %v)", what, p.Revision, out["acked_revision"])
		}
		<-time.After(50 * time.Millisecond) // plans change with no signal over HTTP; bounded poll
	}
}

// setPowerBrightness sets a display's or a group's (path) power and
// brightness rule as a technician does.
func (e *runtimeEnv) setPowerBrightness(path string, power []protocol.Window, brightness []protocol.BrightnessWindow) map[string]any {
	e.t.Helper()
	if power == nil {
		power = []protocol.Window{}
	}
	if brightness == nil {
		brightness = []protocol.BrightnessWindow{}
	}
	return e.tech.call("PUT", path+"/power-brightness", map[string]any{"power": power, "brightness": brightness, "day_night": nil}, 200)
}

// waitHealth waits until the display's agent reports health that ok
// accepts, as the API shows it; agents report every 10 s.
func (e *runtimeEnv) waitHealth(id int64, what string, ok func(protocol.Health) bool) protocol.Health {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var h protocol.Health
	for time.Now().Before(deadline) {
		d := e.tech.call("GET", fmt.Sprintf("/displays/%d", id), nil, 200)
		if agent, _ := d["agent"].(map[string]any); agent != nil && agent["health"] != nil {
			b, _ := json.Marshal(agent["health"])
			h = protocol.Health{}
			if err := json.Unmarshal(b, &h); err != nil {
				e.t.Fatal(err)
			}
			if ok(h) {
				return h
			}
		}
		<-time.After(200 * time.Millisecond) // health comes over HTTP with no signal; bounded poll
	}
	e.t.Fatalf("the agent's health never showed %s (last: %+v)", what, h)
	return h
}

// hhmm is t's wall time in loc, as a plan writes it.
func hhmm(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") }

// edgeTolerance is how far a change on the wire may lag the plan's
// instant: the player draws on frame boundaries of controller time and a
// window edge is one, so the change is due at the edge exactly; one frame
// (40 ms at 25 fps) covers a loop woken late on a loaded machine. It may
// lead by the clock sync's error, under a millisecond on loopback: 5 ms.
const (
	edgeLate  = 40 * time.Millisecond
	edgeEarly = 5 * time.Millisecond
)

// setupLead is the least time between setting a power window and its
// first edge: the controller recompiles after 200 ms and the agent takes
// the plan within a few milliseconds more on loopback.
const setupLead = 5 * time.Second

// TestPowerWindowTurnsE131OffAndOnOnTime: outside its power window the
// screen goes black at the window's end, ends the E1.31 stream with three
// Stream_Terminated packets per universe, sends nothing, and comes back
// with its content when the next window opens — both on time. The window
// is set through the API while the agent plays, so that it closes at the
// first minute boundary at least setupLead away: the test waits that
// (5–65 s) and the one minute off.
func TestPowerWindowTurnsE131OffAndOnOnTime(t *testing.T) {
	const w, h = 64, 32 // 2048 LEDs: 13 universes
	e := newRuntimeEnv(t)
	rx := newSACNReceiver(t, 1, 13)
	id := e.display("cong-vien", w, h)
	e.rotation(id, 50, 60_000, "Công viên mở cửa 5 giờ")
	ag, _ := e.e131Agent("cong-vien", w, h, rx)
	loc, err := time.LoadLocation(e.plan(id).TimeZone)
	if err != nil {
		t.Fatal(err)
	}

	// Off for the minute that starts at least setupLead from now: on from
	// its end until its start the next day.
	offAt := time.Now().Add(setupLead + time.Minute - 1).Truncate(time.Minute)
	onAt := offAt.Add(time.Minute)
	setAt := time.Now()
	out := e.setPowerBrightness(fmt.Sprintf("/displays/%d", id), []protocol.Window{{From: hhmm(onAt, loc), Until: hhmm(offAt, loc)}}, nil)
	if out["own"] != true {
		t.Fatalf("after PUT the display's rule is not its own: %v", out)
	}
	plan, _ := e.takenPlan(ag, id, "the power window", func(p protocol.Plan) bool { return len(p.Power) == 1 })
	if lead := time.Until(offAt); lead < 500*time.Millisecond {
		t.Fatalf("the agent took the power window %v before it closed: too late to time the edge", lead)
	}
	t.Logf("power %s–%s set at %s, taken (revision %d) %v later: off at %s, on at %s", plan.Power[0].From, plan.Power[0].Until,
		setAt.Format("15:04:05.000"), plan.Revision, time.Since(setAt).Round(time.Millisecond), offAt.Format("15:04:05"), onAt.Format("15:04:05"))
	// The black frame and its terminations may lead the edge by the clock
	// sync's error and then nothing is sent until the window opens: wait
	// for a frame from edgeEarly before the edge, not after it.
	rx.waitPast(t, offAt.Add(-edgeEarly), time.Until(offAt)+20*time.Second)
	e.waitHealth(id, "power off", func(h protocol.Health) bool { return h.PowerOff && h.CurrentItem == 0 })
	frames := rx.waitPast(t, onAt.Add(500*time.Millisecond), time.Until(onAt)+20*time.Second)

	// Before: content. Then one black frame, three terminations, nothing,
	// and content again.
	i := 0
	for i < len(frames) && (frames[i].at.Before(offAt.Add(-2*time.Second)) || frames[i].black()) {
		i++ // the agent's start (a black frame) and the frames long before
	}
	for i < len(frames) && !frames[i].black() && !frames[i].terminated {
		i++
	}
	if i == 0 || i+4 >= len(frames) {
		t.Fatalf("no content before the window closed, or nothing after: %d frames", len(frames))
	}
	lastOn, black, terms, back := frames[i-1], frames[i], frames[i+1:i+4], frames[i+4]
	if !black.black() || black.terminated {
		t.Fatalf("the first frame after the content is not a plain black one: terminated %v", black.terminated)
	}
	offLag := black.at.Sub(offAt)
	if lastOn.at.After(offAt.Add(edgeLate)) || offLag < -edgeEarly || offLag > edgeLate {
		t.Fatalf("black %v after the window closed (last content %v after); want within −%v … %v", offLag, lastOn.at.Sub(offAt), edgeEarly, edgeLate)
	}
	for k, f := range terms {
		if !f.terminated || !f.black() || f.seq != black.seq+byte(k+1) || f.at.Sub(black.at) > 50*time.Millisecond {
			t.Fatalf("termination %d: terminated %v black %v seq %d (black frame %d), %v after it", k+1, f.terminated, f.black(), f.seq, black.seq, f.at.Sub(black.at))
		}
	}
	onLag := back.at.Sub(onAt)
	if back.terminated || back.black() || onLag < -edgeEarly || onLag > edgeLate {
		t.Fatalf("after the terminations: a frame %v after the window opened (terminated %v, black %v); want content within −%v … %v",
			onLag, back.terminated, back.black(), edgeEarly, edgeLate)
	}
	if !bytes.Equal(back.slots, lastOn.slots) {
		t.Fatal("the screen came back with another picture than the one item it plays")
	}
	t.Logf("black %v after the window closed, terminated by %v; first frame %v after the window opened", offLag, terms[2].at.Sub(offAt), onLag)
	e.waitHealth(id, "power on again", func(h protocol.Health) bool { return !h.PowerOff && h.CurrentItem != 0 })
}

// scaledFrame waits for a frame drawn after the instant after and checks
// that every slot is the rendition's value at percent, rounded (gamma 1;
// percent a multiple of 20, so that no value falls half-way).
func scaledFrame(t *testing.T, rx *sacnReceiver, after time.Time, rendition *image.RGBA, percent int) {
	t.Helper()
	// A frame drawn before the plan was taken may still be on its way:
	// 200 ms is five frames at 25 fps.
	frames := rx.waitPast(t, after.Add(200*time.Millisecond), 20*time.Second)
	f := frames[len(frames)-1]
	w, h := rendition.Rect.Dx(), rendition.Rect.Dy()
	if len(f.slots) != 3*w*h {
		t.Fatalf("frame of %d slots, want %d", len(f.slots), 3*w*h)
	}
	var sumIn, sumOut float64
	for n := 0; n < w*h; n++ {
		px := rendition.RGBAAt(n%w, n/w)
		for c, v := range []uint8{px.R, px.G, px.B} {
			got := f.slots[3*n+c]
			if want := math.Round(float64(v) * float64(percent) / 100); float64(got) != want {
				t.Fatalf("LED %d channel %d: %d on the wire, rendition %d: want %v (%d %%)", n, c, got, v, want, percent)
			}
			sumIn += float64(v)
			sumOut += float64(got)
		}
	}
	if sumIn < float64(w*h) {
		t.Fatalf("the rendition is nearly black (sum %v): the ratio says nothing", sumIn)
	}
	t.Logf("%d %%: wire/rendition = %.4f over %d slots", percent, sumOut/sumIn, 3*w*h)
}

// TestBrightnessWindowScalesE131Pixels: a brightness window puts every
// slot on the wire at its level of the rendition's value (gamma 1, the
// profile at 100 %). The display is in a group: the group's window (60 %)
// holds on it until the display gets its own (40 %), and again when the
// display's own is dropped.
func TestBrightnessWindowScalesE131Pixels(t *testing.T) {
	const w, h = 64, 32
	e := newRuntimeEnv(t)
	rx := newSACNReceiver(t, 1, 13)
	g := e.tech.call("POST", "/groups", map[string]any{"name": "Nhà văn hoá các khu phố"}, 201)
	group := int64(g["id"].(float64))
	id := e.display("nha-van-hoa", w, h)
	e.tech.call("PATCH", fmt.Sprintf("/displays/%d", id), map[string]any{"group_id": group}, 200)
	e.rotation(id, 50, 60_000, "Lịch sinh hoạt") // two lines: one still picture
	ag, state := e.e131Agent("nha-van-hoa", w, h, rx)
	plan := e.plan(id)
	rendition := decodeRGBA(t, e.asset(state, plan.Assets[0].SHA256))
	scaledFrame(t, rx, time.Now(), rendition, 100)

	allDay := func(pct int) []protocol.BrightnessWindow {
		return []protocol.BrightnessWindow{{Window: protocol.Window{From: "00:00", Until: "24:00"}, Percent: pct}}
	}
	brightness := func(pct int) func(protocol.Plan) bool {
		return func(p protocol.Plan) bool { return len(p.Brightness) == 1 && p.Brightness[0].Percent == pct }
	}
	displayPath, groupPath := fmt.Sprintf("/displays/%d", id), fmt.Sprintf("/groups/%d", group)

	// The group's window, inherited.
	e.setPowerBrightness(groupPath, nil, allDay(60))
	if r := e.tech.call("GET", displayPath+"/power-brightness", nil, 200); r["own"] != false || r["inherited_from_group"] != float64(group) {
		t.Fatalf("the display does not say it follows its group's rule: %v", r)
	}
	e.takenPlan(ag, id, "the group's 60 %", brightness(60))
	scaledFrame(t, rx, time.Now(), rendition, 60)
	e.waitHealth(id, "brightness 60", func(h protocol.Health) bool { return h.Brightness != nil && *h.Brightness == 60 })

	// The display's own, above the group's.
	e.setPowerBrightness(displayPath, nil, allDay(40))
	e.takenPlan(ag, id, "the display's 40 %", brightness(40))
	scaledFrame(t, rx, time.Now(), rendition, 40)
	e.waitHealth(id, "brightness 40", func(h protocol.Health) bool { return h.Brightness != nil && *h.Brightness == 40 })

	// Its own dropped: the group's again.
	e.tech.call("DELETE", displayPath+"/power-brightness", nil, 204)
	e.takenPlan(ag, id, "the group's 60 % again", brightness(60))
	scaledFrame(t, rx, time.Now(), rendition, 60)
}

// TestShareOfVoiceTwoToOne: two rotations of one 1 s item each, scheduled
// through the API at equal priority with weights 2 and 1, share the day:
// over several loops the receiver sees two seconds of the first for one of
// the second, interleaved.
func TestShareOfVoiceTwoToOne(t *testing.T) {
	const w, h = 64, 32
	e := newRuntimeEnv(t)
	rx := newSACNReceiver(t, 1, 13)
	id := e.display("cho-dem", w, h)
	e.sharedRotation(id, 50, 2, 1000, "Chợ")
	e.sharedRotation(id, 50, 1, 1000, "Sạch")
	_, state := e.e131Agent("cho-dem", w, h, rx)

	plan := e.plan(id)
	if len(plan.Entries) != 2 {
		t.Fatalf("%d entries, want 2", len(plan.Entries))
	}
	var heavy string // the asset of the weight-2 rotation
	weights := map[int]int{}
	for _, en := range plan.Entries {
		weights[max(en.Weight, 1)]++
		if en.Weight == 2 {
			for _, pl := range plan.Playlists {
				if pl.ID == en.Playlist {
					heavy = pl.Items[0].Asset
				}
			}
		}
	}
	if weights[1] != 1 || weights[2] != 1 || heavy == "" || plan.Schema != 2 {
		t.Fatalf("the controller's plan (schema %d) has entries of weights %v, want 2 and 1", plan.Schema, weights)
	}
	for _, a := range plan.Assets {
		if a.TickerPPS != 0 {
			t.Fatalf("asset %s is a ticker: its frames change all the time", a.SHA256[:12])
		}
	}
	// Items are 1 s long and the loops anchored at midnight, so pictures
	// change on whole seconds: sample mid-second, 12 s in a row (four
	// turns of a 2:1 share, whatever the phase).
	first := time.Now().Add(2 * time.Second).Truncate(time.Second) // past the first frames
	const seconds = 12
	frames := rx.waitPast(t, first.Add(seconds*time.Second), 40*time.Second)
	var shown [][32]byte
	k := 0
	for s := 0; s < seconds; s++ {
		mid := first.Add(time.Duration(s)*time.Second + 500*time.Millisecond)
		for k+1 < len(frames) && !frames[k+1].at.After(mid) {
			k++
		}
		shown = append(shown, sha256.Sum256(frames[k].slots))
	}
	count := map[[32]byte]int{}
	seq, names := "", map[[32]byte]string{}
	run, longest := 0, 0
	for i, sum := range shown {
		count[sum]++
		if names[sum] == "" {
			names[sum] = string(rune('A' + len(names)))
		}
		seq += names[sum]
		if i > 0 && shown[i-1] == sum {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
	}
	t.Logf("second by second: %s", seq)
	if len(count) != 2 {
		t.Fatalf("%d pictures (%s), want 2", len(count), seq)
	}
	var n []int
	for _, c := range count {
		n = append(n, c)
	}
	if max(n[0], n[1]) != 8 || min(n[0], n[1]) != 4 {
		t.Fatalf("%s: %d and %d seconds, want 8 and 4 (2:1)", seq, n[0], n[1])
	}
	img := decodeRGBA(t, e.asset(state, heavy))
	var rgb []byte
	for n := 0; n < w*h; n++ {
		c := img.RGBAAt(n%w, n/w)
		rgb = append(rgb, c.R, c.G, c.B)
	}
	if count[sha256.Sum256(rgb)] != 8 {
		t.Fatalf("%s: the weight-2 rotation's picture had %d s, want 8", seq, count[sha256.Sum256(rgb)])
	}
	if longest > 2 {
		t.Fatalf("%s: one picture for %d s in a row; the rotations must take turns loop by loop", seq, longest)
	}
}

// TestPlanSchemaFollowsWhatThePlanSays: the controller writes the oldest
// schema that says the plan — 1 for entries and items alone, 2 once the
// display has a power window, 1 again when it is dropped — and the agent
// takes each of them.
func TestPlanSchemaFollowsWhatThePlanSays(t *testing.T) {
	e := newRuntimeEnv(t)
	id := e.display("ubnd-phuong", 64, 32)
	e.rotation(id, 50, 60_000, "Lịch tiếp công dân: thứ Năm")
	ag, _ := e.agent("ubnd-phuong", 64, 32, "virtual", nil)
	ag.waitLine(t, regexp.MustCompile(`msg="content synced"`), 1)

	took := func(rev int64) {
		t.Helper()
		e.waitHealth(id, fmt.Sprintf("revision %d playing", rev), func(h protocol.Health) bool {
			return h.PlanRevision == rev && h.PlanRefused == "" && !h.PowerOff && h.CurrentItem != 0
		})
	}
	plain, schema := e.takenPlan(ag, id, "the rotation", func(p protocol.Plan) bool { return len(p.Entries) == 1 })
	if schema != 1 || plain.Schema != 1 {
		t.Fatalf("a plan of entries and items alone is written in schema %d, want 1", schema)
	}
	took(plain.Revision)

	// On for an hour either side of now: the screen stays on, but the plan
	// says something schema 1 cannot.
	loc, err := time.LoadLocation(plain.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	window := protocol.Window{From: hhmm(now.Add(-time.Hour), loc), Until: hhmm(now.Add(time.Hour), loc)}
	e.setPowerBrightness(fmt.Sprintf("/displays/%d", id), []protocol.Window{window}, nil)
	powered, schema := e.takenPlan(ag, id, "the power window", func(p protocol.Plan) bool { return len(p.Power) == 1 })
	if got := powered.Power[0]; schema != 2 || got.From != window.From || got.Until != window.Until || len(got.Weekdays) != 0 {
		t.Fatalf("a plan with the power window %+v is written in schema %d with power %+v, want schema 2", window, schema, powered.Power)
	}
	took(powered.Revision)

	e.tech.call("DELETE", fmt.Sprintf("/displays/%d/power-brightness", id), nil, 204)
	again, schema := e.takenPlan(ag, id, "no power window", func(p protocol.Plan) bool { return p.Revision > powered.Revision && len(p.Power) == 0 })
	if schema != 1 {
		t.Fatalf("with the power window dropped the plan is written in schema %d, want 1", schema)
	}
	if n := len(regexp.MustCompile(`plan refused`).FindAllString(strings.Join(ag.output(), "\n"), -1)); n > 0 {
		t.Fatalf("the agent refused %d plans", n)
	}
	t.Logf("schemas 1, 2, 1 at revisions %d, %d, %d, each taken", plain.Revision, powered.Revision, again.Revision)
}
