package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/reports"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// replica is what of a controller the bus joins: a real hub serving real
// websockets, with the report sink that keeps command results.
type replica struct {
	bus  *Bus
	hub  *hub.Hub
	sink *reports.Sink
	ws   string // the hub's websocket URL
}

// agentStore is the hub's store, of which the bus needs nothing.
type agentStore struct{}

func (agentStore) SeeAgent(context.Context, store.Agent, time.Time) error { return nil }
func (agentStore) AgentLeft(context.Context, string, time.Time) error     { return nil }

// testDisplayHeader carries a test agent's display id in place of a
// credential.
const testDisplayHeader = "X-Test-Display"

func startReplica(t testing.TB, natsURL string, opt Options) *replica {
	t.Helper()
	if opt.Log == nil {
		opt.Log = quiet
	}
	if opt.ReconnectWait == 0 {
		opt.ReconnectWait = 20 * time.Millisecond
	}
	bus, err := Join(natsURL, opt)
	if err != nil {
		t.Fatal(err)
	}
	sink := reports.New(nil, quiet, reports.Options{}) // only command results: no store needed
	h := hub.New(quiet, agentStore{}, hub.Options{Version: "test", OnLink: bus.LinkChanged, Reports: bus.Relay(sink),
		Auth: func(r *http.Request) (hub.Identity, error) {
			id, err := strconv.ParseInt(r.Header.Get(testDisplayHeader), 10, 64)
			if err != nil {
				return hub.Identity{}, hub.ErrRefused
			}
			return hub.Identity{DisplayID: id, Name: "display-" + strconv.FormatInt(id, 10)}, nil
		}})
	bus.Attach(h)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("hub close: %v", err)
		}
		srv.Close()
		bus.Close()
	})
	return &replica{bus: bus, hub: h, sink: sink, ws: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

// agent is a display's agent on a real websocket: it says hello, then
// answers every command as done and hands each message to the test.
type agent struct {
	ws   *websocket.Conn
	msgs chan protocol.Envelope
	done chan struct{} // closed when the link ends
	err  error         // why it ended, once done is closed
}

// connect links display id's agent to r and returns once r's bus has told
// NATS it holds the display.
func connect(t testing.TB, r *replica, id int64) *agent {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(r.ws, http.Header{testDisplayHeader: {strconv.FormatInt(id, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{ws: ws, msgs: make(chan protocol.Envelope, 16), done: make(chan struct{})}
	t.Cleanup(func() { ws.Close(); <-a.done })
	a.send(t, protocol.TypeHello, protocol.Hello{Name: "x", AgentVersion: "t", Profile: "virtual", Panel: protocol.Panel{Width: 64, Height: 32}})
	go a.read()
	if env := a.next(t); env.Type != protocol.TypeWelcome {
		t.Fatalf("agent got %s first, want welcome", env.Type)
	}
	flush(t, r.bus) // the hub's OnLink ran before the welcome: NATS has the subscription
	return a
}

func (a *agent) send(t testing.TB, typ string, body any) {
	t.Helper()
	env, err := protocol.NewEnvelope(typ, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ws.WriteJSON(env); err != nil {
		t.Fatal(err)
	}
}

func (a *agent) read() {
	defer close(a.done)
	for {
		_, data, err := a.ws.ReadMessage()
		if err != nil {
			a.err = err
			return
		}
		env, err := protocol.Decode(data)
		if err != nil {
			a.err = err
			return
		}
		if env.Type == protocol.TypeCommand {
			res := protocol.CommandResult{Ref: env.ID, OK: true}
			reply, _ := protocol.NewEnvelope(protocol.TypeCommandResult, res, time.Now())
			if err := a.ws.WriteJSON(reply); err != nil {
				a.err = err
				return
			}
		}
		a.msgs <- env
	}
}

// next is the agent's next message, or the test fails after 5 s.
func (a *agent) next(t testing.TB) protocol.Envelope {
	t.Helper()
	select {
	case env := <-a.msgs:
		return env
	case <-a.done:
		t.Fatalf("agent's link ended: %v", a.err)
	case <-time.After(5 * time.Second):
		t.Fatal("agent got nothing in 5 s")
	}
	return protocol.Envelope{}
}

func flush(t testing.TB, b *Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

type changeSeen struct {
	typ string
	id  int64
}

func recordChanges(b *Bus) chan changeSeen {
	ch := make(chan changeSeen, 16)
	b.OnChange(func(typ string, id int64) { ch <- changeSeen{typ, id} })
	return ch
}

func nextChange(t *testing.T, ch chan changeSeen) changeSeen {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change arrived in 5 s")
	}
	return changeSeen{}
}

// A change saved on A runs B's handler, and A's only for B's change: A's
// own message comes back to A before B's (NATS delivers A's publication
// to both at once, and B publishes after it got it), so the first change
// A's handler sees must be B's.
func TestChangeReachesOtherReplicasNotItsOwn(t *testing.T) {
	url, _ := natstest.Start(t)
	a, b := startReplica(t, url, Options{}), startReplica(t, url, Options{})
	onA, onB := recordChanges(a.bus), recordChanges(b.bus)

	a.bus.PublishChange("notice", 12)
	if got := nextChange(t, onB); got != (changeSeen{"notice", 12}) {
		t.Fatalf("B saw %+v, want notice 12", got)
	}
	b.bus.PublishChange("display", 3)
	if got := nextChange(t, onA); got != (changeSeen{"display", 3}) {
		t.Fatalf("A's handler saw %+v first: its own change came back to it", got)
	}
	select {
	case got := <-onB:
		t.Fatalf("B's handler saw its own change %+v", got)
	default:
	}
}

// A command for a display whose agent is on B, asked of A, reaches the
// agent through B; A gets the message id, and the agent's result reaches
// A's report sink, where A's API waits for it.
func TestCommandReachesAgentOnOtherReplica(t *testing.T) {
	url, _ := natstest.Start(t)
	a, b := startReplica(t, url, Options{}), startReplica(t, url, Options{})
	ag := connect(t, b, 7)

	if _, err := a.hub.Command(7, protocol.Command{Name: protocol.CmdIdentify}); !errors.Is(err, hub.ErrOffline) {
		t.Fatalf("A's own hub: %v, want ErrOffline (the agent is on B)", err)
	}
	ref, err := a.bus.Command(7, protocol.Command{Name: protocol.CmdIdentify})
	if err != nil {
		t.Fatalf("command through A: %v", err)
	}
	env := ag.next(t)
	if env.Type != protocol.TypeCommand || env.ID != ref {
		t.Fatalf("agent got %s %q, want the command %q", env.Type, env.ID, ref)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, ok := a.sink.WaitResult(ctx, ref)
	if !ok || !res.OK {
		t.Fatalf("A's sink: result %+v, arrived %v; want the agent's ok", res, ok)
	}
	if got := counter(t, a.bus.m.forwarded); got != 1 {
		t.Fatalf("pano_cluster_commands_forwarded_total on A = %v, want 1", got)
	}
	if got := counter(t, b.bus.m.held); got != 1 {
		t.Fatalf("pano_cluster_displays_held on B = %v, want 1", got)
	}
	if got := counter(t, a.bus.m.connected); got != 1 {
		t.Fatalf("pano_cluster_connected on A = %v, want 1", got)
	}
}

// A display no replica holds is offline at once (NATS answers that no one
// listens), not after the request timeout; so is one whose agent left B.
func TestDisplayHeldNowhereIsOffline(t *testing.T) {
	url, _ := natstest.Start(t)
	// A request timeout far longer than the test waits: only NATS's "no
	// responders" can answer in time.
	a := startReplica(t, url, Options{RequestTimeout: time.Minute})
	b := startReplica(t, url, Options{})
	ag := connect(t, b, 8)

	offline := func(id int64) {
		t.Helper()
		got := make(chan error, 1)
		go func() {
			_, err := a.bus.Command(id, protocol.Command{Name: protocol.CmdBlank})
			got <- err
		}()
		select {
		case err := <-got:
			if !errors.Is(err, hub.ErrOffline) {
				t.Fatalf("display %d: %v, want ErrOffline", id, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("display %d: no answer in 10 s: the bus waited for a replica that does not exist", id)
		}
	}
	offline(99)

	ag.ws.Close()
	<-ag.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The hub calls OnLink before it tells its waiters the link is gone.
	if err := b.hub.WaitFor(ctx, func(ags []hub.AgentInfo) bool { return len(ags) == 0 }); err != nil {
		t.Fatal(err)
	}
	flush(t, b.bus)
	if got := counter(t, b.bus.m.held); got != 0 {
		t.Fatalf("B still listens for %v displays after its agent left", got)
	}
	offline(8)
}

// A plan compiled on A for a display whose agent is on B is pushed to it
// through B: with one database, B's own compile may find the plan stored
// already and push nothing.
func TestPlanPushedToAgentOnOtherReplica(t *testing.T) {
	url, _ := natstest.Start(t)
	a, b := startReplica(t, url, Options{}), startReplica(t, url, Options{})
	ag := connect(t, b, 5)

	plan := []byte(`{"revision":4,"display_id":5}`)
	if err := a.bus.PushPlan(context.Background(), 5, hub.Plan{Revision: 4, JSON: plan}); !errors.Is(err, hub.ErrOffline) {
		t.Fatalf("PushPlan on A: %v, want ErrOffline (not here; sent on)", err)
	}
	env := ag.next(t)
	if env.Type != protocol.TypePlan || !strings.Contains(string(env.Body), `"revision":4`) {
		t.Fatalf("agent got %s %s, want the plan of revision 4", env.Type, env.Body)
	}
}

// Revoking a display on A closes its agent's link on B.
func TestRevokeClosesLinkOnOtherReplica(t *testing.T) {
	url, _ := natstest.Start(t)
	a, b := startReplica(t, url, Options{}), startReplica(t, url, Options{})
	ag := connect(t, b, 6)

	a.bus.Revoke(6)
	select {
	case <-ag.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the agent on B still has its link 5 s after A revoked it")
	}
	var ce *websocket.CloseError
	if !errors.As(ag.err, &ce) || ce.Code != protocol.CloseUnauthorized {
		t.Fatalf("link ended with %v, want close code %d (unauthorized)", ag.err, protocol.CloseUnauthorized)
	}
}

// NATS restarted while replicas run: each bus reconnects by itself, its
// subscriptions (the displays it holds among them) come back, and changes
// and commands cross again, without restarting a replica or an agent.
func TestBusReconnectsAfterNATSRestart(t *testing.T) {
	url, stop := natstest.Start(t)
	port := portOf(t, url)
	a, b := startReplica(t, url, Options{}), startReplica(t, url, Options{})
	ag := connect(t, b, 9)
	onB := recordChanges(b.bus)
	var ups []chan nats.Status
	for _, r := range []*replica{a, b} {
		ch := r.bus.nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING)
		defer r.bus.nc.RemoveStatusListener(ch)
		ups = append(ups, ch)
	}

	stop()
	for _, ch := range ups {
		waitStatus(t, ch, nats.RECONNECTING)
	}
	if a.bus.Connected() {
		t.Fatal("A says it is connected with NATS stopped")
	}
	natstest.StartPort(t, port)
	for _, ch := range ups {
		waitStatus(t, ch, nats.CONNECTED)
	}
	flush(t, a.bus)
	flush(t, b.bus)

	a.bus.PublishChange("schedule", 4)
	if got := nextChange(t, onB); got != (changeSeen{"schedule", 4}) {
		t.Fatalf("after the restart B saw %+v, want schedule 4", got)
	}
	ref, err := a.bus.Command(9, protocol.Command{Name: protocol.CmdUnblank})
	if err != nil {
		t.Fatalf("command after the restart: %v", err)
	}
	if env := ag.next(t); env.ID != ref {
		t.Fatalf("agent got %s %q, want the command %q", env.Type, env.ID, ref)
	}
	if a.bus.nc.Opts.MaxReconnect >= 0 {
		t.Fatalf("the bus gives up after %d tries to reach NATS again; it must try forever", a.bus.nc.Opts.MaxReconnect)
	}
	if got := counter(t, a.bus.m.reconnects); got != 1 {
		t.Fatalf("pano_cluster_reconnects_total on A = %v, want 1", got)
	}
}

func waitStatus(t *testing.T, ch chan nats.Status, want nats.Status) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-ch:
			if s == want {
				return
			}
		case <-deadline:
			t.Fatalf("the bus did not become %v in 10 s", want)
		}
	}
}

func portOf(t *testing.T, url string) int {
	t.Helper()
	i := strings.LastIndexByte(url, ':')
	port, err := strconv.Atoi(url[i+1:])
	if err != nil {
		t.Fatalf("port of %q: %v", url, err)
	}
	return port
}

func counter(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	return testutil.ToFloat64(c)
}

// A replica started while NATS is down starts all the same and joins
// once NATS is there, without a restart.
func TestJoinWaitsForNATSInTheBackground(t *testing.T) {
	url, stop := natstest.Start(t)
	port := portOf(t, url)
	stop() // a port where nothing listens now
	a := startReplica(t, url, Options{})
	if a.bus.Connected() {
		t.Fatal("connected with no NATS server")
	}
	up := a.bus.nc.StatusChanged(nats.CONNECTED)
	defer a.bus.nc.RemoveStatusListener(up)

	natstest.StartPort(t, port)
	b := startReplica(t, url, Options{})
	onB := recordChanges(b.bus)
	waitStatus(t, up, nats.CONNECTED)
	flush(t, a.bus)
	a.bus.PublishChange("notice", 2)
	if got := nextChange(t, onB); got != (changeSeen{"notice", 2}) {
		t.Fatalf("B saw %+v, want notice 2", got)
	}
}
