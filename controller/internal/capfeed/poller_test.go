package capfeed

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/cap"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/testdb"
)

var ict = time.FixedZone("+07", 7*3600)

// server serves CAP documents by path, with an ETag per version, and
// answers 304 to a matching If-None-Match. A path may also answer an HTTP
// status, or hang until the request is given up.
type server struct {
	mu    sync.Mutex
	docs  map[string]doc
	conds []string // If-None-Match of each request to /feed paths, "" when absent
	hits  map[string]int
	hung  chan string // if set, told each path that hangs
	srv   *httptest.Server
}

type doc struct {
	body   []byte
	etag   string
	status int
	hang   bool
}

func newServer(t *testing.T) *server {
	s := &server{docs: map[string]doc{}, hits: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		d, ok := s.docs[r.URL.Path]
		s.hits[r.URL.Path]++
		if strings.HasPrefix(r.URL.Path, "/feed") {
			s.conds = append(s.conds, r.Header.Get("If-None-Match"))
		}
		s.mu.Unlock()
		switch {
		case !ok:
			http.NotFound(w, r)
		case d.hang:
			if s.hung != nil {
				s.hung <- r.URL.Path
			}
			<-r.Context().Done()
		case d.status != 0:
			w.WriteHeader(d.status)
		case d.etag != "" && r.Header.Get("If-None-Match") == d.etag:
			w.WriteHeader(http.StatusNotModified)
		default:
			if d.etag != "" {
				w.Header().Set("ETag", d.etag)
			}
			w.Header().Set("Content-Type", "application/cap+xml")
			w.Write(d.body)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *server) serve(path string, d doc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = d
}

func (s *server) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *server) lastCond() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conds[len(s.conds)-1]
}

// client sends every request, whatever its host, to the test server (the
// Atom fixture links to https://canhbao.example.vn/…).
func (s *server) client() *http.Client {
	u, _ := url.Parse(s.srv.URL)
	return &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	for _, dir := range []string{"testdata", filepath.Join("..", "cap", "testdata")} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return b
		}
	}
	t.Fatalf("no fixture %s", name)
	return nil
}

