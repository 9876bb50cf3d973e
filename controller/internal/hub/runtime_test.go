package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// fakeRuntime stands in for both the plan service (Plans) and the report
// sink (Reports).
type fakeRuntime struct {
	mu      sync.Mutex
	plan    *protocol.Plan
	records []protocol.PlayRecord
	health  []protocol.Health
	acked   int64
	results []protocol.CommandResult
	fail    bool
}

func (f *fakeRuntime) Plan(_ context.Context, id int64) (Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return prepared(f.plan), nil
}

// prepared is a plan as the compiler hands it to the hub.
func prepared(p *protocol.Plan) Plan {
	if p == nil {
		return Plan{}
	}
	data, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return Plan{Revision: p.Revision, JSON: data}
}
func (f *fakeRuntime) Health(_ context.Context, _ int64, h protocol.Health) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.health = append(f.health, h)
	return nil
}
func (f *fakeRuntime) Screenshot(context.Context, int64, protocol.Screenshot) error { return nil }
func (f *fakeRuntime) PlayRecords(_ context.Context, _ int64, b protocol.PlayRecords) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("disk full")
	}
	f.records = append(f.records, b.Records...)
	return nil
}
func (f *fakeRuntime) CommandResult(_ context.Context, _ int64, r protocol.CommandResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results = append(f.results, r)
}
func (f *fakeRuntime) AgentLeft(context.Context, int64) {}
func (f *fakeRuntime) PlanAcked(_ context.Context, _ int64, rev int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acked = rev
}

func startAuthHub(t *testing.T, rt *fakeRuntime) (*Hub, string) {
	t.Helper()
	auth := func(r *http.Request) (Identity, error) {
		if r.Header.Get("Authorization") != "Bearer good" {
			return Identity{}, ErrRefused
		}
		return Identity{DisplayID: 3, Name: "truong-hoc"}, nil
	}
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 1, Auth: auth, Plans: rt, Reports: rt})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
		srv.Close()
	})
	return h, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dialAuth(t *testing.T, url, token string) (*websocket.Conn, *http.Response, error) {
	header := http.Header{}
	header.Set("Authorization", "Bearer "+token)
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if ws != nil {
		t.Cleanup(func() { ws.Close() })
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	}
	return ws, resp, err
}

func TestUnknownCredentialIsRefusedBeforeUpgrade(t *testing.T) {
	_, url := startAuthHub(t, &fakeRuntime{})
	_, resp, err := dialAuth(t, url, "stolen")
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial = %v, %v; want 401", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "enrol the agent with a new code") {
		t.Fatalf("body %s", body)
	}
}

func testPlan(rev int64) *protocol.Plan {
	sha := strings.Repeat("a", 64)
	return &protocol.Plan{Schema: protocol.PlanSchema, Revision: rev, DisplayID: 3, TimeZone: "Asia/Ho_Chi_Minh",
		Panel: protocol.Panel{Width: 64, Height: 32}, Fallback: protocol.FallbackBlack,
		Assets:    []protocol.Asset{{SHA256: sha, Kind: protocol.AssetImage, Bytes: 10}},
		Playlists: []protocol.Playlist{{ID: 1, Items: []protocol.Item{{ID: 1, Asset: sha, DurationMS: 1000}}}},
		Entries:   []protocol.Entry{{ID: 1, Playlist: 1}}}
}

func TestPlanIsSentWhenNewerAndAckRecorded(t *testing.T) {
	rt := &fakeRuntime{plan: testPlan(5)}
	h, url := startAuthHub(t, rt)

	// An agent that already runs revision 5 gets no plan.
	ws, _, err := dialAuth(t, url, "good")
	if err != nil {
		t.Fatal(err)
	}
	hl := hello("truong-hoc")
	hl.PlanRevision = 5
	send(t, ws, protocol.TypeHello, hl)
	read(t, ws) // welcome
	send(t, ws, protocol.TypeTimeRequest, protocol.TimeRequest{T1: time.Now()})
	if env := read(t, ws); env.Type != protocol.TypeTimeResponse {
		t.Fatalf("got %s, want the time response (and no plan)", env.Type)
	}
	ws.Close()

	// One with revision 4 gets revision 5 and acks it.
	ws, _, _ = dialAuth(t, url, "good")
	hl.PlanRevision = 4
	send(t, ws, protocol.TypeHello, hl)
	read(t, ws) // welcome
	env := read(t, ws)
	var m protocol.PlanMessage
	if env.Type != protocol.TypePlan || protocol.DecodeBody(env, &m) != nil || m.Plan.Revision != 5 {
		t.Fatalf("got %s %+v, want plan 5", env.Type, m)
	}
	send(t, ws, protocol.TypeAck, protocol.Ack{Ref: env.ID})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 1 && a[0].PlanRevision == 5 && a[0].DisplayID == 3 }); err != nil {
		t.Fatalf("plan ack not seen: %+v", h.Agents())
	}

	// A pushed plan arrives at once.
	rt.mu.Lock()
	rt.plan = testPlan(6)
	rt.mu.Unlock()
	if err := h.PushPlan(ctx, 3, prepared(testPlan(6))); err != nil {
		t.Fatal(err)
	}
	if env := read(t, ws); env.Type != protocol.TypePlan {
		t.Fatalf("got %s after push", env.Type)
	}
	if err := h.PushPlan(ctx, 99, prepared(testPlan(6))); !errors.Is(err, ErrOffline) {
		t.Fatalf("push to an offline display: %v", err)
	}
}

