// Package capfeed polls the CAP emergency feeds admins register and turns
// their alerts into urgent notices: Run, owned by the controller, polls
// each feed at its interval (a few feeds at once, each poll within a
// deadline) with a conditional GET, a timeout and a bounded body, parses
// strictly with package cap, and records every alert each feed has seen
// by sender, identifier and sent, so a restart never sends one twice. A
// bad feed is refused with a stored reason and never stops the poller.
//
// Tests drive Poll directly with their own HTTP client and clock.
package capfeed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pano-signage/pano/controller/internal/cap"
	"github.com/pano-signage/pano/controller/internal/store"
)

// Sender sends a text urgent notice (pipeline.Urgent).
type Sender interface {
	SendText(ctx context.Context, who store.Actor, n store.UrgentNew) (store.UrgentNotice, error)
}

// feedStore is what the poller reads and writes of the store, declared
// here so that another store can stand in for *store.Store.
type feedStore interface {
	DueCAPFeeds(ctx context.Context, now time.Time) ([]int64, error)
	CAPFeed(ctx context.Context, id int64) (store.CAPFeed, error)
	RecordCAPPoll(ctx context.Context, id int64, p store.CAPPoll) error
	CAPAlert(ctx context.Context, id int64) (store.CAPAlert, error)
	CAPAlertSeen(ctx context.Context, feedID int64, sender, identifier string, sent time.Time) (bool, error)
	CAPAlertCopies(ctx context.Context, sender, identifier string, sent time.Time) ([]store.CAPAlert, error)
	CAPAlertReplaced(ctx context.Context, sender, identifier string) (bool, error)
	CAPAlertsOf(ctx context.Context, sender, identifier string) ([]store.CAPAlert, error)
	CAPAlertsWaiting(ctx context.Context, feedID int64) ([]store.CAPAlert, error)
	RecordCAPAlert(ctx context.Context, a store.CAPAlert) (out store.CAPAlert, seen bool, err error)
	SetCAPAlertState(ctx context.Context, who store.Actor, id int64, action string, from []string, to string, urgentID *int64) (store.CAPAlert, error)
	SkipCAPAlert(ctx context.Context, id int64, reason string) (ok bool, err error)
	// The screens an alert's area reaches, and the notices an update or a
	// cancellation ends.
	DisplaysWithSite(ctx context.Context) ([]store.GeoDisplay, error)
	CancelUrgentNotice(ctx context.Context, who store.Actor, id int64) (store.UrgentNotice, error)
}

var _ feedStore = (*store.Store)(nil)

// Options configure a Poller; zero values take the defaults.
type Options struct {
	// Client fetches feeds and alerts; default: one that refuses private,
	// loopback and link-local addresses unless AllowPrivate, follows at
	// most 5 redirects and only to http(s).
	Client       *http.Client
	AllowPrivate bool
	Now          func() time.Time
	Log          *slog.Logger
	Timeout      time.Duration // one request, default 20 s
	MaxBytes     int64         // one document, default cap.DefaultLimit (1 MiB)
	MaxLinks     int           // linked alerts fetched per poll, default 20
	// Deadline bounds one poll's fetching, the feed and its linked alerts
	// together (default 60 s): links not fetched by then wait for the next
	// poll. "Poll now" waits at most this long.
	Deadline time.Duration
	// Parallel is how many feeds are polled at once (default 4).
	Parallel int
	Tick     time.Duration // how often Run looks for due feeds, default 5 s
	// Polled, if set, is called after each poll is recorded (tests wait
	// on it).
	Polled func(store.CAPFeed)
}

// Poller polls the feeds of the store.
type Poller struct {
	st   feedStore
	send Sender
	o    Options
	kick chan struct{}
	// slots bound the feeds polled at once.
	slots chan struct{}
	// mu guards flying (the polls under way, one per feed at most: a
	// "poll now" of a feed being polled waits for that poll's result) and
	// links.
	mu     sync.Mutex
	flying map[int64]chan struct{}
	// dec orders the decisions on alerts: the poller taking them, and
	// approvers publishing or dismissing them. Each reads an alert's
	// state and acts on it under dec, so two approvers never send two
	// notices and an Update never slips between a read and a send.
	dec sync.Mutex
	// links are the linked alerts taken per feed, by URL, at their
	// entry's <updated>.
	links map[int64]map[string]time.Time
}

