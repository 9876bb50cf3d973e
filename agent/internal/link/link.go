// Package link keeps the agent's websocket to the controller up: it dials,
// says hello, sends heartbeats, and when the link drops it dials again after
// an exponential backoff with jitter, forever, until its context ends.
//
// The agent may know several controllers (replicas sharing one database,
// any of which accepts its credential). It stays on the one that welcomed
// it; when that link drops it dials another, picked at random so that the
// agents of a dead replica spread over the others, and when a dial fails
// it tries the next address in turn, so every address is tried.
package link

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// Config says where and who the agent is.
type Config struct {
	Controller string // ws:// or wss:// base URL of the controller dialled first
	// Controllers is every controller's address, Controller among them
	// (it is added if missing); empty: Controller alone. A welcome with
	// another list replaces it (see WithAddress).
	Controllers []string
	// Remember, when set, is called after a welcome that changed the list
	// or the controller the agent is on, so the agent can dial the same at
	// its next start. It runs on the link's goroutine, before
	// Handler.Connected.
	Remember     func(list []string, current string)
	Name         string
	AgentVersion string
	Profile      string
	Panel        protocol.Panel

	MinBackoff time.Duration // first retry delay (default 500 ms)
	MaxBackoff time.Duration // cap on the retry delay (default 30 s)

	Credential   string       // device credential, sent as a bearer token
	TLS          *tls.Config  // for wss://; nil: system roots
	PlanRevision func() int64 // newest plan held, sent in hello
	Handler      Handler      // receives the session and its messages; may be nil
}

// Handler is the rest of the agent as the link sees it.
type Handler interface {
	// Connected is called once the controller has welcomed the agent; s can
	// send until Disconnected is called.
	Connected(s *Session)
	// Message handles a message the link itself does not (anything but
	// welcome and heartbeat). An error is reported to the controller.
	Message(s *Session, env protocol.Envelope) error
	Disconnected()
}

// ErrRefused means the controller will not accept this agent (unknown or
// revoked credential): retrying cannot help, the agent must be enrolled again.
var ErrRefused = errors.New("the controller refused this agent's credential")

// ErrReplaced means the controller closed this agent's live link because a
// newer link of the same display connected: another agent holds this
// display's credential. The controller keeps the newest; this agent stays
// off the link (it plays on from its cache) rather than take the link back
// and be taken back in turn, forever. It dials again when restarted.
var ErrReplaced = errors.New("another agent connected with this display's credential and took the link")

// Session is one live connection.
type Session struct {
	ID         string
	Controller string // the address this session reached
	mu         sync.Mutex
	ws         *websocket.Conn
	done       chan struct{}
}

// Send writes a message now and returns its id.
func (s *Session) Send(typ string, body any) (string, error) {
	id := protocol.NewID()
	return id, s.SendAs(id, typ, body)
}

// SendAs sends a message under an id the caller chose, so it can expect the
// answer before the message is even written.
func (s *Session) SendAs(id, typ string, body any) error {
	env, err := protocol.NewEnvelope(typ, body, time.Now())
	if err != nil {
		return err
	}
	env.ID = id
	data, err := json.Marshal(env)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return errors.New("link: session closed")
	default:
	}
	_ = s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := s.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		return fmt.Errorf("link: send %s: %w", typ, err)
	}
	return nil
}

// Validate checks the config once at start-up.
func (c *Config) Validate() error {
	first, err := protocol.ControllerURL(c.Controller)
	if err != nil {
		return err
	}
	list, err := protocol.ControllerList(c.Controllers)
	if err != nil {
		return err
	}
	c.Controller, c.Controllers = first, WithAddress(list, first)
	if c.Name == "" {
		return errors.New("the agent needs a name (--name)")
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	return c.Panel.Validate()
}

// WithAddress is list with addr appended if it is not in it. An agent keeps
// the address that last worked for it beside the list a controller gives
// (which may name the replicas by other names than the agent reaches them
// by, through a proxy or NAT): a wrong list then cannot cut it off.
func WithAddress(list []string, addr string) []string {
	if slices.Contains(list, addr) {
		return list
	}
	return append(slices.Clip(list), addr)
}

// wsURL is the websocket endpoint of the controller at base.
func wsURL(base string) string {
	return strings.TrimRight(base, "/") + protocol.Path
}

// State is the link's state as reported to the rest of the agent.
type State struct {
	Connected   bool
	SessionID   string
	Controller  string   // the address in use, or being tried
	Controllers []string // every address the link knows, in order
	Attempt     int      // consecutive failed attempts
	LastError   string   // why the last attempt or connection ended
	Connects    int64    // sessions opened (hello answered) since the agent started
}

// Client is the agent's side of the link.
type Client struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	state   State
	changed chan struct{}
	// list and cur are the controllers' addresses and the one to dial
	// next; only Run's goroutine changes them, under mu.
	list []string
	cur  int
	// savedList and savedAddr are what Remember was last told (at first,
	// the config); only Run's goroutine uses them.
	savedList []string
	savedAddr string
}