func TestTimeResponseEchoesT1(t *testing.T) {
	_, url := startAuthHub(t, &fakeRuntime{})
	ws, _, _ := dialAuth(t, url, "good")
	send(t, ws, protocol.TypeHello, hello("truong-hoc"))
	read(t, ws)
	t1 := time.Date(2026, 11, 25, 1, 2, 3, 4_000_000, time.UTC)
	send(t, ws, protocol.TypeTimeRequest, protocol.TimeRequest{T1: t1})
	env := read(t, ws)
	var r protocol.TimeResponse
	if protocol.DecodeBody(env, &r) != nil || !r.T1.Equal(t1) || r.T3.Before(r.T2) || time.Since(r.T2) > time.Minute {
		t.Fatalf("response %+v", r)
	}
}

func TestPlayRecordsAreAckedOnlyWhenStored(t *testing.T) {
	rt := &fakeRuntime{}
	_, url := startAuthHub(t, rt)
	ws, _, _ := dialAuth(t, url, "good")
	send(t, ws, protocol.TypeHello, hello("truong-hoc"))
	read(t, ws)
	now := time.Now().UTC()
	batch := protocol.PlayRecords{Records: []protocol.PlayRecord{{ID: "r1", Display: 3, Start: now, End: now}}}
	msg := send(t, ws, protocol.TypePlayRecords, batch)
	env := read(t, ws)
	var ack protocol.Ack
	if env.Type != protocol.TypeAck || protocol.DecodeBody(env, &ack) != nil || ack.Ref != msg.ID {
		t.Fatalf("got %s %+v", env.Type, ack)
	}

	rt.mu.Lock()
	rt.fail = true
	rt.mu.Unlock()
	send(t, ws, protocol.TypePlayRecords, batch)
	if env := read(t, ws); env.Type != protocol.TypeError {
		t.Fatalf("a batch that was not stored got %s", env.Type)
	}

	// Records the runtime refuses (another display's, say) are acked once
	// it has looked at them: resending cannot make them acceptable.
	rt.mu.Lock()
	rt.fail = false
	rt.mu.Unlock()
	batch.Records[0].Display = 4
	msg = send(t, ws, protocol.TypePlayRecords, batch)
	if env = read(t, ws); env.Type != protocol.TypeAck || protocol.DecodeBody(env, &ack) != nil || ack.Ref != msg.ID {
		t.Fatalf("got %s %+v, want the batch acked", env.Type, ack)
	}
}

func TestRevokeClosesWithUnauthorized(t *testing.T) {
	h, url := startAuthHub(t, &fakeRuntime{})
	ws, _, _ := dialAuth(t, url, "good")
	send(t, ws, protocol.TypeHello, hello("truong-hoc"))
	read(t, ws)
	h.Revoke(3)
	_, _, err := ws.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != protocol.CloseUnauthorized {
		t.Fatalf("read error %v, want close %d", err, protocol.CloseUnauthorized)
	}
}

func TestCommandRoundTrip(t *testing.T) {
	rt := &fakeRuntime{}
	h, url := startAuthHub(t, rt)
	ws, _, _ := dialAuth(t, url, "good")
	send(t, ws, protocol.TypeHello, hello("truong-hoc"))
	read(t, ws)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 1 })
	id, err := h.Command(3, protocol.Command{Name: protocol.CmdBlank})
	if err != nil {
		t.Fatal(err)
	}
	env := read(t, ws)
	if env.Type != protocol.TypeCommand || env.ID != id {
		t.Fatalf("got %s %s", env.Type, env.ID)
	}
	if _, err := h.Command(3, protocol.Command{Name: "selfdestruct"}); err == nil {
		t.Fatal("an unknown command was sent")
	}
}