func (p *Poller) linksOf(feed int64) map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.links[feed]
}

func (p *Poller) setLinks(feed int64, l map[string]time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.links == nil {
		p.links = map[int64]map[string]time.Time{}
	}
	p.links[feed] = l
}

// New returns a poller; Run runs it.
func New(st feedStore, send Sender, o Options) *Poller {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = cap.DefaultLimit
	}
	if o.MaxLinks <= 0 {
		o.MaxLinks = 20
	}
	if o.Tick <= 0 {
		o.Tick = 5 * time.Second
	}
	if o.Deadline <= 0 {
		o.Deadline = 60 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Client == nil {
		o.Client = NewClient(o.AllowPrivate)
	}
	return &Poller{st: st, send: send, o: o, kick: make(chan struct{}, 1), flying: map[int64]chan struct{}{}, slots: make(chan struct{}, o.Parallel)}
}

// PrivateAllowed says whether feeds on private and loopback addresses are
// fetched (an admin sees it on the feeds page).
func (p *Poller) PrivateAllowed() bool { return p.o.AllowPrivate }

// errPrivate refuses an address inside the controller's own networks.
var errPrivate = errors.New("address is private, loopback or link-local")

// NewClient returns the HTTP client feeds are fetched with: unless
// allowPrivate, it refuses to connect to the special-purpose addresses
// of blocked (checked on the address actually
// dialled, after DNS, so a name cannot point it at the controller's own
// network), and follows at most 5 redirects, to http(s) only.
func NewClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if internal(net.ParseIP(host)) {
				return fmt.Errorf("%s: %w", host, errPrivate)
			}
			return nil
		}
	}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 20 * time.Second,
		MaxIdleConns: 4, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %s: only http and https", req.URL.Scheme)
		}
		return nil
	}}
}

// blocked are the ranges a feed is never fetched from (unless private
// addresses are allowed): this host, private and shared networks,
// link-local, benchmarking, reserved and multicast blocks, and other
// special-purpose ones (RFC 6890). IPv6 forms that carry an IPv4
// address (IPv4-mapped, NAT64, 6to4) are checked on that address.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network"
		"10.0.0.0/8",     // private
		"100.64.0.0/10",  // shared address space (carrier-grade NAT)
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local (cloud metadata)
		"172.16.0.0/12",  // private
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // private
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, and broadcast
		"::/128",         // unspecified
		"::1/128",        // loopback
		"fc00::/7",       // unique local
		"fe80::/10",      // link-local
		"ff00::/8",       // multicast
		"100::/64",       // discard-only
		"2001:db8::/32",  // documentation
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc = netip.MustParsePrefix("64:ff9b:1::/48")
	sixTo4   = netip.MustParsePrefix("2002::/16")
)

// internal is true for an address inside the controller's own networks
// (or none at all).
func internal(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return true
	}
	return internalAddr(a)
}

func internalAddr(a netip.Addr) bool {
	a = a.Unmap() // IPv4-mapped: ::ffff:a.b.c.d
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a): // the IPv4 address in the last 32 bits
			return internalAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case nat64Loc.Contains(a):
			return true // a local NAT64 prefix: the translator is inside
		case sixTo4.Contains(a): // the IPv4 address in bits 16-47
			return internalAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Kick asks Run to look for due feeds now; it never blocks.
func (p *Poller) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run polls due feeds until ctx ends, several at once: a slow feed
// delays neither the others nor the next look for due feeds.
func (p *Poller) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(p.o.Tick)
	defer t.Stop()
	for {
		p.dispatch(ctx, &wg)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		}
	}
}

// PollDue polls every feed whose time has come, and returns when they are
// polled.
func (p *Poller) PollDue(ctx context.Context) {
	var wg sync.WaitGroup
	p.dispatch(ctx, &wg)
	wg.Wait()
}

