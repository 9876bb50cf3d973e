package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
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

// fleet is what the simulated agents share: where the controller is, what
// they send, and the counters the bench reads.
type fleet struct {
	urls  []string // ws://host:port/agent/v1/ws of each controller replica
	panel protocol.Panel
	png   []byte        // the screenshot every agent sends
	gate  chan struct{} // bounds dials in flight (the listen backlog is 4,096)
	start time.Time

	// playEvery > 0: each agent holding an urgent notice makes a
	// proof-of-play record of it this often, until playStop.
	playEvery time.Duration
	playStop  atomic.Bool

	drops  atomic.Int64 // links that ended without being cut on purpose
	errMu  sync.Mutex
	errors map[string]int // why links dropped or dials failed, counted
}

func newFleet(urls []string, panel protocol.Panel, png []byte, dials int) *fleet {
	return &fleet{urls: urls, panel: panel, png: png, gate: make(chan struct{}, dials), start: time.Now(), errors: map[string]int{}}
}

func (f *fleet) noteError(err error) {
	f.errMu.Lock()
	f.errors[err.Error()]++
	f.errMu.Unlock()
}

// agent is one simulated pano-agent: enrolled with a code, holding a device
// credential, speaking protocol v1 over its own websocket from its own
// loopback source address.
type agent struct {
	f          *fleet
	name       string
	display    int64
	credential string
	local      net.IP

	mu        sync.Mutex // guards the fields below and writes to ws
	ws        *websocket.Conn
	cut       bool      // the bench closed the link on purpose (reconnect storm)
	welcomeAt time.Time // the last welcome
	rev       int64     // the plan held
	planAt    time.Time // when the newest plan arrived
	entries   map[int64]bool
	// The first plan carrying an urgent entry the previous plan did not
	// have, after watchFrom: when it arrived, when its ack went out, its
	// size on the wire.
	watchFrom           time.Time
	noticeAt, noticeAck time.Time
	noticeBytes         int
	refused             error // why the controller will not take the credential
	sessions, planCount int   // welcomes and plans received
	plan                *protocol.Plan

	// Replicas: cur is the index in f.urls to dial next, on that of the
	// live link (-1: none). After a link that was up ends (dropAt, from
	// dropFrom), movedAt is the first welcome from another replica and
	// settledAt the moment the agent held the plan that replica serves:
	// the welcome (the hello said the revision held) or the ack of the
	// plan that followed it.
	cur, on                    int
	dropFrom                   int
	dropAt, movedAt, settledAt time.Time

	// Proof of play: records made, and the batches sent and not yet acked
	// by message id (resent on the next link, as the agent's journal is).
	playSeq int
	played  []string
	pending map[string][]protocol.PlayRecord
}

// run keeps the agent's link up until ctx ends, as agent/internal/link does.
func (a *agent) run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		connected, err := a.session(ctx)
		if ctx.Err() != nil {
			return
		}
		var refused errRefused
		if errors.As(err, &refused) {
			a.mu.Lock()
			a.refused = err
			a.mu.Unlock()
			a.f.noteError(err)
			return
		}
		if connected {
			attempt = 0
			a.mu.Lock()
			cut := a.cut
			a.cut = false
			a.dropAt, a.dropFrom = time.Now(), a.on
			a.on = -1
			a.cur = a.move(a.cur)
			a.mu.Unlock()
			if !cut {
				a.f.drops.Add(1)
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
func (a *agent) move(cur int) int {
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
func (a *agent) session(ctx context.Context) (bool, error) {
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
	a.ws, a.welcomeAt, a.sessions = ws, time.Now(), a.sessions+1
	a.on = a.cur
	if !a.dropAt.IsZero() && a.on != a.dropFrom && !a.movedAt.After(a.dropAt) {
		a.movedAt, a.settledAt = a.welcomeAt, a.welcomeAt
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
func (a *agent) dial(ctx context.Context) (*websocket.Conn, protocol.Welcome, error) {
	var w protocol.Welcome
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: a.local}, Timeout: 10 * time.Second}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: nd.DialContext}
	header := http.Header{"Authorization": {"Bearer " + a.credential}}
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
	rev := a.rev
	a.mu.Unlock()
	if err := send(ws, protocol.NewID(), protocol.TypeHello, protocol.Hello{
		Name: a.name, AgentVersion: "loadgen", Profile: "virtual", Panel: a.f.panel, PlanRevision: rev,
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
func (a *agent) send(ws *websocket.Conn, typ string, body any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != ws {
		return errors.New("link closed")
	}
	return send(ws, protocol.NewID(), typ, body)
}

// handle answers one message from the controller as the agent does.
func (a *agent) handle(ws *websocket.Conn, data []byte) error {
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
func (a *agent) onPlan(ws *websocket.Conn, env protocol.Envelope, at time.Time, size int) error {
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
	if fresh && !a.watchFrom.IsZero() && a.noticeAt.IsZero() && !at.Before(a.watchFrom) {
		a.noticeAt, a.noticeAck, a.noticeBytes = at, acked, size
	}
	a.entries, a.rev, a.planAt, a.plan = entries, m.Plan.Revision, at, &m.Plan
	a.planCount++
	if a.movedAt.After(a.dropAt) && !a.welcomeAt.Before(a.movedAt) {
		a.settledAt = acked
	}
	return nil
}

// reports sends heartbeats, health, screenshots and clock exchanges for one
// session, as agent/internal/link and agent/internal/daemon do.
func (a *agent) reports(ctx context.Context, ws *websocket.Conn, interval time.Duration) {
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
	if a.f.playEvery > 0 {
		t := time.NewTicker(a.f.playEvery)
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
func (a *agent) syncClock(ctx context.Context, ws *websocket.Conn, n int) {
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
func (a *agent) health(started time.Time) protocol.Health {
	a.mu.Lock()
	rev := a.rev
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
func (a *agent) cutLink() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ws != nil {
		a.cut = true
		a.ws.UnderlyingConn().Close()
	}
}

// play makes a proof-of-play record of the urgent notice the agent's plan
// holds, for the second before now, and sends it.
func (a *agent) play(ws *websocket.Conn) {
	if a.f.playStop.Load() {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.plan == nil || a.ws != ws {
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
		start = latestOf(start, *e.NotBefore, a.plan.Generated, a.planAt)
		if !start.Before(now) {
			return
		}
		a.playSeq++
		r := protocol.PlayRecord{ID: fmt.Sprintf("%s-%d", a.name, a.playSeq), Display: a.display, PlanRevision: a.plan.Revision,
			Entry: e.ID, Item: it.ID, Media: it.Media, Campaign: it.Campaign, Start: start.UTC(), End: now.UTC()}
		a.played = append(a.played, r.ID)
		a.sendRecords(ws, []protocol.PlayRecord{r})
		return
	}
}

// resend sends the batches a link that ended left unacked again, as the
// agent's journal does on the next link.
func (a *agent) resend(ws *websocket.Conn) {
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
}

// sendRecords sends a batch and keeps it until acked. Called with a.mu held.
func (a *agent) sendRecords(ws *websocket.Conn, recs []protocol.PlayRecord) {
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
