package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

const (
	writeWait = 10 * time.Second
	// closeWait bounds the close frame: a link being dropped gets this long
	// to take it, on a goroutine of its own, then the socket is closed.
	closeWait = time.Second
	sendQueue = 32
	// maxClocks bounds the time responses waiting on a link: an agent
	// asks 16 times 100 ms apart at most.
	maxClocks = 16
)

type conn struct {
	h         *Hub
	ws        *websocket.Conn
	remote    string
	id        Identity
	sessionID string
	done      chan struct{}
	closeOnce sync.Once

	// qmu guards the messages waiting to be written and whether a
	// goroutine is writing them. A link has no writing goroutine of its
	// own: one is started when a message waits and ends when none does,
	// so 10,000 idle links hold 10,000 goroutines' stacks fewer.
	qmu     sync.Mutex
	out     []outbound
	clocks  int // time responses among out
	writing bool
	pinger  *time.Timer // queues a ping every heartbeat interval

	mu        sync.Mutex
	info      AgentInfo
	hello     bool
	plansSent map[string]int64 // plan message id → revision, until acked
	gone      bool             // removed from the hub: nothing more is counted
	newest    int64            // the newest plan revision queued on this link
	dropping  bool             // frames_dropped rose between the link's last two health reports
}

func newConn(h *Hub, ws *websocket.Conn, remote string) *conn {
	return &conn{
		h:         h,
		ws:        ws,
		remote:    remote,
		sessionID: protocol.NewID()[:12],
		done:      make(chan struct{}),
	}
}

func (c *conn) snapshot() (AgentInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info, c.hello
}

// closeWith stops the connection's pumps, sends a close frame with code and
// reason and closes the socket. It never blocks its caller: the frame waits
// for the write lock (held by a write stalled on a slow agent, perhaps), so
// it goes out on a goroutine of its own, for at most closeWait, and closing
// the socket then ends the stalled write. It runs once; later calls do
// nothing. The caller must be one of the connection's pumps or hold a
// reason to know they still run (the hub's WaitGroup counts the goroutine).
func (c *conn) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		c.qmu.Lock() // no writer starts after this (enqueue)
		close(c.done)
		c.out = nil
		if c.pinger != nil {
			c.pinger.Stop()
		}
		c.qmu.Unlock()
		c.h.wg.Add(1)
		go func() {
			defer c.h.wg.Done()
			msg := websocket.FormatCloseMessage(code, reason)
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
			c.ws.Close()
		}()
	})
}

// queue encodes a message for the link's writer and returns its id. A full
// queue means the agent does not keep up: drop it rather than block the
// caller.
func (c *conn) queue(typ string, body any) string {
	id := protocol.NewID()
	c.queueAs(id, typ, body)
	return id
}

// queueAs is queue under an id the caller chose (to expect the answer
// before the message goes out).
func (c *conn) queueAs(id, typ string, body any) {
	data := c.encode(id, typ, body)
	if data == nil {
		return
	}
	c.enqueue(outbound{data: data})
}

// outbound is a message to write: its bytes, a time response to stamp
// and encode as it goes out, or a ping. A plan's says when it was queued,
// for the push latency.
type outbound struct {
	data   []byte
	clock  *protocol.TimeResponse
	ping   bool
	queued time.Time
	plan   bool
}

// enqueue queues a message and starts a writer if none runs. More than
// sendQueue messages waiting means the agent does not keep up: the link is
// dropped rather than the caller blocked.
func (c *conn) enqueue(m outbound) {
	c.qmu.Lock()
	select {
	case <-c.done:
		c.qmu.Unlock()
		return
	default:
	}
	if len(c.out) >= sendQueue {
		c.qmu.Unlock()
		c.h.m.drops.Inc()
		c.h.log.Warn("agent too slow, dropping connection", "session", c.sessionID, "remote", c.remote)
		c.closeWith(websocket.CloseTryAgainLater, "send queue full")
		return
	}
	c.out = append(c.out, m)
	if m.clock != nil {
		c.clocks++
	}
	if !c.writing {
		c.writing = true
		c.h.wg.Add(1) // the link's reader holds the count above zero: done is open
		go c.write()
	}
	c.qmu.Unlock()
}

// encode makes a message, or logs why it cannot and returns nil.
func (c *conn) encode(id, typ string, body any) []byte {
	env, err := protocol.NewEnvelope(typ, body, c.h.opt.Now())
	if err != nil {
		c.h.log.Error("encode message", "type", typ, "err", err)
		return nil
	}
	env.ID = id
	data, err := json.Marshal(env)
	if err != nil {
		c.h.log.Error("encode envelope", "type", typ, "err", err)
		return nil
	}
	return data
}