// world is a store with a Đà Nẵng group (two screens), a Hà Nội group (one
// screen), a screen of no group in Đà Nẵng and one in Huế; a fake clock.
type world struct {
	t                           *testing.T
	st                          *store.Store
	srv                         *server
	send                        *pipeline.Urgent
	mu                          sync.Mutex
	now                         time.Time
	unit                        int64
	danang, hanoi               int64 // groups
	dn1, dn2, hn1, dnLoose, hue int64 // displays
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st := testdb.Open(t, dir)
	w := &world{t: t, st: st, now: time.Date(2026, 11, 30, 9, 0, 0, 0, ict)}
	st.SetNow(w.clock)
	as, err := assets.OpenStore(filepath.Join(dir, "assets"))
	if err != nil {
		t.Fatal(err)
	}
	w.send = &pipeline.Urgent{Store: st, Assets: as}
	u, err := st.CreateUnit(ctx, store.System, store.Unit{Name: "Phòng Văn hóa – Xã hội"})
	if err != nil {
		t.Fatal(err)
	}
	w.unit = u.ID
	group := func(name string) int64 {
		g, err := st.CreateGroup(ctx, store.System, name)
		if err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	w.danang, w.hanoi = group("Đà Nẵng"), group("Hà Nội")
	display := func(name string, g *int64, lat, lon float64) int64 {
		d, err := st.CreateDisplay(ctx, store.System, store.Display{Name: name, Width: 64, Height: 32, Fit: "contain", Profile: "virtual",
			GroupID: g, Latitude: &lat, Longitude: &lon})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	w.dn1 = display("dn-1", &w.danang, 16.07, 108.22)
	w.dn2 = display("dn-2", &w.danang, 16.05, 108.20)
	w.hn1 = display("hn-1", &w.hanoi, 21.03, 105.85)
	w.dnLoose = display("dn-loose", nil, 16.06, 108.21)
	w.hue = display("hue", nil, 16.46, 107.59) // in the storm's polygon, outside its 40 km circle
	w.srv = newServer(t)
	return w
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func (w *world) poller(o Options) *Poller {
	if o.Client == nil {
		o.Client = w.srv.client()
	}
	o.Now = w.clock
	o.Log = slog.New(slog.DiscardHandler)
	return New(w.st, w.send, o)
}

func (w *world) feed(f store.CAPFeed) store.CAPFeed {
	w.t.Helper()
	if f.Name == "" {
		f.Name = "feed " + f.URL
	}
	f.URL = w.srv.srv.URL + f.URL
	f.Interval, f.UnitID, f.Languages = 60, w.unit, []string{"vi"}
	if f.DefaultMinutes == 0 {
		f.DefaultMinutes = 120
	}
	out, err := w.st.CreateCAPFeed(context.Background(), store.System, f)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *world) poll(p *Poller, id int64) store.CAPFeed {
	w.t.Helper()
	f, err := p.Poll(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

func (w *world) live() []store.UrgentNotice {
	w.t.Helper()
	ns, err := w.st.UrgentNotices(context.Background(), true, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return ns
}

func (w *world) alert(identifier string) store.CAPAlert {
	w.t.Helper()
	as, err := w.st.CAPAlerts(context.Background(), "")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range as {
		if a.Identifier == identifier {
			return a
		}
	}
	w.t.Fatalf("alert %s not stored (have %+v)", identifier, as)
	return store.CAPAlert{}
}

// reaches lists the displays a live notice reaches.
func (w *world) reaches(n store.UrgentNotice) []int64 {
	w.t.Helper()
	var out []int64
	for _, d := range []int64{w.dn1, w.dn2, w.hn1, w.dnLoose, w.hue} {
		g, _ := w.st.Display(context.Background(), d)
		ns, err := w.st.UrgentNoticesFor(context.Background(), d, g.GroupID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, x := range ns {
			if x.ID == n.ID {
				out = append(out, d)
			}
		}
	}
	return out
}

// TestStormAlertUpdateCancel: a single-alert feed, auto-published. The
// storm reaches the Đà Nẵng group (its areaDesc) and the loose Đà Nẵng
// screen (inside its circle and polygon), and Huế (inside its polygon), in
// Vietnamese, until <expires>; an unchanged feed (304) does nothing; the
// Update replaces the notice; the Cancel ends it; a restarted poller never
// sends the alert again.
func TestStormAlertUpdateCancel(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{})
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml"), etag: `"v1"`})
	f := w.feed(store.CAPFeed{URL: "/feed.xml", AutoPublish: true, MatchPoints: true, MinSeverity: "Moderate",
		Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})

	f = w.poll(p, f.ID)
	if f.LastResult != store.PollOK || f.LastError != "" {
		t.Fatalf("first poll: %s %s %s", f.LastResult, f.LastErrorCode, f.LastError)
	}
	live := w.live()
	if len(live) != 1 {
		t.Fatalf("live notices %+v", live)
	}
	n := live[0]
	if n.Title != "Bão nhiệt đới đang tiến vào bờ biển miền Trung" || !strings.HasPrefix(n.Text, "Từ đêm nay") ||
		!n.EndsAt.Equal(time.Date(2026, 12, 1, 20, 0, 0, 0, ict)) {
		t.Fatalf("notice %+v", n)
	}
	if got, want := w.reaches(n), []int64{w.dn1, w.dn2, w.dnLoose, w.hue}; !slices.Equal(got, want) {
		t.Fatalf("storm reaches %v, want %v", got, want)
	}
	storm := w.alert("VN-STORM-2026-11-30-001")
	if storm.State != store.CAPPublished || storm.UrgentID == nil || *storm.UrgentID != n.ID || storm.Language != "vi-VN" {
		t.Fatalf("storm alert %+v", storm)
	}

	// Unchanged: the conditional GET answers 304 and nothing happens.
	w.advance(time.Minute)
	f = w.poll(p, f.ID)
	if f.LastResult != store.PollNotModified || w.srv.lastCond() != `"v1"` {
		t.Fatalf("second poll: %s, If-None-Match %q", f.LastResult, w.srv.lastCond())
	}
	if !f.NextPollAt.Equal(w.clock().Add(60 * time.Second)) {
		t.Fatalf("next poll at %v", f.NextPollAt)
	}
	if l := w.live(); len(l) != 1 || l[0].ID != n.ID {
		t.Fatalf("after 304: %+v", l)
	}

	// The Update replaces it: the Đà Nẵng group and the 40 km circle only;
	// it has no description, so its headline is the text, under its event.
	w.advance(time.Minute)
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm-update.xml"), etag: `"v2"`})
	w.poll(p, f.ID)
	live = w.live()
	if len(live) != 1 || live[0].ID == n.ID || live[0].Title != "Bão nhiệt đới" || live[0].Text != "Bão mạnh lên, đổ bộ vào Đà Nẵng trong 6 giờ tới" {
		t.Fatalf("after the update: %+v", live)
	}
	if got, want := w.reaches(live[0]), []int64{w.dn1, w.dn2, w.dnLoose}; !slices.Equal(got, want) {
		t.Fatalf("update reaches %v, want %v", got, want)
	}
	if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPReplaced {
		t.Fatalf("replaced alert %+v", a)
	}

	// The Cancel ends every notice of the storm.
	w.advance(time.Minute)
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm-cancel.xml"), etag: `"v3"`})
	w.poll(p, f.ID)
	if l := w.live(); len(l) != 0 {
		t.Fatalf("after the cancel: %+v", l)
	}
	if a := w.alert("VN-STORM-2026-11-30-002"); a.State != store.CAPCancelled {
		t.Fatalf("cancelled alert %+v", a)
	}

	// A restart (a new poller, the feed forgetting its ETag) takes nothing twice.
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml")})
	w.poll(w.poller(Options{}), f.ID)
	if l := w.live(); len(l) != 0 {
		t.Fatalf("the storm was sent again after a restart: %+v", l)
	}
	evs, err := w.st.ListAudit(context.Background(), store.AuditFilter{Action: "urgent.create"})
	if err != nil || len(evs) != 2 || evs[0].ActorName != "CAP: "+f.Name {
		t.Fatalf("audit of urgent notices: %d %+v %v", len(evs), evs, err)
	}
}

// TestAtomFeedWaitsForApprover: an Atom feed of two embedded alerts and
// one linked; with approval, they wait; an approver publishes one and
// dismisses another; a drill (Exercise) and an alert below the threshold
// are kept but not shown.
func TestAtomFeedWaitsForApprover(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{})
	w.srv.serve("/feed-atom.xml", doc{body: fixture(t, "feed-atom.xml")})
	w.srv.serve("/cap/heat-1.xml", doc{body: fixture(t, "heat-1.xml")})
	f := w.feed(store.CAPFeed{URL: "/feed-atom.xml", MinSeverity: "Moderate",
		Areas: []store.CAPArea{{Kind: "geocode", Name: "province", Value: "01", GroupID: w.hanoi}, {Kind: "desc", Value: "Da Nang", GroupID: w.danang}}})
	f = w.poll(p, f.ID)
	if f.LastResult != store.PollOK || f.LastError != "" {
		t.Fatalf("poll: %s %s", f.LastResult, f.LastError)
	}
	if w.srv.hits["/cap/heat-1.xml"] != 1 {
		t.Fatalf("the linked alert was fetched %d times", w.srv.hits["/cap/heat-1.xml"])
	}
	if l := w.live(); len(l) != 0 {
		t.Fatalf("published without an approver: %+v", l)
	}
	flood, storm, heat := w.alert("VN-FLOOD-HN-001"), w.alert("VN-STORM-2026-11-30-001"), w.alert("VN-HEAT-HN-001")
	if flood.State != store.CAPWaiting || !slices.Equal(flood.GroupIDs, []int64{w.hanoi}) || flood.Title != "Lũ trên sông Hồng" || flood.Body != "Mực nước sông Hồng tại Hà Nội vượt báo động 2" {
		t.Fatalf("flood %+v", flood)
	}
	if storm.State != store.CAPWaiting || !slices.Equal(storm.GroupIDs, []int64{w.danang}) {
		t.Fatalf("storm %+v", storm)
	}
	if heat.State != store.CAPSkipped || heat.Reason != ReasonBelow {
		t.Fatalf("heat %+v", heat)
	}
	approver := store.Actor{Name: "approver"}
	pub, err := p.Publish(context.Background(), approver, flood.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	live := w.live()
	if pub.State != store.CAPPublished || len(live) != 1 || *pub.UrgentID != live[0].ID || !slices.Equal(w.reaches(live[0]), []int64{w.hn1}) {
		t.Fatalf("published %+v, live %+v", pub, live)
	}
	if _, err := p.Publish(context.Background(), approver, flood.ID, 0); err == nil {
		t.Fatal("published twice")
	}
	if d, err := p.Dismiss(context.Background(), approver, storm.ID); err != nil || d.State != store.CAPDismissed {
		t.Fatalf("dismiss: %+v %v", d, err)
	}
	if _, err := p.Publish(context.Background(), approver, storm.ID, 0); err == nil {
		t.Fatal("published a dismissed alert")
	}

	// A drill is recorded, never shown.
	w.srv.serve("/drill.xml", doc{body: fixture(t, "exercise.xml")})
	drill := w.feed(store.CAPFeed{URL: "/drill.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	w.poll(p, drill.ID)
	if a := w.alert("VN-DRILL-001"); a.State != store.CAPSkipped || a.Reason != ReasonNotActual || len(w.live()) != 1 {
		t.Fatalf("drill %+v", a)
	}
}

// TestOASISExamples: the specification's thunderstorm warning (A.2) is
// matched by its SAME geocode; its earthquake Update (A.3), Minor and
// Past, stays below a Moderate threshold; neither crashes anything.
func TestOASISExamples(t *testing.T) {
	w := newWorld(t)
	w.now = time.Date(2003, 6, 17, 15, 0, 0, 0, time.FixedZone("PDT", -7*3600))
	p := w.poller(Options{})
	w.srv.serve("/a2.xml", doc{body: fixture(t, "oasis-a2-thunderstorm.xml")})
	w.srv.serve("/a3.xml", doc{body: fixture(t, "oasis-a3-earthquake-update.xml")})
	a2 := w.feed(store.CAPFeed{URL: "/a2.xml", AutoPublish: true, MinSeverity: "Moderate",
		Areas: []store.CAPArea{{Kind: "geocode", Name: "SAME", Value: "006009", GroupID: w.hanoi}}})
	a3 := w.feed(store.CAPFeed{URL: "/a3.xml", AutoPublish: true, MinSeverity: "Moderate",
		Areas: []store.CAPArea{{Kind: "desc", Value: "Brawley", GroupID: w.hanoi}}})
	w.poll(p, a2.ID)
	w.poll(p, a3.ID)
	live := w.live()
	if len(live) != 1 || live[0].Title != "SEVERE THUNDERSTORM WARNING" || !slices.Equal(w.reaches(live[0]), []int64{w.hn1}) ||
		!live[0].EndsAt.Equal(time.Date(2003, 6, 17, 16, 0, 0, 0, time.FixedZone("PDT", -7*3600))) {
		t.Fatalf("live %+v", live)
	}
	if a := w.alert("TRI13970876.2"); a.State != store.CAPSkipped || a.Reason != ReasonBelow {
		t.Fatalf("earthquake %+v", a)
	}
}

// TestBadFeedsRefused: every bad feed is refused with a stored reason and
// nothing is sent; the poller keeps polling a good feed afterwards.
func TestBadFeedsRefused(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{Timeout: 200 * time.Millisecond, MaxBytes: 64 << 10})
	huge := []byte(`<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>` +
		strings.Repeat("x", 100<<10) + `</note></alert>`)
	for _, tc := range []struct {
		name string
		doc  doc
		code string
	}{
		{"malformed", doc{body: fixture(t, "bad-malformed.xml")}, "malformed"},
		{"junk", doc{body: fixture(t, "bad-junk.xml")}, ""},
		{"entity expansion", doc{body: fixture(t, "bad-doctype.xml")}, "doctype"},
		{"wrong namespace", doc{body: fixture(t, "bad-namespace.xml")}, "namespace"},
		{"CAP 1.1", doc{body: fixture(t, "bad-cap11.xml")}, "namespace"},
		{"huge", doc{body: huge}, "too_large"},
		{"http 500", doc{status: 500}, "http_status"},
		{"http 404", doc{status: 404}, "http_status"},
		{"timeout", doc{hang: true}, "timeout"},
		{"missing identifier", doc{body: fixture(t, "bad-no-identifier.xml")}, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/feed-" + strings.ReplaceAll(tc.name, " ", "-")
			w.srv.serve(path, tc.doc)
			f := w.feed(store.CAPFeed{URL: path, AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
			f = w.poll(p, f.ID)
			if f.LastResult != store.PollError || f.LastError == "" || (tc.code != "" && f.LastErrorCode != tc.code) {
				t.Fatalf("%s: result %s code %s error %q, want error %s", tc.name, f.LastResult, f.LastErrorCode, f.LastError, tc.code)
			}
			if l := w.live(); len(l) != 0 {
				t.Fatalf("a bad feed sent %+v", l)
			}
		})
	}
	// PollDue polls every feed (all due again later) and then the good one.
	w.srv.serve("/good.xml", doc{body: fixture(t, "storm.xml")})
	w.feed(store.CAPFeed{URL: "/good.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	w.advance(2 * time.Minute)
	p.PollDue(context.Background())
	if l := w.live(); len(l) != 1 {
		t.Fatalf("the good feed after the bad ones: %+v", l)
	}
}

// TestPrivateAddressRefused: the default client refuses the controller's
// own networks unless allowed.
func TestPrivateAddressRefused(t *testing.T) {
	w := newWorld(t)
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml")})
	f := w.feed(store.CAPFeed{URL: "/feed.xml"})
	p := New(w.st, w.send, Options{Now: w.clock})
	if got := w.poll(p, f.ID); got.LastErrorCode != "private_address" {
		t.Fatalf("loopback feed: %s %s", got.LastErrorCode, got.LastError)
	}
	p = New(w.st, w.send, Options{Now: w.clock, AllowPrivate: true})
	if got := w.poll(p, f.ID); got.LastResult != store.PollOK {
		t.Fatalf("loopback feed allowed: %s %s", got.LastErrorCode, got.LastError)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ headline, desc, event, title, body string }{
		{"H", "D", "E", "H", "D"},
		{"", "D", "E", "E", "D"},
		{"H", "", "E", "E", "H"},
		{"", "", "E", "", "E"},
	} {
		if title, body := text(&cap.Info{Headline: tc.headline, Description: tc.desc, Event: tc.event}); title != tc.title || body != tc.body {
			t.Errorf("%+v: %q %q", tc, title, body)
		}
	}
}

// TestUpdateWaitsWithTheOldNoticeOn: on a feed that waits for an approver,
// the storm's notice stays on screens while its Update waits; publishing
// the Update replaces it. A Cancel of a published alert ends it at once
// even there. Last-Modified makes the GET conditional too.
func TestUpdateWaitsWithTheOldNoticeOn(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{})
	lastMod := "Mon, 30 Nov 2026 01:00:00 GMT"
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml")})
	f := w.feed(store.CAPFeed{URL: "/feed.xml", Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	w.poll(p, f.ID)
	approver := store.Actor{Name: "approver"}
	storm := w.alert("VN-STORM-2026-11-30-001")
	if _, err := p.Publish(context.Background(), approver, storm.ID, w.unit); err != nil {
		t.Fatal(err)
	}
	first := w.live()
	if len(first) != 1 {
		t.Fatalf("live %+v", first)
	}

	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm-update.xml")})
	w.poll(p, f.ID)
	update := w.alert("VN-STORM-2026-11-30-002")
	if update.State != store.CAPWaiting || len(update.References) != 1 {
		t.Fatalf("update %+v", update)
	}
	if l := w.live(); len(l) != 1 || l[0].ID != first[0].ID {
		t.Fatalf("while the update waits, live %+v", l)
	}
	if _, err := p.Publish(context.Background(), approver, update.ID, w.unit); err != nil {
		t.Fatal(err)
	}
	if l := w.live(); len(l) != 1 || l[0].ID == first[0].ID || l[0].Text != "Bão mạnh lên, đổ bộ vào Đà Nẵng trong 6 giờ tới" {
		t.Fatalf("after publishing the update, live %+v", l)
	}
	if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPReplaced {
		t.Fatalf("storm %+v", a)
	}

	// Last-Modified: kept from a 200, sent back as If-Modified-Since.
	var ims []string
	var mu sync.Mutex
	lm := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ims = append(ims, r.Header.Get("If-Modified-Since"))
		mu.Unlock()
		if r.Header.Get("If-Modified-Since") == lastMod {
			rw.WriteHeader(http.StatusNotModified)
			return
		}
		rw.Header().Set("Last-Modified", lastMod)
		rw.Write(fixture(t, "storm-cancel.xml"))
	}))
	defer lm.Close()
	g, err := w.st.CreateCAPFeed(context.Background(), store.System, store.CAPFeed{Name: "lm", URL: lm.URL + "/x", Interval: 30, DefaultMinutes: 60,
		UnitID: w.unit, Languages: []string{"vi"}})
	if err != nil {
		t.Fatal(err)
	}
	lp := New(w.st, w.send, Options{Now: w.clock, AllowPrivate: true})
	if r := w.poll(lp, g.ID); r.LastResult != store.PollOK {
		t.Fatalf("first: %+v", r)
	}
	if l := w.live(); len(l) != 0 {
		t.Fatalf("the cancel did not end the published update: %+v", l)
	}
	if r := w.poll(lp, g.ID); r.LastResult != store.PollNotModified || ims[1] != lastMod || ims[0] != "" {
		t.Fatalf("second: %s, If-Modified-Since %q", r.LastResult, ims)
	}
}

// TestRunStops: Run polls what is due at once and returns when its
// context ends.
func TestRunStops(t *testing.T) {
	w := newWorld(t)
	polled := make(chan store.CAPFeed, 10)
	p := w.poller(Options{Tick: time.Hour, Polled: func(f store.CAPFeed) { polled <- f }})
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml")})
	f := w.feed(store.CAPFeed{URL: "/feed.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	select {
	case got := <-polled:
		if got.ID != f.ID || got.LastResult != store.PollOK || len(w.live()) != 1 {
			t.Fatalf("polled %+v, live %+v", got, w.live())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not poll the feed due since its creation")
	}
	cancel()
	<-done
}

func TestInternalAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
		"fe80::1": true, "fd00::1": true, "0.0.0.0": true, "::": true, "::ffff:127.0.0.1": true, "100.64.0.1": true, "224.0.0.1": true,
		"8.8.8.8": false, "203.113.131.1": false, "2001:4860:4860::8888": false, "100.128.0.1": false,
		// "this network", shared space, IETF, benchmarking, reserved, broadcast
		"0.1.2.3": true, "100.127.255.254": true, "100.63.255.255": false, "192.0.0.8": true, "192.0.1.1": false,
		"198.18.0.1": true, "198.19.255.255": true, "198.20.0.1": false, "240.0.0.1": true, "255.255.255.255": true,
		// IPv4 carried in IPv6: mapped, NAT64, 6to4
		"::ffff:10.0.0.1": true, "::ffff:169.254.169.254": true, "::ffff:8.8.8.8": false,
		"64:ff9b::7f00:1": true, "64:ff9b::a9fe:a9fe": true, "64:ff9b::808:808": false, "64:ff9b:1::1": true,
		"2002:7f00:1::": true, "2002:c0a8:101::1": true, "2002:808:808::1": false,
		"ff02::1": true,
	} {
		if got := internal(net.ParseIP(addr)); got != want {
			t.Errorf("%s: internal %v, want %v", addr, got, want)
		}
	}
}

// TestFeedOrderAndLinkBound: an Atom feed that lists the storm's Update
// before the storm itself shows the Update only (alerts are taken oldest
// first); a feed of more linked alerts than MaxLinks is read a few
// new links a poll, without fetching again those already taken.
func TestFeedOrderAndLinkBound(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{MaxLinks: 2})
	entry := func(id, link string) string {
		return `<entry><id>` + id + `</id><updated>2026-11-30T08:00:00+07:00</updated><link rel="alternate" type="application/cap+xml" href="` + link + `"/></entry>`
	}
	feed := func(entries ...string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>x</title>` +
			`<updated>2026-11-30T09:00:00+07:00</updated>` + strings.Join(entries, "") + `</feed>`)
	}
	w.srv.serve("/update.xml", doc{body: fixture(t, "storm-update.xml")})
	w.srv.serve("/storm.xml", doc{body: fixture(t, "storm.xml")})
	w.srv.serve("/heat.xml", doc{body: fixture(t, "heat-1.xml")})
	w.srv.serve("/feed-atom.xml", doc{body: feed(entry("u", "/update.xml"), entry("s", "/storm.xml"), entry("h", "/heat.xml"))})
	f := w.feed(store.CAPFeed{URL: "/feed-atom.xml", AutoPublish: true,
		Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}, {Kind: "desc", Value: "Hà Nội", GroupID: w.hanoi}}})

	got := w.poll(p, f.ID)
	if got.LastErrorCode != "entries_refused" || !strings.Contains(got.LastError, "more than 2 new linked alerts") {
		t.Fatalf("first poll: %s %q", got.LastErrorCode, got.LastError)
	}
	live := w.live()
	if len(live) != 1 || live[0].Title != "Bão nhiệt đới" {
		t.Fatalf("after the first poll: %+v", live)
	}
	if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPReplaced {
		t.Fatalf("the storm, taken before its update: %+v", a)
	}

	w.advance(time.Minute)
	got = w.poll(p, f.ID)
	if got.LastResult != store.PollOK || got.LastError != "" {
		t.Fatalf("second poll: %s %q", got.LastErrorCode, got.LastError)
	}
	if a := w.alert("VN-HEAT-HN-001"); a.State != store.CAPPublished {
		t.Fatalf("heat, the third link: %+v", a)
	}
	if w.srv.hits["/update.xml"] != 1 || w.srv.hits["/storm.xml"] != 1 || w.srv.hits["/heat.xml"] != 1 {
		t.Fatalf("links fetched again: %v", w.srv.hits)
	}
}

// TestLateAlertNeverShown: an alert that arrives after its Update was
// taken is recorded as superseded and never shown.
func TestLateAlertNeverShown(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{})
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm-update.xml")})
	f := w.feed(store.CAPFeed{URL: "/feed.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	w.poll(p, f.ID)
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml")})
	w.poll(p, f.ID)
	if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPSkipped || a.Reason != ReasonReplaced {
		t.Fatalf("the late storm: %+v", a)
	}
	if l := w.live(); len(l) != 1 || l[0].Title != "Bão nhiệt đới" {
		t.Fatalf("live %+v", l)
	}
}

// TestLinkFailureRetried: a linked alert whose download fails once is
// fetched again on the next poll even though the feed itself has not
// changed (its ETag is not kept, so the feed does not answer 304).
func TestLinkFailureRetried(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{})
	w.srv.serve("/storm.xml", doc{status: http.StatusInternalServerError})
	w.srv.serve("/feed-atom.xml", doc{etag: `"f1"`, body: []byte(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>x</title>` +
		`<updated>2026-11-30T09:00:00+07:00</updated><entry><id>s</id><updated>2026-11-30T08:00:00+07:00</updated>` +
		`<link rel="alternate" type="application/cap+xml" href="/storm.xml"/></entry></feed>`)})
	f := w.feed(store.CAPFeed{URL: "/feed-atom.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	got := w.poll(p, f.ID)
	if got.LastErrorCode != "entries_refused" || len(w.live()) != 0 {
		t.Fatalf("first poll: %s %q", got.LastErrorCode, got.LastError)
	}
	w.srv.serve("/storm.xml", doc{body: fixture(t, "storm.xml")})
	w.advance(time.Minute)
	got = w.poll(p, f.ID)
	if got.LastResult != store.PollOK || got.LastError != "" || len(w.live()) != 1 {
		t.Fatalf("second poll: %s %s %q, live %+v", got.LastResult, got.LastErrorCode, got.LastError, w.live())
	}
	if n := w.srv.hitsOf("/storm.xml"); n != 2 {
		t.Fatalf("the link was fetched %d times", n)
	}
}

// TestRestrictedAlertNotShown: an alert whose scope is Restricted or
// Private is kept, never put on public screens.
func TestRestrictedAlertNotShown(t *testing.T) {
	for _, scope := range []string{"Restricted", "Private"} {
		t.Run(scope, func(t *testing.T) {
			w := newWorld(t)
			p := w.poller(Options{})
			body := strings.Replace(string(fixture(t, "storm.xml")), "<scope>Public</scope>", "<scope>"+scope+"</scope>", 1)
			if scope == "Restricted" {
				body = strings.Replace(body, "</scope>", "</scope><restriction>officials only</restriction>", 1)
			} else {
				body = strings.Replace(body, "</scope>", "</scope><addresses>a@example.vn</addresses>", 1)
			}
			w.srv.serve("/feed.xml", doc{body: []byte(body)})
			f := w.feed(store.CAPFeed{URL: "/feed.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
			if got := w.poll(p, f.ID); got.LastResult != store.PollOK || got.LastError != "" {
				t.Fatalf("poll: %s %q", got.LastErrorCode, got.LastError)
			}
			if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPSkipped || a.Reason != ReasonNotPublic {
				t.Fatalf("alert %+v", a)
			}
			if l := w.live(); len(l) != 0 {
				t.Fatalf("a %s alert was shown: %+v", scope, l)
			}
		})
	}
}

// rendezvous is a Sender whose first send waits (up to a second) for a
// second one to begin: two sends in flight at once are seen, not left to
// the scheduler.
type rendezvous struct {
	Sender
	mu     sync.Mutex
	calls  int
	second chan struct{}
}

func (r *rendezvous) SendText(ctx context.Context, who store.Actor, n store.UrgentNew) (store.UrgentNotice, error) {
	r.mu.Lock()
	r.calls++
	first := r.calls == 1
	if r.calls == 2 {
		close(r.second)
	}
	r.mu.Unlock()
	if first {
		select {
		case <-r.second:
		case <-time.After(500 * time.Millisecond):
		}
	}
	return r.Sender.SendText(ctx, who, n)
}

// TestConcurrentPublishSendsOnce: two approvers publishing the same
// waiting alert at once send one notice; the other is refused.
func TestConcurrentPublishSendsOnce(t *testing.T) {
	w := newWorld(t)
	send := &rendezvous{Sender: w.send, second: make(chan struct{})}
	p := New(w.st, send, Options{Client: w.srv.client(), Now: w.clock})
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml")})
	f := w.feed(store.CAPFeed{URL: "/feed.xml", Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	w.poll(p, f.ID)
	storm := w.alert("VN-STORM-2026-11-30-001")
	errs := make(chan error, 2)
	for _, name := range []string{"an", "binh"} {
		go func() {
			_, err := p.Publish(context.Background(), store.Actor{Name: name}, storm.ID, w.unit)
			errs <- err
		}()
	}
	failed := 0
	for range 2 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if l := w.live(); len(l) != 1 || failed != 1 {
		t.Fatalf("%d publish calls failed, live %+v", failed, l)
	}
	if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPPublished || a.UrgentID == nil || *a.UrgentID != w.live()[0].ID {
		t.Fatalf("alert %+v", a)
	}
}

// flaky is a Sender that fails while down is set.
type flaky struct {
	Sender
	mu   sync.Mutex
	down bool
}

func (f *flaky) set(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

func (f *flaky) SendText(ctx context.Context, who store.Actor, n store.UrgentNew) (store.UrgentNotice, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return store.UrgentNotice{}, context.DeadlineExceeded
	}
	return f.Sender.SendText(ctx, who, n)
}

// TestAutoPublishRetried: an automatic feed's alert whose notice could not
// be sent is sent at the next poll (even one the feed answers with 304);
// one that expired meanwhile is skipped as expired.
func TestAutoPublishRetried(t *testing.T) {
	t.Run("sent later", func(t *testing.T) {
		w := newWorld(t)
		send := &flaky{Sender: w.send, down: true}
		p := New(w.st, send, Options{Client: w.srv.client(), Now: w.clock})
		w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml"), etag: `"v1"`})
		f := w.feed(store.CAPFeed{URL: "/feed.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
		if got := w.poll(p, f.ID); got.LastErrorCode != "entries_refused" || len(w.live()) != 0 {
			t.Fatalf("first poll: %s %q", got.LastErrorCode, got.LastError)
		}
		if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPWaiting {
			t.Fatalf("after a failed send: %+v", a)
		}
		send.set(false)
		w.advance(time.Minute)
		w.poll(p, f.ID)
		live := w.live()
		if a := w.alert("VN-STORM-2026-11-30-001"); len(live) != 1 || a.State != store.CAPPublished || a.UrgentID == nil || *a.UrgentID != live[0].ID {
			t.Fatalf("after the retry: %+v, live %+v", a, live)
		}
		w.advance(time.Minute)
		w.poll(p, f.ID)
		if l := w.live(); len(l) != 1 {
			t.Fatalf("sent twice: %+v", l)
		}
	})
	t.Run("expired meanwhile", func(t *testing.T) {
		w := newWorld(t)
		send := &flaky{Sender: w.send, down: true}
		p := New(w.st, send, Options{Client: w.srv.client(), Now: w.clock})
		w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml"), etag: `"v1"`})
		f := w.feed(store.CAPFeed{URL: "/feed.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
		w.poll(p, f.ID)
		send.set(false)
		w.advance(48 * time.Hour)
		w.poll(p, f.ID)
		if a := w.alert("VN-STORM-2026-11-30-001"); a.State != store.CAPSkipped || a.Reason != ReasonExpired || len(w.live()) != 0 {
			t.Fatalf("expired: %+v, live %+v", a, w.live())
		}
	})
}

// alertOf is the copy of an alert a feed took.
func (w *world) alertOf(feed int64, identifier string) store.CAPAlert {
	w.t.Helper()
	as, err := w.st.CAPAlerts(context.Background(), "")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range as {
		if a.Identifier == identifier && a.FeedID != nil && *a.FeedID == feed {
			return a
		}
	}
	w.t.Fatalf("alert %s not stored for feed %d", identifier, feed)
	return store.CAPAlert{}
}

// TestSameAlertThroughTwoFeeds: a national and a provincial feed carry the
// same storm with different maps of areas to groups: each group of either
// map gets it, a group both map gets one notice; an Update carried by the
// provincial feed only replaces the national feed's notice too, and a
// Cancel carried by the national feed only ends the provincial one's.
func TestSameAlertThroughTwoFeeds(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{})
	w.srv.serve("/feed-national.xml", doc{body: fixture(t, "storm.xml")})
	w.srv.serve("/feed-province.xml", doc{body: fixture(t, "storm.xml")})
	nat := w.feed(store.CAPFeed{URL: "/feed-national.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	prov := w.feed(store.CAPFeed{URL: "/feed-province.xml", AutoPublish: true,
		Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.hanoi}, {Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	const storm, update, cancel = "VN-STORM-2026-11-30-001", "VN-STORM-2026-11-30-002", "VN-STORM-2026-11-30-003"

	w.poll(p, nat.ID)
	w.poll(p, prov.ID)
	live := w.live()
	if len(live) != 2 {
		t.Fatalf("live %+v", live)
	}
	screens := func() []int64 {
		var all []int64
		for _, n := range w.live() {
			all = append(all, w.reaches(n)...)
		}
		slices.Sort(all)
		return all
	}
	if got, want := screens(), []int64{w.dn1, w.dn2, w.hn1}; !slices.Equal(got, want) {
		t.Fatalf("the storm reaches %v, want each screen once: %v", got, want)
	}
	if a := w.alertOf(prov.ID, storm); a.State != store.CAPPublished || a.UrgentID == nil || !slices.Equal(a.GroupIDs, []int64{w.danang, w.hanoi}) {
		t.Fatalf("the provincial copy %+v", a)
	}

	// The Update, through the provincial feed only.
	w.advance(time.Minute)
	w.srv.serve("/feed-province.xml", doc{body: fixture(t, "storm-update.xml")})
	w.poll(p, prov.ID)
	for _, f := range []int64{nat.ID, prov.ID} {
		if a := w.alertOf(f, storm); a.State != store.CAPReplaced {
			t.Fatalf("feed %d's storm after the update: %+v", f, a)
		}
	}
	live = w.live()
	if len(live) != 1 || live[0].Title != "Bão nhiệt đới" {
		t.Fatalf("after the update: %+v", live)
	}
	if got, want := screens(), []int64{w.dn1, w.dn2, w.hn1}; !slices.Equal(got, want) {
		t.Fatalf("the update reaches %v, want %v", got, want)
	}
	// The national feed carrying it later changes nothing.
	w.srv.serve("/feed-national.xml", doc{body: fixture(t, "storm-update.xml")})
	w.poll(p, nat.ID)
	if l := w.live(); len(l) != 1 || l[0].ID != live[0].ID {
		t.Fatalf("after the national update: %+v", l)
	}

	// The Cancel, through the national feed only.
	w.advance(time.Minute)
	w.srv.serve("/feed-national.xml", doc{body: fixture(t, "storm-cancel.xml")})
	w.poll(p, nat.ID)
	if l := w.live(); len(l) != 0 {
		t.Fatalf("after the cancel: %+v", l)
	}
	if a := w.alertOf(prov.ID, update); a.State != store.CAPCancelled {
		t.Fatalf("the provincial update after the cancel: %+v", a)
	}
	if a := w.alertOf(prov.ID, cancel); a.State != store.CAPCancel {
		t.Fatalf("the cancel, handed to the provincial feed: %+v", a)
	}
}

// TestPollDeadline: one poll's fetching, the feed and its links, ends by
// the deadline however many links hang; those wait for the next poll.
func TestPollDeadline(t *testing.T) {
	w := newWorld(t)
	p := w.poller(Options{Timeout: 10 * time.Second, Deadline: 300 * time.Millisecond})
	entry := func(id string) string {
		return `<entry><id>` + id + `</id><updated>2026-11-30T08:00:00+07:00</updated><link rel="alternate" type="application/cap+xml" href="/hang-` + id + `.xml"/></entry>`
	}
	for _, id := range []string{"a", "b", "c"} {
		w.srv.serve("/hang-"+id+".xml", doc{hang: true})
	}
	w.srv.serve("/feed-atom.xml", doc{etag: `"f1"`, body: []byte(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>x</title>` +
		`<updated>2026-11-30T09:00:00+07:00</updated>` + entry("a") + entry("b") + entry("c") + `</feed>`)})
	f := w.feed(store.CAPFeed{URL: "/feed-atom.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	start := time.Now()
	got := w.poll(p, f.ID)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the poll took %s", took)
	}
	if got.LastErrorCode != "entries_refused" || !strings.Contains(got.LastError, "took more than") {
		t.Fatalf("poll: %s %q", got.LastErrorCode, got.LastError)
	}
	if w.srv.hitsOf("/hang-c.xml") != 0 {
		t.Fatal("a link was fetched after the deadline")
	}
	if got.ETag != "" {
		t.Fatalf("ETag %q kept: the links left would wait for the feed to change", got.ETag)
	}
}

// TestPollNowNotBlockedByAnotherFeed: while one feed hangs, another is
// polled by Run's round and by "poll now" at once.
func TestPollNowNotBlockedByAnotherFeed(t *testing.T) {
	w := newWorld(t)
	w.srv.hung = make(chan string, 4)
	polled := make(chan store.CAPFeed, 10)
	p := w.poller(Options{Timeout: 10 * time.Second, Polled: func(f store.CAPFeed) { polled <- f }})
	w.srv.serve("/feed-slow.xml", doc{hang: true})
	w.srv.serve("/feed-good.xml", doc{body: fixture(t, "storm.xml")})
	slow := w.feed(store.CAPFeed{URL: "/feed-slow.xml", Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	good := w.feed(store.CAPFeed{URL: "/feed-good.xml", AutoPublish: true, Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.PollDue(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// Run's round polls the good feed while the slow one hangs.
	select {
	case got := <-polled:
		if got.ID != good.ID || got.LastResult != store.PollOK {
			t.Fatalf("polled first: %+v", got)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the good feed waited for the slow one")
	}
	if path := <-w.srv.hung; path != "/feed-slow.xml" {
		t.Fatalf("hung: %s", path)
	}
	// "Poll now" of the good feed answers while the slow one still hangs.
	w.advance(time.Minute)
	now := w.poll(p, good.ID)
	if now.LastPollAt == nil || !now.LastPollAt.Equal(w.clock()) {
		t.Fatalf("poll now: %+v", now)
	}
	select {
	case got := <-polled:
		if got.ID == slow.ID {
			t.Fatal("poll now waited for the slow feed")
		}
	default:
		t.Fatal("poll now did not report")
	}
}

// gate is a Sender whose sends tell started and wait for release.
type gate struct {
	Sender
	started chan struct{}
	release chan struct{}
}

func (g *gate) SendText(ctx context.Context, who store.Actor, n store.UrgentNew) (store.UrgentNotice, error) {
	g.started <- struct{}{}
	<-g.release
	return g.Sender.SendText(ctx, who, n)
}

// TestUpdateWhilePublishing: an Update taken while an approver's publish
// of the alert it replaces is sending waits for that publish, and then
// sees a published alert: its notice is the alert's, not an orphan.
func TestUpdateWhilePublishing(t *testing.T) {
	w := newWorld(t)
	g := &gate{Sender: w.send, started: make(chan struct{}, 4), release: make(chan struct{})}
	p := New(w.st, g, Options{Client: w.srv.client(), Now: w.clock})
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm.xml")})
	f := w.feed(store.CAPFeed{URL: "/feed.xml", Areas: []store.CAPArea{{Kind: "desc", Value: "Đà Nẵng", GroupID: w.danang}}})
	w.poll(p, f.ID)
	storm := w.alert("VN-STORM-2026-11-30-001")
	published := make(chan error, 1)
	go func() {
		_, err := p.Publish(context.Background(), store.Actor{Name: "approver"}, storm.ID, w.unit)
		published <- err
	}()
	<-g.started
	w.srv.serve("/feed.xml", doc{body: fixture(t, "storm-update.xml")})
	polled := make(chan struct{})
	go func() { w.poll(p, f.ID); close(polled) }()
	select {
	case <-polled: // (only without the lock)
	case <-time.After(300 * time.Millisecond):
	}
	close(g.release)
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	<-polled
	live := w.live()
	s := w.alert("VN-STORM-2026-11-30-001")
	if len(live) != 1 || s.State != store.CAPPublished || s.UrgentID == nil || *s.UrgentID != live[0].ID {
		t.Fatalf("storm %+v, live %+v", s, live)
	}
	if u := w.alert("VN-STORM-2026-11-30-002"); u.State != store.CAPWaiting {
		t.Fatalf("update %+v", u)
	}
}
