// Package simagent holds simulated pano agents: each speaks protocol v1 as
// pano-agent does (agent/internal/link, agent/internal/daemon) over its own
// websocket, from its own loopback source address, without playing
// anything. The load generator holds thousands of them on controllers
// (make bench); the end-to-end tests a few dozen on replicas.
package simagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// The agent's periodic work (agent/internal/daemon and agent/internal/clock,
// which a controller package may not import): health every 10 s, a
// screenshot a minute, a burst of clock exchanges at connect and every
// minute, reconnecting with the link's backoff.
const (
	healthInterval     = 10 * time.Second
	screenshotInterval = 60 * time.Second
	timeSyncInterval   = 60 * time.Second
	firstBurst         = 16
	burst              = 8
	burstSpacing       = 100 * time.Millisecond
	minBackoff         = 500 * time.Millisecond
	maxBackoff         = 30 * time.Second
)

// Fleet is what the simulated agents share: where the controller is, what
// they send, and the counters their caller reads.
type Fleet struct {
	urls  []string // ws://host:port/agent/v1/ws of each controller replica
	panel protocol.Panel
	png   []byte        // the screenshot every agent sends
	gate  chan struct{} // bounds dials in flight (the listen backlog is 4,096)
	start time.Time

	// PlayEvery > 0: each agent holding an urgent notice makes a
	// proof-of-play record of it this often, until PlayStop.
	PlayEvery time.Duration
	PlayStop  atomic.Bool

	Drops  atomic.Int64 // links that ended without being cut on purpose
	errMu  sync.Mutex
	errors map[string]int // why links dropped or dials failed, counted
}

func NewFleet(urls []string, panel protocol.Panel, png []byte, dials int) *Fleet {
	return &Fleet{urls: urls, panel: panel, png: png, gate: make(chan struct{}, dials), start: time.Now(), errors: map[string]int{}}
}

func (f *Fleet) noteError(err error) {
	f.errMu.Lock()
	f.errors[err.Error()]++
	f.errMu.Unlock()
}

// agent is one simulated pano-agent: enrolled with a code, holding a device
// credential, speaking protocol v1 over its own websocket from its own
// loopback source address.
type Agent struct {
	Name       string
	Display    int64
	Credential string
	Local      net.IP // the loopback address it dials from

	f         *Fleet
	mu        sync.Mutex // guards the fields below and writes to ws
	ws        *websocket.Conn
	cut       bool // CutLink closed the link on purpose (reconnect storm)
	st        State
	entries   map[int64]bool
	watchFrom time.Time
	plan      *protocol.Plan
	cur       int // the index in f.urls to dial next

	// Proof of play: records made, and the batches sent and not yet acked
	// by message id (resent on the next link, as the agent's journal is).
	playSeq        int
	played         []string
	pending        map[string][]protocol.PlayRecord
	refusedBatches [][]protocol.PlayRecord // answered with an error: sent again at the next round
}

// State is what an agent has seen, as Snapshot copies it.
type State struct {
	WelcomeAt time.Time // the last welcome
	Rev       int64     // the plan held
	PlanAt    time.Time // when the newest plan arrived
	// The first plan carrying an urgent entry the previous plan did not
	// have, after Watch: when it arrived, when its ack went out, its size
	// on the wire.
	NoticeAt, NoticeAck time.Time
	NoticeBytes         int
	Refused             error // why the controller will not take the credential
	Sessions, PlanCount int   // welcomes and plans received

	// Replicas: On is the index in the fleet's addresses of the live link
	// (-1: none). After a link that was up ends (DropAt, from DropFrom),
	// MovedAt is the first welcome from another replica and SettledAt the
	// moment the agent held the plan that replica serves: the welcome (the
	// hello said the revision held) or the ack of the plan that followed.
	On, DropFrom               int
	DropAt, MovedAt, SettledAt time.Time

	Pending int // proof-of-play records sent and not acked
}