// write writes the queued messages in order until none waits, then ends.
func (c *conn) write() {
	defer c.h.wg.Done()
	for {
		c.qmu.Lock()
		if len(c.out) == 0 {
			c.out, c.writing = nil, false // an idle link holds no queue
			c.qmu.Unlock()
			return
		}
		m := c.out[0]
		c.out[0] = outbound{}
		c.out = c.out[1:]
		if m.clock != nil {
			c.clocks--
		}
		c.qmu.Unlock()
		if err := c.writeOne(m); err != nil {
			c.closeWith(websocket.CloseAbnormalClosure, err.Error())
			c.qmu.Lock()
			c.writing = false
			c.qmu.Unlock()
			return
		}
	}
}

func (c *conn) writeOne(m outbound) error {
	switch {
	case m.ping:
		if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
			return errors.New("ping failed")
		}
		return nil
	case m.clock != nil:
		// T3 as late as it can be: time spent queued behind other
		// messages would otherwise count as the way down, and bias the
		// agent's clock by half of it.
		r := *m.clock
		r.T3 = c.h.opt.Now()
		if m.data = c.encode(protocol.NewID(), protocol.TypeTimeResponse, r); m.data == nil {
			return nil
		}
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.ws.WriteMessage(websocket.TextMessage, m.data); err != nil {
		return errors.New("write failed")
	}
	if m.plan {
		c.h.m.pushLatency.Observe(time.Since(m.queued).Seconds())
	}
	return nil
}

// ping queues a ping every heartbeat interval: the agent drops a link
// silent for three of them, so a ping late by a little never drops a
// healthy one (pings every 30 s against a 30 s read deadline dropped 964
// of 10,000 links in the province-scale run).
func (c *conn) ping() {
	select {
	case <-c.done:
		return
	default:
	}
	c.enqueue(outbound{ping: true})
	c.qmu.Lock()
	select {
	case <-c.done: // closed meanwhile: the timer stays stopped
	default:
		c.pinger.Reset(c.pingEvery())
	}
	c.qmu.Unlock()
}

func (c *conn) pingEvery() time.Duration {
	return time.Duration(c.h.opt.HeartbeatSeconds) * time.Second
}

// liveness is how long the controller waits for any message or pong before it
// gives an agent up: three missed heartbeats.
func (c *conn) liveness() time.Duration {
	return 3 * time.Duration(c.h.opt.HeartbeatSeconds) * time.Second
}

func (c *conn) readPump() {
	defer c.h.wg.Done()
	defer c.h.remove(c)
	defer c.closeWith(websocket.CloseNormalClosure, "")
	_ = c.ws.SetReadDeadline(time.Now().Add(c.h.opt.HelloTimeout))
	c.ws.SetPongHandler(func(string) error {
		c.mu.Lock()
		ready := c.hello
		c.mu.Unlock()
		if ready {
			_ = c.ws.SetReadDeadline(time.Now().Add(c.liveness()))
		}
		return nil
	})
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			c.logEnd(err)
			return
		}
		if kind != websocket.TextMessage {
			c.queue(protocol.TypeError, protocol.Error{Code: protocol.ErrCodeBadMessage, Message: "binary messages are not part of the protocol; send JSON text"})
			continue
		}
		env, err := protocol.Decode(data)
		if err != nil {
			c.queue(protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeBadMessage, Message: err.Error()})
			continue
		}
		if err := protocol.CheckVersion(env.V); err != nil {
			c.h.log.Warn("agent refused: unsupported protocol version", "remote", c.remote, "version", env.V)
			c.closeWith(protocol.CloseUnsupportedVersion, err.Error())
			return
		}
		if err := c.handle(env); err != nil {
			var fatal fatalError
			if errors.As(err, &fatal) {
				c.h.log.Warn("agent refused", "remote", c.remote, "err", err)
				c.closeWith(fatal.code, fatal.Error())
				return
			}
			c.queue(protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeBadMessage, Message: err.Error()})
		}
	}
}

// fatalError ends the connection with a close code.
type fatalError struct {
	code int
	msg  string
}

func (e fatalError) Error() string { return e.msg }

