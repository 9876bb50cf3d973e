package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/gorilla/websocket"
	"github.com/pano-signage/pano/controller/internal/childproc"
)

// peerRun is one peer's deliveries of a message to every client: when each
// got it, and the server's memory before and after the clients connected.
type peerRun struct {
	size       int
	mu         sync.Mutex
	got        []time.Time // this round's arrivals
	want       []byte      // this round's message; a warm-up message comes first
	warm       []byte
	warmed     int
	rss0, rss1 int64
}

// peerRounds is how many messages a peer delivers, one at a time: its line
// is the round of median max_ms, since one delivery of a few milliseconds
// is at the mercy of whatever else the machine runs.
const peerRounds = 3

func newPeerRun(n, size int) *peerRun {
	return &peerRun{size: size, got: make([]time.Time, n), warm: payload(16, 'w')}
}

// round starts delivery k: a fresh message, no arrivals yet.
func (r *peerRun) round(k int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.got)
	r.want = payload(r.size, byte('a'+k))
	return r.want
}

// delivery is one round's arrivals in ms after t0, sorted.
type delivery []float64

func (r *peerRun) delivery(t0 time.Time) delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := make(delivery, 0, len(r.got))
	for _, at := range r.got {
		d = append(d, ms(at.Sub(t0)))
	}
	slices.Sort(d)
	return d
}

func (d delivery) max() float64 { return d[len(d)-1] }

// deliver runs the rounds with send and returns the median one.
func (r *peerRun) deliver(send func([]byte) error) (delivery, error) {
	var ds []delivery
	for k := 0; k < peerRounds; k++ {
		msg := r.round(k)
		t0 := time.Now()
		if err := send(msg); err != nil {
			return nil, err
		}
		if err := r.wait("delivery", time.Minute, func() bool { return !slices.ContainsFunc(r.got, time.Time.IsZero) }); err != nil {
			return nil, err
		}
		ds = append(ds, r.delivery(t0))
	}
	slices.SortFunc(ds, func(a, b delivery) int { return cmp.Compare(a.max(), b.max()) })
	return ds[len(ds)/2], nil
}

// payload is a message of size bytes of JSON-like text (no spaces: the
// gorilla hub trims them).
func payload(size int, fill byte) []byte {
	p := bytes.Repeat([]byte{fill}, max(size, 8))
	p[0], p[len(p)-1] = '{', '}'
	return p
}

// receive notes client i's message.
func (r *peerRun) receive(i int, msg []byte) {
	at := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	// The gorilla hub may put queued messages in one frame; count each.
	for _, m := range bytes.Split(msg, []byte{'\n'}) {
		switch {
		case bytes.Equal(m, r.warm):
			r.warmed++
		case bytes.Equal(m, r.want) && r.got[i].IsZero():
			r.got[i] = at
		}
	}
}

// wait waits until cond holds (read under the lock).
func (r *peerRun) wait(what string, within time.Duration, cond func() bool) error {
	deadline := time.Now().Add(within)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not done within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// report prints the peer's line.
func (b *bench) report(name string, r *peerRun, d delivery) {
	maxMS := d.max()
	ratio := 0.0
	if maxMS > 0 {
		ratio = b.result.noticeMax / maxMS
	}
	fmt.Fprintf(b.out, "peer=%s agents=%d bytes=%d max_ms=%.1f p99_ms=%.1f p50_ms=%.1f kib_per_conn=%.2f ratio=%.1f\n",
		name, len(r.got), r.size, maxMS, pct(d, 99), pct(d, 50), float64(r.rss1-r.rss0)/float64(len(r.got)), ratio)
}

func (b *bench) peerSize() int {
	if b.result.msgBytes > 0 {
		return b.result.msgBytes
	}
	return 1024
}

var hubListening = regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)

