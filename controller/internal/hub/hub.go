// Package hub keeps one websocket connection per display: it accepts agents,
// answers their messages, and knows who is online.
//
// Each connection has a read pump, a writer started only while messages
// wait, read and write deadlines, a ping timer, a bounded outbound queue and
// a close that runs once. The hub never blocks on a slow agent: when its
// queue is full it is dropped (the close runs on a goroutine of its own) and
// will reconnect.
//
// A display has at most one live connection: the newest wins and the older
// is closed with protocol.CloseReplaced. Revoke closes the display's links,
// and a credential checked before a revocation cannot open one after it.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Store is what the hub records about agents.
type Store interface {
	SeeAgent(ctx context.Context, a store.Agent, at time.Time) error
	// AgentLeft records when an agent's link closed: the display's "offline
	// since".
	AgentLeft(ctx context.Context, name string, at time.Time) error
}

// Identity is an authenticated agent: the display it was enrolled as.
type Identity struct {
	DisplayID int64
	Name      string
}

// ErrRefused is what an Authenticator returns for a missing, unknown or
// revoked credential.
var ErrRefused = errors.New("hub: agent refused")

// Authenticator checks the credential of an agent's websocket request.
type Authenticator func(r *http.Request) (Identity, error)

// Plans is where the hub gets each display's plan from (the plan
// service). Calls run on the agent's read pump.
type Plans interface {
	// Plan is the display's current plan, the zero Plan when it has none.
	// It is called at every hello: serve the stored plan, don't compile.
	Plan(ctx context.Context, displayID int64) (Plan, error)
	// PlanAcked records that the display runs a plan revision.
	PlanAcked(ctx context.Context, displayID int64, revision int64)
}

// Reports is where the agents' reports go (the report sink). Calls run on
// the agent's read pump.
type Reports interface {
	Health(ctx context.Context, displayID int64, h protocol.Health) error
	Screenshot(ctx context.Context, displayID int64, s protocol.Screenshot) error
	// PlayRecords stores a batch; duplicates (by record ID) are ignored.
	PlayRecords(ctx context.Context, displayID int64, b protocol.PlayRecords) error
	CommandResult(ctx context.Context, displayID int64, r protocol.CommandResult)
	// AgentLeft says the display's current link closed (not a link
	// replaced by a newer one).
	AgentLeft(ctx context.Context, displayID int64)
}

// Plan is a display's plan ready to send: its revision and its JSON
// (protocol.Plan) as the compiler encoded it once. The hub wraps the bytes
// in an envelope of each message's own; it never encodes a plan again.
type Plan struct {
	Revision int64
	JSON     []byte
}

// Options tune a hub; zero values take the defaults.
type Options struct {
	Version          string        // controller version sent in welcome
	HeartbeatSeconds int           // how often agents send heartbeats (default 10)
	HelloTimeout     time.Duration // time an agent has to say hello (default 10 s)
	Now              func() time.Time
	// Auth admits agents; nil admits every agent (tests of the link only).
	Auth Authenticator
	// Plans serves plans and takes their acks; nil: agents get none.
	Plans Plans
	// Reports takes the agents' reports; nil ignores them.
	Reports Reports
	// Controllers is every replica's public websocket address (serve
	// --advertise), sent in each welcome so agents can fail over; empty:
	// none is sent and agents keep the addresses they hold.
	Controllers []string
	// OnLink is called when a display's link came up (its agent said
	// hello) or closed, on the goroutine that saw it and with no lock of
	// the hub held. Calls for one display may arrive out of order (a
	// newer link's hello beside the older link's close): ask Online for
	// the state now rather than trust the call's order (the cluster bus
	// does). nil: none.
	OnLink func(displayID int64)
}

// AgentInfo is a live connection as the dashboard and metrics see it.
type AgentInfo struct {
	DisplayID     int64
	Name          string
	SessionID     string
	AgentVersion  string
	Profile       string
	Panel         protocol.Panel
	RemoteAddr    string
	ConnectedAt   time.Time
	LastHeartbeat time.Time
	PlanRevision  int64            // newest plan the agent acknowledged
	Health        *protocol.Health // latest report, nil before the first
	ScreenshotAt  time.Time        // when the latest screenshot arrived on this link
}