func (c *conn) handle(env protocol.Envelope) error {
	c.mu.Lock()
	ready := c.hello
	c.mu.Unlock()
	if !ready && env.Type != protocol.TypeHello {
		return fatalError{protocol.CloseProtocolError, fmt.Sprintf("expected hello first, got %q", env.Type)}
	}
	switch env.Type {
	case protocol.TypeHello:
		if ready {
			return errors.New("hello was already received on this connection")
		}
		var hello protocol.Hello
		if err := protocol.DecodeBody(env, &hello); err != nil {
			return fatalError{protocol.CloseProtocolError, err.Error()}
		}
		return c.onHello(hello)
	case protocol.TypeHeartbeat:
		var hb protocol.Heartbeat
		if err := protocol.DecodeBody(env, &hb); err != nil {
			return err
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(c.liveness()))
		c.mu.Lock()
		c.info.LastHeartbeat = c.h.opt.Now()
		c.mu.Unlock()
		c.h.notify()
		return nil
	case protocol.TypeAck:
		var ack protocol.Ack
		if err := protocol.DecodeBody(env, &ack); err != nil {
			return err
		}
		c.onAck(ack)
		return nil
	case protocol.TypeTimeRequest:
		t2 := c.h.opt.Now()
		var req protocol.TimeRequest
		if err := protocol.DecodeBody(env, &req); err != nil {
			return err
		}
		c.qmu.Lock()
		flood := c.clocks >= maxClocks
		c.qmu.Unlock()
		if !flood { // else the agent asks again at its next sync
			c.enqueue(outbound{clock: &protocol.TimeResponse{T1: req.T1, T2: t2}})
		}
		return nil
	case protocol.TypeHealth, protocol.TypeScreenshot, protocol.TypePlayRecords, protocol.TypeCommandResult:
		return c.onReport(env)
	case protocol.TypeError:
		var e protocol.Error
		if err := protocol.DecodeBody(env, &e); err != nil {
			return err
		}
		c.h.log.Warn("agent reported an error", "agent", c.info.Name, "ref", e.Ref, "code", e.Code, "message", e.Message)
		return nil
	default:
		// A newer agent may send types we do not know; say so, keep the link.
		c.queue(protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeUnknownType, Message: fmt.Sprintf("message type %q is not known to this controller", env.Type)})
		return nil
	}
}

func (c *conn) onHello(hello protocol.Hello) error {
	if c.id.Name != "" {
		hello.Name = c.id.Name // an enrolled agent is known by its display's name
	}
	now := c.h.opt.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.h.store.SeeAgent(ctx, store.Agent{
		Name: hello.Name, DisplayID: c.id.DisplayID, AgentVersion: hello.AgentVersion, Profile: hello.Profile,
		PanelWidth: hello.Panel.Width, PanelHeight: hello.Panel.Height, RemoteAddr: c.remote,
	}, now)
	if err != nil {
		c.h.log.Error("record agent", "agent", hello.Name, "err", err)
		return fatalError{websocket.CloseInternalServerErr, "controller could not record the agent; it will retry"}
	}
	c.mu.Lock()
	c.hello = true
	c.info = AgentInfo{
		DisplayID: c.id.DisplayID, PlanRevision: hello.PlanRevision,
		Name: hello.Name, SessionID: c.sessionID, AgentVersion: hello.AgentVersion, Profile: hello.Profile,
		Panel: hello.Panel, RemoteAddr: c.remote, ConnectedAt: now, LastHeartbeat: now,
	}
	c.mu.Unlock()
	_ = c.ws.SetReadDeadline(time.Now().Add(c.liveness()))
	// Before the welcome: an agent that has it can be reached by other
	// replicas (the cluster bus listens for it once OnLink returns).
	c.h.linked(c.id.DisplayID)
	c.queue(protocol.TypeWelcome, protocol.Welcome{
		ControllerVersion: c.h.opt.Version,
		HeartbeatSeconds:  c.h.opt.HeartbeatSeconds,
		SessionID:         c.sessionID,
		Controllers:       c.h.opt.Controllers,
	})
	if ps := c.h.opt.Plans; ps != nil && c.id.DisplayID != 0 {
		p, err := ps.Plan(ctx, c.id.DisplayID)
		if err != nil {
			c.h.log.Error("plan for agent", "agent", hello.Name, "display", c.id.DisplayID, "err", err)
		}
		c.sendPlan(p, hello.PlanRevision)
	}
	c.h.log.Info("agent online", "agent", hello.Name, "display", c.id.DisplayID, "session", c.sessionID, "remote", c.remote,
		"profile", hello.Profile, "panel", fmt.Sprintf("%dx%d", hello.Panel.Width, hello.Panel.Height))
	c.h.notify()
	return nil
}

func (c *conn) logEnd(err error) {
	info, ok := c.snapshot()
	if !ok {
		return
	}
	c.h.log.Info("agent offline", "agent", info.Name, "session", c.sessionID, "reason", err)
}