// Snapshot copies the agent's state.
func (a *Agent) Snapshot() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.st
	for _, recs := range a.pending {
		s.Pending += len(recs)
	}
	for _, recs := range a.refusedBatches {
		s.Pending += len(recs)
	}
	return s
}

// Watch makes the first plan with a new urgent entry after from the
// notice (State.NoticeAt), forgetting the one seen before.
func (a *Agent) Watch(from time.Time) {
	a.mu.Lock()
	a.watchFrom = from
	a.st.NoticeAt, a.st.NoticeAck, a.st.NoticeBytes = time.Time{}, time.Time{}, 0
	a.mu.Unlock()
}

// Played lists the ids of the proof-of-play records the agent made.
func (a *Agent) Played() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.played)
}

// Run keeps the agent's link up until ctx ends, as agent/internal/link
// does, dialling first the fleet's controller number first.
func (a *Agent) Run(ctx context.Context, f *Fleet, first int) {
	a.mu.Lock()
	a.f, a.cur, a.st.On = f, first%len(f.urls), -1
	a.mu.Unlock()
	a.run(ctx)
}

// run keeps the agent's link up until ctx ends, as agent/internal/link does.
func (a *Agent) run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		connected, err := a.session(ctx)
		if ctx.Err() != nil {
			return
		}
		var refused errRefused
		if errors.As(err, &refused) {
			a.mu.Lock()
			a.st.Refused = err
			a.mu.Unlock()
			a.f.noteError(err)
			return
		}
		if connected {
			attempt = 0
			a.mu.Lock()
			cut := a.cut
			a.cut = false
			a.st.DropAt, a.st.DropFrom = time.Now(), a.st.On
			a.st.On = -1
			a.cur = a.move(a.cur)
			a.mu.Unlock()
			if !cut {
				a.f.Drops.Add(1)
				a.f.noteError(err)
			}
		} else {
			if err != nil {
				a.f.noteError(err)
			}
			// A failed dial: the next in turn, so that every one is tried.
			a.mu.Lock()
			a.cur = (a.cur + 1) % len(a.f.urls)
			a.mu.Unlock()
		}
		attempt++
		t := time.NewTimer(backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// move picks the controller to dial after a link that was up dropped, as
// agent/internal/link does: any other, at random, so that the agents of a
// replica that died spread over the others.
func (a *Agent) move(cur int) int {
	n := len(a.f.urls)
	if n == 1 {
		return cur
	}
	j := rand.IntN(n - 1)
	if j >= cur {
		j++
	}
	return j
}

// backoff is link.Backoff: exponential from minBackoff, capped, half of it
// random.
func backoff(attempt int) time.Duration {
	d := minBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d/2 + time.Duration(rand.Float64()*float64(d/2))
}

type errRefused struct{ status string }

func (e errRefused) Error() string { return "controller refused the credential: " + e.status }

// session runs one connection; it reports whether hello was answered.
func (a *Agent) session(ctx context.Context) (bool, error) {
	select {
	case a.f.gate <- struct{}{}:
	case <-ctx.Done():
		return false, nil
	}
	ws, welcome, err := a.dial(ctx)
	<-a.f.gate
	if err != nil {
		return false, err
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()

	a.mu.Lock()
	a.ws, a.st.WelcomeAt, a.st.Sessions = ws, time.Now(), a.st.Sessions+1
	a.st.On = a.cur
	if !a.st.DropAt.IsZero() && a.st.On != a.st.DropFrom && !a.st.MovedAt.After(a.st.DropAt) {
		a.st.MovedAt, a.st.SettledAt = a.st.WelcomeAt, a.st.WelcomeAt
	}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.ws = nil
		a.mu.Unlock()
	}()

	interval := time.Duration(welcome.HeartbeatSeconds) * time.Second
	liveness := 3 * interval
	_ = ws.SetReadDeadline(time.Now().Add(liveness))
	ws.SetPingHandler(func(data string) error {
		_ = ws.SetReadDeadline(time.Now().Add(liveness))
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.reports(sctx, ws, interval)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return true, describeClose(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(liveness))
		if err := a.handle(ws, data); err != nil {
			return true, err
		}
	}
}

// dial opens the websocket from the agent's source address, says hello and
// waits for the welcome.
func (a *Agent) dial(ctx context.Context) (*websocket.Conn, protocol.Welcome, error) {
	var w protocol.Welcome
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: a.Local}, Timeout: 10 * time.Second}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: nd.DialContext}
	header := http.Header{"Authorization": {"Bearer " + a.Credential}}
	a.mu.Lock()
	url := a.f.urls[a.cur]
	a.mu.Unlock()
	ws, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return nil, w, errRefused{resp.Status}
		}
		if resp != nil {
			return nil, w, fmt.Errorf("websocket answered %s", resp.Status)
		}
		return nil, w, fmt.Errorf("dial: %w", trimAddr(err))
	}
	ws.SetReadLimit(protocol.MaxMessageBytes)
	a.mu.Lock()
	rev := a.st.Rev
	a.mu.Unlock()
	if err := send(ws, protocol.NewID(), protocol.TypeHello, protocol.Hello{
		Name: a.Name, AgentVersion: "loadgen", Profile: "virtual", Panel: a.f.panel, PlanRevision: rev,
	}); err != nil {
		ws.Close()
		return nil, w, err
	}
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, data, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, w, fmt.Errorf("waiting for welcome: %w", describeClose(err))
	}
	env, err := protocol.Decode(data)
	if err == nil && env.Type != protocol.TypeWelcome {
		err = fmt.Errorf("expected welcome, got %q", env.Type)
	}
	if err == nil {
		err = protocol.DecodeBody(env, &w)
	}
	if err != nil {
		ws.Close()
		return nil, w, err
	}
	return ws, w, nil
}