// dispatch starts polling each due feed not being polled already, at most
// Parallel at once, and adds them to wg.
func (p *Poller) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	ids, err := p.st.DueCAPFeeds(ctx, p.o.Now())
	if err != nil {
		if ctx.Err() == nil {
			p.o.Log.Error("cap: due feeds", "err", err)
		}
		return
	}
	for _, id := range ids {
		p.mu.Lock()
		_, busy := p.flying[id]
		p.mu.Unlock()
		if busy {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case p.slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-p.slots }()
			if _, err := p.Poll(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
				p.o.Log.Error("cap: poll", "feed", id, "err", err)
			}
		}()
	}
}

// Failure is why a poll was refused: a stable code (the cap package's
// codes, or http_status, timeout, network, private_address, internal) and
// words.
type Failure struct {
	Code string
	Msg  string
}

func (f *Failure) Error() string { return f.Code + ": " + f.Msg }

func failure(err error) *Failure {
	var f *Failure
	var ce *cap.Error
	var ne net.Error
	switch {
	case errors.As(err, &f):
		return f
	case errors.As(err, &ce):
		return &Failure{Code: string(ce.Code), Msg: ce.Error()}
	case errors.Is(err, errPrivate):
		return &Failure{Code: "private_address", Msg: err.Error()}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &Failure{Code: "timeout", Msg: err.Error()}
	}
	return &Failure{Code: "network", Msg: err.Error()}
}

// Poll polls one feed now and returns it with its poll recorded. The
// feed's own failure (unreachable, refused document) is recorded and is
// not an error; an error is the store's.
//
// A feed is polled once at a time: while it is being polled, Poll waits
// for that poll and returns its result.
func (p *Poller) Poll(ctx context.Context, id int64) (feed store.CAPFeed, err error) {
	p.mu.Lock()
	if done, ok := p.flying[id]; ok {
		p.mu.Unlock()
		select {
		case <-done:
			return p.st.CAPFeed(ctx, id)
		case <-ctx.Done():
			return store.CAPFeed{}, ctx.Err()
		}
	}
	done := make(chan struct{})
	p.flying[id] = done
	p.mu.Unlock()
	// Polled hears of the poll once it is over (the feed no longer
	// flying), so a "poll now" right after it polls again.
	var polled *store.CAPFeed
	defer func() {
		if polled != nil && p.o.Polled != nil {
			p.o.Polled(*polled)
		}
	}()
	defer func() {
		p.mu.Lock()
		delete(p.flying, id)
		p.mu.Unlock()
		close(done)
	}()
	f, err := p.st.CAPFeed(ctx, id)
	if err != nil {
		return f, err
	}
	now := p.o.Now()
	rec := store.CAPPoll{At: now, Result: store.PollOK, Next: now.Add(time.Duration(f.Interval) * time.Second)}
	func() {
		defer func() {
			if r := recover(); r != nil { // a bug here must not end the poller
				p.o.Log.Error("cap: poll panicked", "feed", f.ID, "panic", r)
				rec.Result, rec.ErrorCode, rec.Error = store.PollError, "internal", fmt.Sprint(r)
			}
		}()
		p.poll(ctx, f, &rec)
	}()
	if rec.Result == store.PollError {
		p.o.Log.Warn("cap: feed refused", "feed", f.Name, "url", f.URL, "code", rec.ErrorCode, "reason", rec.Error)
	}
	if err := p.st.RecordCAPPoll(ctx, f.ID, rec); err != nil {
		return f, err
	}
	f, err = p.st.CAPFeed(ctx, f.ID)
	if err == nil {
		polled = &f
	}
	return f, err
}

