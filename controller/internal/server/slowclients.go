package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// ErrBodyTooSlow is the error a handler reads when a request body arrives
// slower than ClientLimits allow. The connection is then closed after the
// answer.
var ErrBodyTooSlow = errors.New("the request body arrived too slowly")

// ClientLimits protect the controller from clients that are slow on
// purpose (a body sent one byte every few seconds holds a connection, a
// goroutine and a file descriptor for ever) or many. The zero value of a
// field means its default.
//
// Websockets (agents) and the dashboard's event stream are GET requests
// without a body: the body limits never apply to them, and once a
// websocket is hijacked net/http's header and idle timeouts no longer
// apply either; the hub keeps its own read and write deadlines.
type ClientLimits struct {
	// HeaderTimeout bounds reading a request's headers (default 10 s).
	HeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request for
	// this long (default 2 min).
	IdleTimeout time.Duration
	// A body that declares at most SmallBody bytes (default 64 KiB: every
	// JSON request) must arrive whole within SmallTimeout (default 10 s).
	SmallBody    int64
	SmallTimeout time.Duration
	// Any other body (uploads) must bring at least Floor bytes a second
	// averaged over each Window: by default 16 KiB/s over 30 s, so that
	// a slow but real link (a 3G modem gives 50 KiB/s) passes.
	Floor  int64
	Window time.Duration
	// PerAddress caps the connections open at once from one IP address
	// (default 128, a site's displays and browsers behind one NAT, and at
	// most a quarter of Total, so one address never takes them all);
	// Total caps them all (default: the open-file limit less 128 kept for
	// the database, assets and ffmpeg). A connection over either cap is
	// closed as soon as it is accepted.
	PerAddress int
	Total      int
}

func (l ClientLimits) withDefaults() ClientLimits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.HeaderTimeout, 10*time.Second)
	def(&l.IdleTimeout, 2*time.Minute)
	def(&l.SmallTimeout, 10*time.Second)
	def(&l.Window, 30*time.Second)
	if l.SmallBody <= 0 {
		l.SmallBody = 64 << 10
	}
	if l.Floor <= 0 {
		l.Floor = 16 << 10
	}
	if l.Total <= 0 {
		l.Total = 4096
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < 1<<20 {
			l.Total = max(16, int(rl.Cur)-128)
		}
	}
	if l.PerAddress <= 0 {
		l.PerAddress = min(128, max(1, l.Total/4))
	}
	return l
}

// NewHTTPServer returns the controller's http.Server for h, with the
// header and idle timeouts and the body deadlines of l. Serve it on a
// listener from LimitListener.
func NewHTTPServer(h http.Handler, log *slog.Logger, l ClientLimits) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Handler:           BodyDeadlines(h, l),
		ReadHeaderTimeout: l.HeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// BodyDeadlines makes every request body that h reads arrive in time (see
// ClientLimits). It sets the connection's read deadline only while a Read
// of the body waits, so a handler may take as long as it needs between
// reads and after them (net/http's own read after the body, which watches
// for the client going away, is not cut short).
func BodyDeadlines(h http.Handler, l ClientLimits) http.Handler {
	l = l.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			now := time.Now()
			r.Body = &deadlineBody{ReadCloser: r.Body, w: w, rc: http.NewResponseController(w), l: l,
				small: r.ContentLength > 0 && r.ContentLength <= l.SmallBody, start: now, window: now}
		}
		h.ServeHTTP(w, r)
	})
}

type deadlineBody struct {
	io.ReadCloser
	w     http.ResponseWriter
	rc    *http.ResponseController
	l     ClientLimits
	small bool

	start   time.Time // the body's first byte was asked for
	window  time.Time // the current rate window began
	inWin   int64     // bytes read in it
	tooSlow bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.tooSlow {
		return 0, ErrBodyTooSlow
	}
	now := time.Now()
	deadline := b.start.Add(b.l.SmallTimeout)
	if !b.small {
		if b.inWin >= int64(float64(b.l.Floor)*b.l.Window.Seconds()) {
			b.window, b.inWin = now, 0 // the window brought its due: a new one
		}
		deadline = b.window.Add(b.l.Window)
	}
	if err := b.rc.SetReadDeadline(deadline); err != nil {
		return b.ReadCloser.Read(p) // not a real connection (a test recorder)
	}
	n, err := b.ReadCloser.Read(p)
	b.inWin += int64(n)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		// The deadline stays in the past: net/http cannot read another
		// request on this connection and closes it after the answer.
		b.tooSlow = true
		b.w.Header().Set("Connection", "close")
		if b.small {
			return n, fmt.Errorf("%w: %d bytes or fewer must arrive within %s", ErrBodyTooSlow, b.l.SmallBody, b.l.SmallTimeout)
		}
		return n, fmt.Errorf("%w: less than %d KiB/s over %s", ErrBodyTooSlow, b.l.Floor>>10, b.l.Window)
	}
	b.rc.SetReadDeadline(time.Time{})
	return n, err
}

// LimitListener caps the connections ln hands out, per remote address and
// in all (see ClientLimits), so that a crowd of slow clients cannot take
// every file descriptor and leave /healthz unanswered. A connection over
// a cap is closed at once; log hears of it at most once a minute.
func LimitListener(ln net.Listener, log *slog.Logger, l ClientLimits) net.Listener {
	l = l.withDefaults()
	return &limitListener{Listener: ln, log: log, l: l, byAddr: map[string]int{}}
}

type limitListener struct {
	net.Listener
	log *slog.Logger
	l   ClientLimits

	mu       sync.Mutex
	byAddr   map[string]int
	total    int
	refused  int
	lastWarn time.Time
}

func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteIP(c)
		ll.mu.Lock()
		if ll.byAddr[addr] >= ll.l.PerAddress || ll.total >= ll.l.Total {
			ll.refused++
			warn := time.Since(ll.lastWarn) > time.Minute
			if warn {
				ll.lastWarn = time.Now()
			}
			refused, open := ll.refused, ll.total
			ll.mu.Unlock()
			c.Close()
			if warn && ll.log != nil {
				ll.log.Warn("too many connections: refusing more", "address", addr, "per_address", ll.l.PerAddress,
					"open", open, "total", ll.l.Total, "refused_so_far", refused)
			}
			continue
		}
		ll.byAddr[addr]++
		ll.total++
		ll.mu.Unlock()
		return &countedConn{Conn: c, ll: ll, addr: addr}, nil
	}
}

// Open is how many connections are open now.
func (ll *limitListener) Open() int {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	return ll.total
}

func remoteIP(c net.Conn) string {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return c.RemoteAddr().String()
}

type countedConn struct {
	net.Conn
	ll   *limitListener
	addr string
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.ll.mu.Lock()
		c.ll.total--
		if c.ll.byAddr[c.addr]--; c.ll.byAddr[c.addr] <= 0 {
			delete(c.ll.byAddr, c.addr)
		}
		c.ll.mu.Unlock()
	})
	return c.Conn.Close()
}