// Hub owns every agent connection.
type Hub struct {
	log   *slog.Logger
	store Store
	opt   Options
	up    websocket.Upgrader

	mu    sync.Mutex
	conns map[*conn]struct{}
	// byDisplay is each enrolled display's one live connection (the
	// newest); connections without a display (tests of the link) are only
	// in conns.
	byDisplay map[int64]*conn
	// revocations counts Revoke calls; revokedAt is the count at a
	// display's latest revocation. A request authenticated before that
	// count is refused even if it got through Auth (revoke raced it).
	revocations uint64
	revokedAt   map[int64]uint64
	changed     chan struct{} // closed and replaced on every change
	closed      bool
	wg          sync.WaitGroup

	m      metrics
	health *healthCollector
}

// New returns a hub that records agents in st.
func New(log *slog.Logger, st Store, opt Options) *Hub {
	if opt.HeartbeatSeconds == 0 {
		opt.HeartbeatSeconds = 10
	}
	if opt.HelloTimeout == 0 {
		opt.HelloTimeout = 10 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	h := &Hub{
		log:   log,
		store: st,
		opt:   opt,
		up: websocket.Upgrader{
			HandshakeTimeout: 10 * time.Second,
			// Each link holds its read buffer for its life: what agents
			// send is a few hundred bytes (a larger message is read past
			// the buffer, straight into the message), and 4 KiB each was
			// 40 MB of 10,000 links' memory.
			ReadBufferSize:  512,
			WriteBufferSize: 4096,
			// Agents are mostly idle: a write buffer is borrowed for a
			// write, not held for the life of each link (gorilla's pool).
			WriteBufferPool: &sync.Pool{},
		},
		conns:     make(map[*conn]struct{}),
		byDisplay: make(map[int64]*conn),
		revokedAt: make(map[int64]uint64),
		changed:   make(chan struct{}),
	}
	h.m = newMetrics(h)
	h.health = newHealthCollector(h)
	return h
}

// ServeHTTP upgrades an agent's request to a websocket and hands it to the
// pumps, which the hub owns from then on.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	revocations := h.revocations
	h.mu.Unlock()
	var id Identity
	if h.opt.Auth != nil {
		var err error
		id, err = h.opt.Auth(r)
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			if !errors.Is(err, ErrRefused) {
				h.log.Error("agent authentication", "remote", r.RemoteAddr, "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"error":{"code":"unavailable","message":"the controller cannot check credentials now; retry later"}}`))
				return
			}
			h.log.Warn("agent refused", "remote", r.RemoteAddr, "err", err)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"unknown or revoked device credential: enrol the agent with a new code"}}`))
			return
		}
	}
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has already written an HTTP error to the client.
		h.log.Warn("agent websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(protocol.MaxMessageBytes)
	c := newConn(h, ws, r.RemoteAddr)
	c.id = id
	h.mu.Lock()
	code, refuse := 0, ""
	switch {
	case h.closed:
		code, refuse = websocket.CloseGoingAway, "controller is shutting down"
	case id.DisplayID != 0 && h.revokedAt[id.DisplayID] > revocations:
		code, refuse = protocol.CloseUnauthorized, "this display's credential was revoked"
	}
	if refuse != "" {
		h.mu.Unlock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, refuse), time.Now().Add(closeWait))
		ws.Close()
		return
	}
	var older *conn
	if id.DisplayID != 0 {
		older = h.byDisplay[id.DisplayID]
		h.byDisplay[id.DisplayID] = c
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()
	c.qmu.Lock()
	c.pinger = time.AfterFunc(c.pingEvery(), c.ping)
	c.qmu.Unlock()
	go c.readPump()
	if older != nil {
		h.log.Warn("display connected again; closing its older link", "display", id.DisplayID,
			"older_session", older.sessionID, "older_remote", older.remote, "remote", r.RemoteAddr)
		older.closeWith(protocol.CloseReplaced, "a newer connection of this display took over; if two agents share this display's credential, stop one of them")
	}
}

// Agents lists the agents that have said hello on a live connection, by name.
func (h *Hub) Agents() []AgentInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]AgentInfo, 0, len(h.conns))
	for c := range h.conns {
		if c.id.DisplayID != 0 && h.byDisplay[c.id.DisplayID] != c {
			continue // replaced, closing
		}
		if info, ok := c.snapshot(); ok {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Changed returns a channel that is closed at the next change of the set of
// online agents or of their state. Read Agents after it fires.
func (h *Hub) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// WaitFor blocks until cond holds for the online agents or ctx ends.
func (h *Hub) WaitFor(ctx context.Context, cond func([]AgentInfo) bool) error {
	for {
		ch := h.Changed()
		if cond(h.Agents()) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (h *Hub) notify() {
	h.mu.Lock()
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

func (h *Hub) remove(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	current := h.byDisplay[c.id.DisplayID] == c
	if current {
		delete(h.byDisplay, c.id.DisplayID)
	}
	h.mu.Unlock()
	c.mu.Lock()
	h.m.acksOutstanding.Sub(float64(len(c.plansSent)))
	c.plansSent, c.gone = nil, true
	c.mu.Unlock()
	// A replaced link says nothing to the store: its display is online on
	// the newer one.
	if info, ok := c.snapshot(); ok && (current || c.id.DisplayID == 0) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := h.store.AgentLeft(ctx, info.Name, h.opt.Now()); err != nil {
			h.log.Error("record agent offline", "agent", info.Name, "err", err)
		}
		if r := h.opt.Reports; r != nil && c.id.DisplayID != 0 {
			r.AgentLeft(ctx, c.id.DisplayID)
		}
		cancel()
	}
	if current {
		h.linked(c.id.DisplayID)
	}
	h.notify()
}

// conn returns the live connection of a display, if any.
func (h *Hub) conn(displayID int64) *conn {
	h.mu.Lock()
	c := h.byDisplay[displayID]
	h.mu.Unlock()
	if c == nil || displayID == 0 {
		return nil
	}
	if _, ok := c.snapshot(); !ok {
		return nil
	}
	return c
}

// Online reports whether a display's agent is connected here and has said
// hello: whether Command and PushPlan can reach it.
func (h *Hub) Online(displayID int64) bool { return h.conn(displayID) != nil }

// linked calls OnLink, if set.
func (h *Hub) linked(displayID int64) {
	if h.opt.OnLink != nil && displayID != 0 {
		h.opt.OnLink(displayID)
	}
}

// ErrOffline means the display's agent is not connected.
var ErrOffline = errors.New("hub: the display's agent is offline")

// PushPlan sends a display's new plan to its agent, if online. The agent
// also gets it on its next connect, so an offline display converges.
func (h *Hub) PushPlan(_ context.Context, displayID int64, p Plan) error {
	c := h.conn(displayID)
	if c == nil {
		return ErrOffline
	}
	c.sendPlan(p, 0)
	return nil
}

// Command sends a remote command and returns its message id; the result
// arrives through Reports.CommandResult.
func (h *Hub) Command(displayID int64, cmd protocol.Command) (string, error) {
	if err := cmd.Validate(); err != nil {
		return "", err
	}
	c := h.conn(displayID)
	if c == nil {
		return "", ErrOffline
	}
	return c.queue(protocol.TypeCommand, cmd), nil
}

// Revoke closes every link of a display with the "unauthorized" close code;
// the agent stops and says it must be enrolled again. Call it after the
// display's credentials are revoked in the store: a request that passed
// Auth before then is refused when it would become a link.
func (h *Hub) Revoke(displayID int64) {
	h.mu.Lock()
	h.revocations++
	h.revokedAt[displayID] = h.revocations
	var links []*conn
	for c := range h.conns { // rare: a scan is fine, and catches links being replaced
		if c.id.DisplayID == displayID {
			links = append(links, c)
		}
	}
	h.mu.Unlock()
	for _, c := range links {
		c.closeWith(protocol.CloseUnauthorized, "this display's credential was revoked")
	}
}

// Close tells every agent the controller is going away, closes their
// connections and waits for their pumps until ctx ends.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "controller is shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
