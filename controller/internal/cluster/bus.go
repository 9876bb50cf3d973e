package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/protocol"
)

// Subjects and headers of the bus (see the package doc).
const (
	subjectChange = "pano.change"
	subjectRevoke = "pano.revoke"
	headerReplica = "Pano-Replica"
	headerPlanRev = "Pano-Plan-Revision"
)

func displaySubject(displayID int64, what string) string {
	return "pano.display." + strconv.FormatInt(displayID, 10) + "." + what
}

func resultSubject(replica string) string { return "pano.replica." + replica + ".result" }

// Options tune a bus; zero values take the defaults.
type Options struct {
	Log *slog.Logger
	// Name names this replica in NATS's connection list and the logs
	// (default: its random replica id).
	Name string
	// RequestTimeout bounds a forwarded command: how long the replica
	// holding the display has to answer (default 2 s). A display no
	// replica holds is answered at once (NATS says no one listens).
	RequestTimeout time.Duration
	// ReconnectWait is the pause between two tries to reach NATS again
	// (default 1 s, with up to 1 s of jitter); the bus tries forever.
	ReconnectWait time.Duration
	// PresenceEvery is how often this replica announces all the agents
	// linked to it (default 5 s); PresenceTimeout is how long the others
	// keep an agent that was not announced again (default 15 s: three
	// announcements missed, a replica killed or cut off from NATS).
	PresenceEvery   time.Duration
	PresenceTimeout time.Duration
}

// Bus is this replica's link to the others. Join makes it; Attach gives it
// the local hub, after which it stands in for the hub where the API and the
// plan service reach agents (Command, PushPlan, Revoke).
type Bus struct {
	nc  *nats.Conn
	id  string // this replica, in every message's Pano-Replica header
	log *slog.Logger
	opt Options
	m   metrics

	// lost says a publication failed since NATS was last reached: the
	// next failures are counted, not logged (a refresh publishes a plan
	// for each display held elsewhere).
	lost atomic.Bool

	in   chan *nats.Msg // every subscription delivers here; one worker reads
	done chan struct{}  // closed by Close: the worker ends
	wg   sync.WaitGroup

	// mu guards what follows. Lock order: Bus.mu, then the hub's (Online
	// is called under mu); the hub calls LinkChanged with no lock held.
	mu       sync.Mutex
	hub      Hub
	sink     hub.Reports // where results of commands this replica forwarded go
	onChange func(objectType string, id int64)
	held     map[int64]*nats.Subscription // displays whose link is here: pano.display.<id>.*
	closed   bool

	// fmu guards forwarded and order: for a command run here for another
	// replica, which replica to send its result to (the newest
	// maxForwarded). Lock order: fmu, then the hub's (Command is called
	// under fmu); never together with mu.
	fmu       sync.Mutex
	forwarded map[string]string // command message id → the asking replica
	order     []string

	// pmu guards the fleet's presence (presence.go). It is taken under
	// mu (LinkChanged), never the other way round.
	pmu          sync.Mutex
	remote       map[int64]remoteAgent // agents linked to other replicas
	heard        map[string]time.Time  // when each other replica last announced
	up, gone     map[int64]bool        // links that came up, closed here since the last announcement
	changed      chan struct{}         // closed at the next change of Agents
	presenceHook func(from string)     // tests: called after each announcement taken
	kick         chan struct{}         // a link came up or closed here
}

// maxForwarded bounds the commands whose results are still awaited for
// other replicas (as the report sink keeps the newest 1,000 results).
const maxForwarded = 1000

var _ Hub = (*hub.Hub)(nil)

// Hub is the local hub as the bus uses it.
type Hub interface {
	Agents() []hub.AgentInfo
	Command(displayID int64, cmd protocol.Command) (string, error)
	PushPlan(ctx context.Context, displayID int64, p hub.Plan) error
	Revoke(displayID int64)
	Online(displayID int64) bool
	Changed() <-chan struct{}
}

