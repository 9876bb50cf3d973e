package main

import (
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// proxy forwards TCP connections to upstream, holding each chunk it reads
// for base ± jitter (uniform) in each direction before passing it on. A
// chunk never overtakes the one before it (TCP keeps order), so a chunk
// drawn a shorter delay than its predecessor leaves right after it.
type proxy struct {
	ln       net.Listener
	upstream string
	base     time.Duration
	jitter   time.Duration

	mu  sync.Mutex
	rnd *rand.Rand
}

func newProxy(upstream string, base, jitter time.Duration, seed uint64) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, upstream: upstream, base: base, jitter: jitter, rnd: newRand(seed)}
	go p.serve()
	return p, nil
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func (p *proxy) addr() string { return p.ln.Addr().String() }

// close stops accepting; open connections end with their peers.
func (p *proxy) close() { p.ln.Close() }

func (p *proxy) delay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.jitter <= 0 {
		return p.base
	}
	return p.base - p.jitter + time.Duration(p.rnd.Int64N(int64(2*p.jitter)+1))
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", p.upstream)
			if err != nil {
				return
			}
			defer u.Close()
			done := make(chan struct{})
			go func() { p.pipe(u, c); close(done) }()
			p.pipe(c, u)
			<-done
		}()
	}
}

type chunk struct {
	b  []byte
	at time.Time // when it may leave
}

// pipe copies src to dst chunk by chunk, each delayed; at the end of src it
// half-closes dst, and on a write error it closes both.
func (p *proxy) pipe(dst, src net.Conn) {
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		var last time.Time
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				at := time.Now().Add(p.delay())
				if at.Before(last) {
					at = last // order first: wait for the chunk ahead
				}
				last = at
				q <- chunk{buf[:n], at}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Until(c.at); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(c.b); err != nil {
			dst.Close()
			src.Close()
			for range q { // let the reader finish
			}
			return
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}