// runGorilla delivers one message through the chat-example hub.
func (b *bench) runGorilla() error {
	p, err := childproc.Start(filepath.Join(b.dir, "gorillahub.log"), nil, filepath.Join(b.dir, "gorillahub"), "-listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	b.procs = append(b.procs, p)
	line, err := p.WaitLine(hubListening, 30*time.Second)
	if err != nil {
		return err
	}
	url := "ws://" + hubListening.FindStringSubmatch(line)[1] + "/ws"
	n := b.cfg.agents
	r := newPeerRun(n, b.peerSize())
	if r.rss0, err = rssKiB(p.PID()); err != nil {
		return err
	}
	conns := make([]*websocket.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err := parallel(n, b.cfg.dials, func(i int) error {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: sourceIPs[i%len(sourceIPs)]}, Timeout: 10 * time.Second}
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: nd.DialContext}
		c, _, err := d.Dial(url, nil)
		if err != nil {
			return err
		}
		conns[i] = c
		go func() {
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				r.receive(i, msg)
			}
		}()
		return nil
	}); err != nil {
		return err
	}
	pub, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return err
	}
	defer pub.Close()
	go func() { // the publisher's own copies
		for {
			if _, _, err := pub.ReadMessage(); err != nil {
				return
			}
		}
	}()
	// A warm-up message reaches everyone once every client is registered
	// with the hub (it registers after the upgrade answer is written).
	if err := pub.WriteMessage(websocket.TextMessage, r.warm); err != nil {
		return err
	}
	if err := r.wait("warm-up", time.Minute, func() bool { return r.warmed >= n }); err != nil {
		return err
	}
	if r.rss1, err = rssKiB(p.PID()); err != nil {
		return err
	}
	d, err := r.deliver(func(msg []byte) error { return pub.WriteMessage(websocket.TextMessage, msg) })
	if err != nil {
		return err
	}
	b.report("gorilla-hub", r, d)
	return nil
}

// runMosquitto delivers one QoS 0 publish through Mosquitto to a
// subscriber per client.
func (b *bench) runMosquitto() error {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/mosquitto"); e != nil {
			return fmt.Errorf("mosquitto is not installed (apt-get install mosquitto; make deps does): %w", err)
		}
		bin = "/usr/sbin/mosquitto"
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	conf := filepath.Join(b.dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(
		"allow_duplicate_messages true\nlistener %d 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\n", port)), 0o644); err != nil {
		return err
	}
	p, err := childproc.Start(filepath.Join(b.dir, "mosquitto.log"), nil, bin, "-c", conf)
	if err != nil {
		return err
	}
	b.procs = append(b.procs, p)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitListening(addr, p, 10*time.Second); err != nil {
		return err
	}
	n := b.cfg.agents
	r := newPeerRun(n, b.peerSize())
	if r.rss0, err = rssKiB(p.PID()); err != nil {
		return err
	}
	const topic = "pano/notice"
	clients := make([]mqtt.Client, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Disconnect(0)
			}
		}
	}()
	connect := func(id string, local net.IP, handler mqtt.MessageHandler) (mqtt.Client, error) {
		o := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetCleanSession(true).
			SetAutoReconnect(false).SetConnectRetry(false).SetKeepAlive(60 * time.Second).
			SetDialer(&net.Dialer{LocalAddr: &net.TCPAddr{IP: local}, Timeout: 10 * time.Second})
		c := mqtt.NewClient(o)
		if t := c.Connect(); !t.WaitTimeout(30*time.Second) || t.Error() != nil {
			return nil, fmt.Errorf("connect %s: %v", id, t.Error())
		}
		if handler != nil {
			if t := c.Subscribe(topic, 0, handler); !t.WaitTimeout(30*time.Second) || t.Error() != nil {
				return c, fmt.Errorf("subscribe %s: %v", id, t.Error())
			}
		}
		return c, nil
	}
	if err := parallel(n, b.cfg.dials, func(i int) error {
		c, err := connect(fmt.Sprintf("lg-%05d", i), sourceIPs[i%len(sourceIPs)], func(_ mqtt.Client, m mqtt.Message) {
			r.receive(i, m.Payload())
		})
		clients[i] = c
		return err
	}); err != nil {
		return err
	}
	pub, err := connect("lg-publisher", net.IPv4(127, 0, 0, 1), nil)
	if err != nil {
		return err
	}
	defer pub.Disconnect(0)
	publish := func(msg []byte) error {
		t := pub.Publish(topic, 0, false, msg)
		t.Wait()
		return t.Error()
	}
	if err := publish(r.warm); err != nil {
		return err
	}
	if err := r.wait("warm-up", time.Minute, func() bool { return r.warmed >= n }); err != nil {
		return err
	}
	if r.rss1, err = rssKiB(p.PID()); err != nil {
		return err
	}
	d, err := r.deliver(publish)
	if err != nil {
		return err
	}
	b.report("mosquitto", r, d)
	return nil
}

// parallel runs f(0…n-1) with at most k at once and returns the first error.
func parallel(n, k int, f func(i int) error) error {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sem := make(chan struct{}, k)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(i); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts a connection (Mosquitto says
// nothing on stdout when it is ready).
func waitListening(addr string, p *childproc.Proc, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.Done:
			return fmt.Errorf("exited before listening on %s", addr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %v", addr, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