// Join connects to the NATS server at rawURL (nats://host:port, or several
// separated by commas) and listens for the other replicas. It does not
// wait for the server: if it is down, the bus keeps trying in the
// background, and until it is reached a command for an agent on another
// replica finds it offline.
func Join(rawURL string, opt Options) (*Bus, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.RequestTimeout == 0 {
		opt.RequestTimeout = 2 * time.Second
	}
	if opt.ReconnectWait == 0 {
		opt.ReconnectWait = time.Second
	}
	if opt.PresenceEvery == 0 {
		opt.PresenceEvery = 5 * time.Second
	}
	if opt.PresenceTimeout == 0 {
		opt.PresenceTimeout = 3 * opt.PresenceEvery
	}
	b := &Bus{
		id:        protocol.NewID()[:12],
		opt:       opt,
		in:        make(chan *nats.Msg, 1<<16), // a full refresh elsewhere sends one plan a display held here
		done:      make(chan struct{}),
		held:      make(map[int64]*nats.Subscription),
		forwarded: make(map[string]string),
		remote:    make(map[int64]remoteAgent),
		heard:     make(map[string]time.Time),
		up:        make(map[int64]bool),
		gone:      make(map[int64]bool),
		changed:   make(chan struct{}),
		kick:      make(chan struct{}, 1),
	}
	if b.opt.Name == "" {
		b.opt.Name = b.id
	}
	b.log = opt.Log.With("replica", b.id)
	b.m = newMetrics(b)
	nc, err := nats.Connect(rawURL,
		nats.Name("pano-controller "+b.opt.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1), // forever: NATS coming back must not need a restart of the replica
		nats.ReconnectWait(opt.ReconnectWait),
		nats.ReconnectJitter(opt.ReconnectWait, opt.ReconnectWait),
		nats.ConnectHandler(func(*nats.Conn) { b.log.Info("cluster: connected to NATS", "url", redact(rawURL)) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			b.log.Warn("cluster: lost NATS; reconnecting", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.m.reconnects.Inc()
			b.lost.Store(false)
			b.log.Info("cluster: reconnected to NATS", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			b.log.Error("cluster: NATS error", "subject", subject, "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", redact(rawURL), err)
	}
	b.nc = nc
	if !nc.IsConnected() {
		b.log.Warn("cluster: NATS is not reachable yet; trying again in the background", "url", redact(rawURL))
	}
	for _, s := range []string{subjectChange, subjectRevoke, subjectPresence, resultSubject(b.id)} {
		if _, err := nc.ChanSubscribe(s, b.in); err != nil {
			nc.Close()
			return nil, fmt.Errorf("cluster: subscribe to %s: %w", s, err)
		}
	}
	// Listening when Join returns, if NATS is there: a change another
	// replica publishes from then on reaches this one.
	if nc.IsConnected() {
		if err := nc.FlushTimeout(5 * time.Second); err != nil {
			b.log.Warn("cluster: NATS did not confirm the subscriptions", "err", err)
		}
	}
	b.wg.Add(1)
	go b.run()
	return b, nil
}

// CheckURL refuses what is not a list of nats:// (or tls://) URLs, with
// a message that says what to give.
func CheckURL(raw string) error {
	for _, one := range splitURLs(raw) {
		u, err := url.Parse(one)
		if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
			return fmt.Errorf("%q is not a NATS URL (nats://HOST:PORT, for example nats://127.0.0.1:4222)", redact(one))
		}
	}
	return nil
}

func splitURLs(raw string) []string {
	var out []string
	for start, i := 0, 0; i <= len(raw); i++ {
		if i == len(raw) || raw[i] == ',' {
			out = append(out, raw[start:i])
			start = i + 1
		}
	}
	return out
}

// redact hides a password in a URL (nats://user:pass@host) for the logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// ID is this replica's id on the bus.
func (b *Bus) ID() string { return b.id }

// Connected reports whether the bus reaches NATS now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// Flush returns once the NATS server has everything this bus sent so far
// (its subscriptions included), or ctx ends; ctx must have a deadline.
func (b *Bus) Flush(ctx context.Context) error { return b.nc.FlushWithContext(ctx) }

// Close sends what is still buffered (for at most a second), leaves NATS
// and waits for the worker.
func (b *Bus) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	b.bye()
	if b.nc.IsConnected() {
		_ = b.nc.FlushTimeout(time.Second)
	}
	b.nc.Close()
	close(b.done)
	b.wg.Wait()
}

// run handles every message received, in order: each handler only queues
// work (plans.Changed, hub.Command), so one goroutine keeps up.
func (b *Bus) run() {
	defer b.wg.Done()
	for {
		select {
		case <-b.done:
			return
		case msg := <-b.in:
			b.m.received.Inc()
			b.handle(msg)
		}
	}
}

func (b *Bus) handle(msg *nats.Msg) {
	from := msg.Header.Get(headerReplica)
	switch {
	case msg.Subject == subjectChange:
		if from == b.id {
			return // our own: the local handler has run already
		}
		var c change
		if err := json.Unmarshal(msg.Data, &c); err != nil {
			b.log.Warn("cluster: bad change message", "from", from, "err", err)
			return
		}
		b.mu.Lock()
		f := b.onChange
		b.mu.Unlock()
		if f != nil {
			f(c.Type, c.ID)
		}
	case msg.Subject == subjectRevoke:
		if from == b.id {
			return
		}
		var r revoke
		if err := json.Unmarshal(msg.Data, &r); err != nil {
			b.log.Warn("cluster: bad revoke message", "from", from, "err", err)
			return
		}
		if h := b.localHub(); h != nil {
			h.Revoke(r.Display)
		}
	case msg.Subject == subjectPresence:
		b.onPresence(msg)
	case msg.Subject == resultSubject(b.id):
		b.onResult(msg)
	default:
		b.onDisplayMessage(msg)
	}
}

// publish sends a message with this replica's id. While NATS is away,
// nats.go buffers it (8 MiB) and sends it on reconnect.
func (b *Bus) publish(subject string, body any, header nats.Header) {
	data, err := json.Marshal(body)
	if err != nil {
		b.log.Error("cluster: encode message", "subject", subject, "err", err)
		return
	}
	b.publishRaw(subject, data, header)
}

func (b *Bus) publishRaw(subject string, data []byte, header nats.Header) {
	if header == nil {
		header = nats.Header{}
	}
	header.Set(headerReplica, b.id)
	if err := b.nc.PublishMsg(&nats.Msg{Subject: subject, Data: data, Header: header}); err != nil {
		b.m.dropped.Inc()
		if !errors.Is(err, nats.ErrConnectionClosed) && !b.lost.Swap(true) {
			b.log.Warn("cluster: cannot publish; further failures are only counted (pano_cluster_publish_failures_total) until NATS is back",
				"subject", subject, "err", err)
		}
		return
	}
	b.m.published.Inc()
}

func (b *Bus) localHub() Hub {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hub
}