// New returns a client; call Run to connect.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, log: log, changed: make(chan struct{}),
		list: cfg.Controllers, savedList: cfg.Controllers, savedAddr: cfg.Controller}
	c.cur = slices.Index(c.list, cfg.Controller)
	c.state.Controller, c.state.Controllers = cfg.Controller, c.list
	return c, nil
}

// address is the controller to dial now.
func (c *Client) address() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.list[c.cur]
}

// move picks the controller to dial next. After a link that was up drops,
// any other, at random: the thousands of agents of a replica that died
// spread over the others rather than all land on the next one (the
// backoff's jitter spreads them in time). After a failed dial, the next in
// turn, so that every address is tried.
func (c *Client) move(dropped bool, rnd func() float64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.list)
	switch {
	case n == 1:
	case dropped:
		j := min(int(rnd()*float64(n-1)), n-2) // an index among the n−1 others
		if j >= c.cur {
			j++
		}
		c.cur = j
	default:
		c.cur = (c.cur + 1) % n
	}
	return c.list[c.cur]
}

// welcomed takes the list a welcome brought, if it is one, as the
// controller at addr welcomed the agent, and tells Remember when the list
// or the controller in use differs from what it last told (or the config
// said at start).
func (c *Client) welcomed(addr string, advertised []string) {
	c.mu.Lock()
	list := c.list
	if len(advertised) > 0 {
		if l, err := protocol.ControllerList(advertised); err != nil {
			// The controller checks its list at start-up: this is a
			// newer or broken one. The agent keeps what it holds.
			c.log.Warn("controller sent a list of controllers this agent cannot use; keeping its own", "controller", addr, "err", err)
		} else {
			list = WithAddress(l, addr)
		}
	}
	c.list, c.cur = list, slices.Index(list, addr)
	c.mu.Unlock()
	if slices.Equal(list, c.savedList) && addr == c.savedAddr {
		return
	}
	if !slices.Equal(list, c.savedList) {
		c.log.Info("controller addresses", "controllers", strings.Join(list, ","))
	}
	c.savedList, c.savedAddr = list, addr
	if c.cfg.Remember != nil {
		c.cfg.Remember(slices.Clone(list), addr)
	}
}

// State returns the current link state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Changed is closed at the next state change.
func (c *Client) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