// TestOlderPlanIsSentToo: after a restore from backup the controller's
// revision may be lower than the agent's; its plan is still the one to play.
func TestOlderPlanIsSentToo(t *testing.T) {
	_, url := startAuthHub(t, &fakeRuntime{plan: testPlan(5)})
	ws, _, err := dialAuth(t, url, "good")
	if err != nil {
		t.Fatal(err)
	}
	hl := hello("truong-hoc")
	hl.PlanRevision = 9
	send(t, ws, protocol.TypeHello, hl)
	read(t, ws) // welcome
	var m protocol.PlanMessage
	if env := read(t, ws); env.Type != protocol.TypePlan || protocol.DecodeBody(env, &m) != nil || m.Plan.Revision != 5 {
		t.Fatalf("got %s %+v, want plan 5", env.Type, m.Plan.Revision)
	}
}

// One bad record (a clock step ended it before it started) must not hold
// back the batch: the runtime refuses it alone and the batch is acked, or
// the agent would send the batch, and everything journaled after it, again
// forever.
func TestPlayRecordBatchWithABadRecordIsAcked(t *testing.T) {
	rt := &fakeRuntime{}
	_, url := startAuthHub(t, rt)
	ws, _, _ := dialAuth(t, url, "good")
	send(t, ws, protocol.TypeHello, hello("truong-hoc"))
	read(t, ws)
	now := time.Now().UTC()
	batch := protocol.PlayRecords{Records: []protocol.PlayRecord{
		{ID: "stepped", Display: 3, Start: now, End: now.Add(-time.Second)},
		{ID: "fine", Display: 3, Start: now.Add(-time.Second), End: now},
	}}
	msg := send(t, ws, protocol.TypePlayRecords, batch)
	env := read(t, ws)
	var ack protocol.Ack
	if env.Type != protocol.TypeAck || protocol.DecodeBody(env, &ack) != nil || ack.Ref != msg.ID {
		t.Fatalf("got %s %s, want the batch acked", env.Type, env.Body)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.records) != 2 {
		t.Fatalf("the runtime saw %d records, want both (it decides on each)", len(rt.records))
	}
}

// A plan message is the compiler's plan bytes in an envelope of its own:
// it decodes, as the agent decodes it, to the plan that was encoded.
func TestPlanMessageWrapsThePlanBytes(t *testing.T) {
	p := testPlan(7)
	p.Playlists[0].Name = "Chuyển đổi số – \"trường học\""
	at := time.Date(2026, 11, 30, 8, 0, 0, 123_456_789, time.UTC)
	data, err := planEnvelope("abc", at, prepared(p).JSON)
	if err != nil {
		t.Fatal(err)
	}
	env, err := protocol.Decode(data)
	if err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	var m protocol.PlanMessage
	if err := protocol.DecodeBody(env, &m); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(protocol.PlanMessage{Plan: *p})
	got, _ := json.Marshal(m)
	if env.Type != protocol.TypePlan || env.ID != "abc" || !env.TS.Equal(at.Truncate(time.Millisecond)) || string(got) != string(want) {
		t.Fatalf("envelope %s %s %v, plan %s; want %s", env.Type, env.ID, env.TS, got, want)
	}
	// The same bytes as encoding the whole message at once.
	whole, _ := protocol.NewEnvelope(protocol.TypePlan, protocol.PlanMessage{Plan: *p}, at)
	whole.ID = "abc"
	ref, _ := json.Marshal(whole)
	if string(ref) != string(data) {
		t.Fatalf("plan message\n%s\nwant\n%s", data, ref)
	}
}

// A link never gets an older plan after a newer one: the stored plan a
// hello fetched may be queued after the newer one a refresh pushed.
func TestOlderPlanIsNotSentAfterANewerOne(t *testing.T) {
	rt := &fakeRuntime{plan: testPlan(5)}
	h, url := startAuthHub(t, rt)
	ws, _, err := dialAuth(t, url, "good")
	if err != nil {
		t.Fatal(err)
	}
	send(t, ws, protocol.TypeHello, hello("truong-hoc"))
	read(t, ws) // welcome
	if env := read(t, ws); env.Type != protocol.TypePlan {
		t.Fatalf("got %s, want plan 5", env.Type)
	}
	ctx := context.Background()
	// 7 twice: a hello's stored plan and a refresh's push of the same
	// revision race; the agent gets it once.
	for _, rev := range []int64{7, 7, 6, 8} {
		if err := h.PushPlan(ctx, 3, prepared(testPlan(rev))); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int64{7, 8} {
		var m protocol.PlanMessage
		if env := read(t, ws); env.Type != protocol.TypePlan || protocol.DecodeBody(env, &m) != nil || m.Plan.Revision != want {
			t.Fatalf("got %s revision %d, want plan %d (never 7 twice, never 6 after 7)", env.Type, m.Plan.Revision, want)
		}
	}
}