// trimAddr drops the addresses from a dial error, so that errors count
// together by kind.
func trimAddr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func describeClose(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Errorf("controller closed the link (%d %s)", ce.Code, ce.Text)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("read timeout: nothing from the controller for 3 heartbeat intervals")
	}
	return trimAddr(err)
}

func send(ws *websocket.Conn, id, typ string, body any) error {
	env, err := protocol.NewEnvelope(typ, body, time.Now())
	if err != nil {
		return err
	}
	env.ID = id
	data, err := json.Marshal(env)
	if err != nil {
		return err
	}
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return ws.WriteMessage(websocket.TextMessage, data)
}

// send writes one message on the live link, if any.
func (a *Agent) send(ws *websocket.Conn, typ string, body any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != ws {
		return errors.New("link closed")
	}
	return send(ws, protocol.NewID(), typ, body)
}

// handle answers one message from the controller as the agent does.
func (a *Agent) handle(ws *websocket.Conn, data []byte) error {
	at := time.Now()
	env, err := protocol.Decode(data)
	if err != nil {
		return a.send(ws, protocol.TypeError, protocol.Error{Code: protocol.ErrCodeBadMessage, Message: err.Error()})
	}
	switch env.Type {
	case protocol.TypePlan:
		return a.onPlan(ws, env, at, len(data))
	case protocol.TypeTimeResponse:
		// The agent feeds its clock filter; here only the decoding costs.
		var r protocol.TimeResponse
		if err := protocol.DecodeBody(env, &r); err != nil {
			return a.send(ws, protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeBadMessage, Message: err.Error()})
		}
		return nil
	case protocol.TypeAck:
		var ack protocol.Ack
		if protocol.DecodeBody(env, &ack) == nil {
			a.mu.Lock()
			delete(a.pending, ack.Ref)
			a.mu.Unlock()
		}
		return nil
	case protocol.TypeError:
		// A batch of records the controller could not store is sent
		// again at the next round, as the agent's next upload does.
		var e protocol.Error
		if protocol.DecodeBody(env, &e) == nil {
			a.mu.Lock()
			if recs, ok := a.pending[e.Ref]; ok {
				delete(a.pending, e.Ref)
				a.refusedBatches = append(a.refusedBatches, recs)
			}
			a.mu.Unlock()
		}
		return nil
	case protocol.TypeCommand:
		var c protocol.Command
		if err := protocol.DecodeBody(env, &c); err != nil {
			return a.send(ws, protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeBadMessage, Message: err.Error()})
		}
		return a.send(ws, protocol.TypeCommandResult, protocol.CommandResult{Ref: env.ID, OK: true})
	}
	return a.send(ws, protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeUnknownType,
		Message: fmt.Sprintf("message type %q is not known to this agent", env.Type)})
}