func (c *Client) setState(f func(*State)) {
	c.mu.Lock()
	f(&c.state)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// Run keeps the link up until ctx ends (nil) or the controller refuses the
// agent (ErrRefused).
func (c *Client) Run(ctx context.Context) error {
	start := time.Now()
	attempt := 0
	for ctx.Err() == nil {
		addr := c.address()
		connected, err := c.session(ctx, start, addr)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrRefused) {
			c.setState(func(s *State) { s.Connected, s.LastError = false, err.Error() })
			return err
		}
		if errors.Is(err, ErrReplaced) {
			// Not an exit (a supervisor would restart the agent and the two
			// would take the link from each other in a loop): stay off it.
			c.setState(func(s *State) { s.Connected, s.SessionID, s.LastError = false, "", err.Error() })
			c.log.Error("controller link given to another agent with this display's credential; this agent stays offline and plays from its cache until restarted: stop one of the two, or revoke and enrol again",
				"controller", addr, "err", err)
			<-ctx.Done()
			return nil
		}
		if connected {
			attempt = 0
		}
		attempt++
		next := c.move(connected, rand.Float64)
		c.setState(func(s *State) {
			s.Connected, s.SessionID, s.Attempt, s.Controller = false, "", attempt, next
			if err != nil {
				s.LastError = err.Error()
			}
		})
		delay := Backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff, rand.Float64)
		// Log the first failures and then only when the delay is capped, so
		// a controller that is down for a day does not flood the log.
		if attempt <= 3 || attempt%20 == 0 {
			c.log.Warn("controller link down; retrying", "controller", addr, "next", next, "attempt", attempt, "retry_in", delay.Round(time.Millisecond), "err", err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
	return nil
}

// Backoff is the delay before retry number attempt (1-based): exponential
// from min, capped at max, with "equal jitter" (half fixed, half random) so a
// fleet of agents does not reconnect in lockstep after a controller restart.
func Backoff(attempt int, min, max time.Duration, rnd func() float64) time.Duration {
	d := min
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rnd()*float64(half))
}

// session runs one connection; it reports whether hello was answered.
func (c *Client) session(ctx context.Context, start time.Time, addr string) (bool, error) {
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, TLSClientConfig: c.cfg.TLS}
	header := http.Header{}
	if c.cfg.Credential != "" {
		header.Set("Authorization", "Bearer "+c.cfg.Credential)
	}
	ws, resp, err := dialer.DialContext(ctx, wsURL(addr), header)
	if err != nil {
		if resp != nil {
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				return false, fmt.Errorf("%w (%s): enrol it again with a new code", ErrRefused, resp.Status)
			}
			return false, fmt.Errorf("controller answered %s to the websocket request", resp.Status)
		}
		return false, fmt.Errorf("cannot reach the controller: %w", err)
	}
	defer ws.Close()
	ws.SetReadLimit(protocol.MaxMessageBytes)

	// Close the socket when ctx ends so blocked reads return.
	stop := context.AfterFunc(ctx, func() {
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "agent stopping"), time.Now().Add(time.Second))
		ws.Close()
	})
	defer stop()

	sess := &Session{Controller: addr, ws: ws, done: make(chan struct{})}
	defer func() {
		sess.mu.Lock()
		close(sess.done)
		sess.mu.Unlock()
	}()

	var rev int64
	if c.cfg.PlanRevision != nil {
		rev = c.cfg.PlanRevision()
	}
	if _, err := sess.Send(protocol.TypeHello, protocol.Hello{
		Name: c.cfg.Name, AgentVersion: c.cfg.AgentVersion, Profile: c.cfg.Profile, Panel: c.cfg.Panel, PlanRevision: rev,
	}); err != nil {
		return false, fmt.Errorf("send hello: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	welcome, err := readWelcome(ws)
	if err != nil {
		return false, err
	}
	sess.ID = welcome.SessionID
	c.welcomed(addr, welcome.Controllers)
	c.mu.Lock()
	list := c.list
	c.mu.Unlock()
	c.setState(func(s *State) {
		*s = State{Connected: true, SessionID: welcome.SessionID, Controller: addr, Controllers: list, Connects: s.Connects + 1}
	})
	c.log.Info("connected to controller", "controller", addr, "session", welcome.SessionID, "controller_version", welcome.ControllerVersion)
	if h := c.cfg.Handler; h != nil {
		h.Connected(sess)
		defer h.Disconnected()
	}

	interval := time.Duration(welcome.HeartbeatSeconds) * time.Second
	liveness := 3 * interval
	_ = ws.SetReadDeadline(time.Now().Add(liveness))
	ws.SetPingHandler(func(data string) error {
		_ = ws.SetReadDeadline(time.Now().Add(liveness))
		sess.mu.Lock()
		defer sess.mu.Unlock()
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})

	hbDone := make(chan struct{})
	hbErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for seq := int64(1); ; seq++ {
			select {
			case <-hbDone:
				return
			case <-t.C:
				if _, err := sess.Send(protocol.TypeHeartbeat, protocol.Heartbeat{Seq: seq, UptimeMS: time.Since(start).Milliseconds()}); err != nil {
					hbErr <- fmt.Errorf("send heartbeat: %w", err)
					ws.Close()
					return
				}
			}
		}
	}()
	defer close(hbDone)

	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			select {
			case e := <-hbErr:
				return true, e
			default:
			}
			return true, describeClose(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(liveness))
		env, err := protocol.Decode(data)
		if err != nil {
			c.log.Warn("malformed message from controller", "err", err)
			_, _ = sess.Send(protocol.TypeError, protocol.Error{Code: protocol.ErrCodeBadMessage, Message: err.Error()})
			continue
		}
		if env.Type == protocol.TypeError {
			var e protocol.Error
			if err := protocol.DecodeBody(env, &e); err == nil {
				c.log.Warn("controller reported an error", "ref", e.Ref, "code", e.Code, "message", e.Message)
			}
		}
		var herr error
		if c.cfg.Handler != nil {
			herr = c.cfg.Handler.Message(sess, env)
		} else if env.Type != protocol.TypeError && env.Type != protocol.TypeAck {
			herr = ErrUnknownType
		}
		if errors.Is(herr, ErrUnknownType) {
			_, _ = sess.Send(protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeUnknownType,
				Message: fmt.Sprintf("message type %q is not known to this agent", env.Type)})
		} else if herr != nil {
			_, _ = sess.Send(protocol.TypeError, protocol.Error{Ref: env.ID, Code: protocol.ErrCodeBadMessage, Message: herr.Error()})
		}
	}
}

// ErrUnknownType is what a Handler returns for a message type it does not
// know; the link tells the controller so.
var ErrUnknownType = errors.New("unknown message type")

func readWelcome(ws *websocket.Conn) (protocol.Welcome, error) {
	var w protocol.Welcome
	_, data, err := ws.ReadMessage()
	if err != nil {
		return w, fmt.Errorf("waiting for welcome: %w", describeClose(err))
	}
	env, err := protocol.Decode(data)
	if err != nil {
		return w, err
	}
	if err := protocol.CheckVersion(env.V); err != nil {
		return w, fmt.Errorf("controller speaks %w", err)
	}
	if env.Type != protocol.TypeWelcome {
		return w, fmt.Errorf("expected welcome, controller sent %q", env.Type)
	}
	if err := protocol.DecodeBody(env, &w); err != nil {
		return w, err
	}
	return w, nil
}

// describeClose turns a close frame into an error that carries the
// controller's reason.
func describeClose(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == protocol.CloseUnauthorized {
			return fmt.Errorf("%w: %s", ErrRefused, ce.Text)
		}
		if ce.Code == protocol.CloseReplaced {
			return fmt.Errorf("%w: %s", ErrReplaced, ce.Text)
		}
		if ce.Text != "" {
			return fmt.Errorf("controller closed the link (%d): %s", ce.Code, ce.Text)
		}
		return fmt.Errorf("controller closed the link (%d)", ce.Code)
	}
	return err
}