// sendPlan sends the display's plan unless the agent already runs that
// revision. An older revision is sent too: a controller restored from a
// backup counts from where the backup was, and its plan is the one to play.
func (c *conn) sendPlan(p Plan, have int64) {
	if len(p.JSON) == 0 || p.Revision == have || c.id.DisplayID == 0 {
		return
	}
	id := protocol.NewID()
	data, err := planEnvelope(id, c.h.opt.Now(), p.JSON)
	if err != nil {
		c.h.log.Error("encode plan message", "display", c.id.DisplayID, "err", err)
		return
	}
	c.mu.Lock()
	// A hello served the stored plan while a refresh pushed a newer one
	// (or the same one): whichever comes second must neither take the
	// agent back nor send it again. (Revisions of one controller only
	// grow; an older one after a restored backup comes on a new link.)
	if c.gone || p.Revision <= c.newest {
		c.mu.Unlock()
		return
	}
	c.newest = p.Revision
	if c.plansSent == nil {
		c.plansSent = map[string]int64{}
	}
	c.plansSent[id] = p.Revision // before sending: the ack may come at once
	c.h.m.acksOutstanding.Inc()
	c.h.m.pushes.Inc()
	// Queued under the lock that chose it, so that two plans are queued in
	// the order of their revisions (enqueue never blocks).
	c.enqueue(outbound{data: data, queued: time.Now(), plan: true})
	c.mu.Unlock()
}

// planEnvelope is a plan message around a plan's JSON: the envelope's
// header is made for this message (its id and time), the plan's bytes are
// copied in as they are, not encoded again for each agent.
func planEnvelope(id string, now time.Time, plan []byte) ([]byte, error) {
	head, err := json.Marshal(protocol.Envelope{V: protocol.Version, Type: protocol.TypePlan, ID: id, TS: now.UTC().Truncate(time.Millisecond)})
	if err != nil {
		return nil, err
	}
	// head is {"v":…,"ts":…} without a body (omitempty): open it again.
	const body, end = `,"body":{"plan":`, `}}`
	out := make([]byte, 0, len(head)+len(body)+len(plan)+len(end))
	out = append(out, head[:len(head)-1]...)
	out = append(out, body...)
	out = append(out, plan...)
	return append(out, end...), nil
}

func (c *conn) onAck(ack protocol.Ack) {
	c.mu.Lock()
	rev, ok := c.plansSent[ack.Ref]
	delete(c.plansSent, ack.Ref)
	if ok {
		c.h.m.acksOutstanding.Dec()
	}
	if ok && rev > c.info.PlanRevision {
		c.info.PlanRevision = rev
	}
	c.mu.Unlock()
	if ok {
		if ps := c.h.opt.Plans; ps != nil {
			ps.PlanAcked(context.Background(), c.id.DisplayID, rev)
		}
		c.h.notify()
	}
}

// onReport passes an agent's report to the report sink; play records are
// acknowledged once stored, so the agent can forget them.
func (c *conn) onReport(env protocol.Envelope) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt := c.h.opt.Reports
	switch env.Type {
	case protocol.TypeHealth:
		var h protocol.Health
		if err := protocol.DecodeBody(env, &h); err != nil {
			return err
		}
		c.mu.Lock()
		c.countDropped(c.info.Health, &h)
		c.info.Health = &h
		c.mu.Unlock()
		c.h.notify()
		if rt != nil {
			return rt.Health(ctx, c.id.DisplayID, h)
		}
	case protocol.TypeScreenshot:
		var s protocol.Screenshot
		if err := protocol.DecodeBody(env, &s); err != nil {
			return err
		}
		if rt != nil {
			if err := rt.Screenshot(ctx, c.id.DisplayID, s); err != nil {
				return err
			}
		}
		c.mu.Lock()
		c.info.ScreenshotAt = c.h.opt.Now()
		c.mu.Unlock()
		c.h.notify()
	case protocol.TypePlayRecords:
		var b protocol.PlayRecords
		if err := protocol.DecodeBody(env, &b); err != nil {
			return err
		}
		// The sink refuses (and counts) records this display's plans
		// could not have played; refused or stored, the batch is acked so
		// the agent forgets it.
		if rt != nil {
			if err := rt.PlayRecords(ctx, c.id.DisplayID, b); err != nil {
				c.h.log.Error("store play records", "display", c.id.DisplayID, "err", err)
				return errors.New("the controller could not store the records; they will be resent")
			}
		}
		c.queue(protocol.TypeAck, protocol.Ack{Ref: env.ID})
	case protocol.TypeCommandResult:
		var r protocol.CommandResult
		if err := protocol.DecodeBody(env, &r); err != nil {
			return err
		}
		if rt != nil {
			rt.CommandResult(ctx, c.id.DisplayID, r)
		}
	}
	return nil
}

// countDropped counts the frames dropped between two health reports on the
// link (prev is nil at the first, whose count covers time before the link).
// The agent's count is its player's plus its driver's, and the driver's
// starts again when the panel's driver reopens: a count lower than the
// last counts nothing (adding it all would count the player's whole past
// again; the driver's few since it reopened go uncounted). Called with
// c.mu held.
func (c *conn) countDropped(prev, h *protocol.Health) {
	if prev == nil {
		return
	}
	n := max(0, h.FramesDropped-prev.FramesDropped)
	c.dropping = n > 0
	c.h.health.framesDropped.Add(float64(n))
}