// onPlan decodes, validates and compiles the plan as the agent does before
// it acks; it notes the first plan that brings a new urgent entry.
func (a *Agent) onPlan(ws *websocket.Conn, env protocol.Envelope, at time.Time, size int) error {
	var m protocol.PlanMessage
	if err := protocol.DecodeBody(env, &m); err != nil {
		return a.send(ws, protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeBadMessage, Message: err.Error()})
	}
	if _, err := protocol.Compile(&m.Plan); err != nil {
		return a.send(ws, protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeBadMessage, Message: err.Error()})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != ws {
		return errors.New("link closed")
	}
	if err := send(ws, protocol.NewID(), protocol.TypeAck, protocol.Ack{Ref: env.ID}); err != nil {
		return err
	}
	acked := time.Now()
	fresh := false
	entries := make(map[int64]bool, len(m.Plan.Entries))
	for _, e := range m.Plan.Entries {
		entries[e.ID] = true
		if e.NotBefore != nil && !a.entries[e.ID] {
			fresh = true
		}
	}
	if fresh && !a.watchFrom.IsZero() && a.st.NoticeAt.IsZero() && !at.Before(a.watchFrom) {
		a.st.NoticeAt, a.st.NoticeAck, a.st.NoticeBytes = at, acked, size
	}
	a.entries, a.st.Rev, a.st.PlanAt, a.plan = entries, m.Plan.Revision, at, &m.Plan
	a.st.PlanCount++
	if a.st.MovedAt.After(a.st.DropAt) && !a.st.WelcomeAt.Before(a.st.MovedAt) {
		a.st.SettledAt = acked
	}
	return nil
}

// reports sends heartbeats, health, screenshots and clock exchanges for one
// session, as agent/internal/link and agent/internal/daemon do.
func (a *Agent) reports(ctx context.Context, ws *websocket.Conn, interval time.Duration) {
	started := time.Now()
	a.send(ws, protocol.TypeHealth, a.health(started))
	a.send(ws, protocol.TypeScreenshot, protocol.Screenshot{At: time.Now().UTC(), PNG: a.f.png})
	heartbeat := time.NewTicker(interval)
	health := time.NewTicker(healthInterval)
	shot := time.NewTicker(screenshotInterval)
	sync := time.NewTicker(timeSyncInterval)
	defer heartbeat.Stop()
	defer health.Stop()
	defer shot.Stop()
	defer sync.Stop()
	go a.syncClock(ctx, ws, firstBurst)
	a.resend(ws)
	var play <-chan time.Time
	if a.f.PlayEvery > 0 {
		t := time.NewTicker(a.f.PlayEvery)
		defer t.Stop()
		play = t.C
	}
	var seq int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-heartbeat.C:
			seq++
			a.send(ws, protocol.TypeHeartbeat, protocol.Heartbeat{Seq: seq, UptimeMS: time.Since(a.f.start).Milliseconds()})
		case <-health.C:
			a.send(ws, protocol.TypeHealth, a.health(started))
		case <-shot.C:
			a.send(ws, protocol.TypeScreenshot, protocol.Screenshot{At: time.Now().UTC(), PNG: a.f.png})
		case <-sync.C:
			go a.syncClock(ctx, ws, burst)
		case <-play:
			a.play(ws)
		}
	}
}

// syncClock makes a burst of n clock exchanges, burstSpacing apart.
func (a *Agent) syncClock(ctx context.Context, ws *websocket.Conn, n int) {
	t := time.NewTicker(burstSpacing)
	defer t.Stop()
	for i := 0; i < n; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		if a.send(ws, protocol.TypeTimeRequest, protocol.TimeRequest{T1: time.Now()}) != nil {
			return
		}
	}
}