func (p *Poller) poll(ctx context.Context, f store.CAPFeed, rec *store.CAPPoll) {
	fail := func(err error) {
		fl := failure(err)
		rec.Result, rec.ErrorCode, rec.Error = store.PollError, fl.Code, cut(fl.Msg, 500)
	}
	// An automatic feed's alerts whose notice could not be sent (they
	// wait, with no approver to wait for) are sent first, feed down or
	// not.
	refused := p.retry(ctx, f)
	// Fetching, the feed and its links, ends by the deadline; taking what
	// was fetched does not.
	dctx, dcancel := context.WithTimeout(ctx, p.o.Deadline)
	defer dcancel()
	rctx, cancel := context.WithTimeout(dctx, p.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, f.URL, nil)
	if err != nil {
		fail(&Failure{Code: "bad_url", Msg: err.Error()})
		return
	}
	req.Header.Set("Accept", "application/cap+xml, application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8")
	req.Header.Set("User-Agent", "pano-controller (CAP poller)")
	if f.ETag != "" {
		req.Header.Set("If-None-Match", f.ETag)
	}
	if f.LastModified != "" {
		req.Header.Set("If-Modified-Since", f.LastModified)
	}
	resp, err := p.o.Client.Do(req)
	if err != nil {
		fail(err)
		return
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		rec.Result = store.PollNotModified
		return
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		fail(&Failure{Code: "http_status", Msg: fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))})
		return
	}
	doc, err := cap.Parse(resp.Body, cap.Options{Limit: p.o.MaxBytes})
	if err != nil {
		fail(err)
		return
	}
	rec.ETag, rec.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	base := resp.Request.URL.String() // after redirects
	links := 0
	// Linked alerts already taken, at the entry's <updated>, are not
	// fetched again: a feed longer than MaxLinks is read MaxLinks new
	// links a poll.
	seen := p.linksOf(f.ID)
	fresh := map[string]time.Time{}
	type taken struct {
		a    *cap.Alert
		link string
		upd  time.Time
	}
	var alerts []taken
	for i := range doc.Entries {
		e := &doc.Entries[i]
		a, link := e.Alert, ""
		if e.Err == nil && a == nil {
			u, err := e.Resolve(base)
			if err != nil {
				refused = append(refused, failure(err).Msg)
				continue
			}
			if upd, ok := seen[u]; ok && upd.Equal(e.Updated) {
				fresh[u] = upd
				continue
			}
			if dctx.Err() != nil {
				refused = append(refused, fmt.Sprintf("the poll took more than %s: the rest wait for the next poll", p.o.Deadline))
				rec.ETag, rec.LastModified = "", ""
				break
			}
			if links >= p.o.MaxLinks {
				refused = append(refused, fmt.Sprintf("more than %d new linked alerts: the rest wait for the next poll", p.o.MaxLinks))
				rec.ETag, rec.LastModified = "", "" // fetch the whole feed again next time
				break
			}
			links++
			link = u
			if a, e.Err = p.fetchAlert(dctx, u); e.Err != nil {
				// Not taken: fetch the whole feed again next time, so a
				// 304 does not hide this entry until the feed changes.
				rec.ETag, rec.LastModified = "", ""
			}
		}
		if e.Err != nil {
			refused = append(refused, failure(e.Err).Msg)
			continue
		}
		alerts = append(alerts, taken{a, link, e.Updated})
	}
	// Oldest first, so that an Update listed before the alert it replaces
	// still replaces it.
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].a.Sent.Before(alerts[j].a.Sent) })
	for _, x := range alerts {
		if err := p.takeOne(ctx, f, x.a); err != nil {
			// Not stored (the store failed), or stored as waiting and not
			// sent (retry sends it at the next poll): read the feed
			// again next time either way.
			refused = append(refused, err.Error())
			rec.ETag, rec.LastModified = "", ""
			continue
		}
		if x.link != "" {
			fresh[x.link] = x.upd
		}
	}
	p.setLinks(f.ID, fresh)
	if len(refused) > 0 {
		// The feed was read: the entries it could take are taken; say
		// which were refused.
		rec.ErrorCode, rec.Error = "entries_refused", cut(fmt.Sprintf("%d refused: %s", len(refused), strings.Join(refused, "; ")), 500)
	}
}

// fetchAlert fetches the alert an entry links to, at u.
func (p *Poller) fetchAlert(ctx context.Context, u string) (*cap.Alert, error) {
	rctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Failure{Code: "bad_url", Msg: err.Error()}
	}
	req.Header.Set("Accept", "application/cap+xml, application/xml;q=0.9, text/xml;q=0.8")
	resp, err := p.o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Failure{Code: "http_status", Msg: fmt.Sprintf("%s: HTTP %d", u, resp.StatusCode)}
	}
	return cap.ParseAlert(resp.Body, cap.Options{Limit: p.o.MaxBytes})
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