// health is a report of the size and shape the agent sends when all is
// well.
func (a *Agent) health(started time.Time) protocol.Health {
	a.mu.Lock()
	rev := a.st.Rev
	a.mu.Unlock()
	bright := 80
	return protocol.Health{
		UptimeMS: time.Since(started).Milliseconds(), AgentVersion: "loadgen", PlanRevision: rev,
		TargetFPS: 25, AchievedFPS: 25, DriverState: "ok", ClockOffsetMS: 0.3, ClockRTTMS: 0.4,
		CacheBytes: 1 << 20, DiskFreeBytes: 8 << 30, MemoryBytes: 24 << 20, Brightness: &bright,
		BrightnessSource: protocol.LevelProfile, At: time.Now().UTC(),
	}
}

// cutLink closes the agent's socket at once, without a close frame, as a
// dead network would; the agent reconnects after its backoff.
func (a *Agent) CutLink() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != nil {
		a.cut = true
		a.ws.UnderlyingConn().Close()
	}
}

// play makes a proof-of-play record of the urgent notice the agent's plan
// holds, for the second before now, and sends it.
func (a *Agent) play(ws *websocket.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != ws {
		return
	}
	again := a.refusedBatches
	a.refusedBatches = nil
	for _, recs := range again {
		a.sendRecords(ws, recs)
	}
	if a.plan == nil || a.f.PlayStop.Load() {
		return
	}
	now := time.Now()
	for _, e := range a.plan.Entries {
		if e.NotBefore == nil {
			continue
		}
		i := slices.IndexFunc(a.plan.Playlists, func(p protocol.Playlist) bool { return p.ID == e.Playlist })
		if i < 0 || len(a.plan.Playlists[i].Items) == 0 {
			continue
		}
		it := a.plan.Playlists[i].Items[0]
		start := now.Add(-time.Second)
		start = latestOf(start, *e.NotBefore, a.plan.Generated, a.st.PlanAt)
		if !start.Before(now) {
			return
		}
		a.playSeq++
		r := protocol.PlayRecord{ID: fmt.Sprintf("%s-%d", a.Name, a.playSeq), Display: a.Display, PlanRevision: a.plan.Revision,
			Entry: e.ID, Item: it.ID, Media: it.Media, Campaign: it.Campaign, Start: start.UTC(), End: now.UTC()}
		a.played = append(a.played, r.ID)
		a.sendRecords(ws, []protocol.PlayRecord{r})
		return
	}
}

// resend sends the batches a link that ended left unacked again, as the
// agent's journal does on the next link.
func (a *Agent) resend(ws *websocket.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != ws {
		return
	}
	old := a.pending
	a.pending = nil
	for _, recs := range old {
		a.sendRecords(ws, recs)
	}
	again := a.refusedBatches
	a.refusedBatches = nil
	for _, recs := range again {
		a.sendRecords(ws, recs)
	}
}

// sendRecords sends a batch and keeps it until acked. Called with a.mu held.
func (a *Agent) sendRecords(ws *websocket.Conn, recs []protocol.PlayRecord) {
	if a.pending == nil {
		a.pending = map[string][]protocol.PlayRecord{}
	}
	id := protocol.NewID()
	a.pending[id] = recs
	_ = send(ws, id, protocol.TypePlayRecords, protocol.PlayRecords{Records: recs})
}

func latestOf(ts ...time.Time) time.Time {
	var t time.Time
	for _, x := range ts {
		if x.After(t) {
			t = x
		}
	}
	return t
}

// ErrorSummary is the five commonest reasons links ended or dials failed.
func (f *Fleet) ErrorSummary() string {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	keys := slices.Collect(maps.Keys(f.errors))
	slices.SortFunc(keys, func(x, y string) int { return f.errors[y] - f.errors[x] })
	var out []string
	for _, k := range keys[:min(5, len(keys))] {
		out = append(out, fmt.Sprintf("%d× %s", f.errors[k], k))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}
