// Package cutlink is a TCP proxy between agents and their controller that
// can cut the link — close every connection and refuse new ones, as a
// dropped mobile link does — and throttle asset downloads, so that a
// download lasts long enough to be cut or killed in the middle. The fault
// harness and the end-to-end tests put it in front of a controller.
package cutlink

import (
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// Link is a running proxy.
type Link struct {
	upstream string
	ln       net.Listener
	rate     atomic.Int64 // bytes a second towards the agent on asset connections; 0: not throttled

	mu     sync.Mutex
	conns  map[net.Conn]bool
	down   bool
	assets int64         // bytes forwarded towards agents on asset connections
	midway chan struct{} // closed once assets reaches midAt
	midAt  int64
}

// New listens on a free loopback port and forwards to upstream (host:port).
func New(upstream string) (*Link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Link{upstream: upstream, ln: ln, conns: map[net.Conn]bool{}}
	go l.accept()
	return l, nil
}

// Addr is where agents connect instead of the controller.
func (l *Link) Addr() string { return l.ln.Addr().String() }

// Close stops listening and closes every connection.
func (l *Link) Close() { l.ln.Close(); l.closeAll() }

// SetRate throttles connections whose first request fetches an asset to
// bytesPerSecond towards the agent (0: not at all); it applies at once,
// also in the middle of a response.
func (l *Link) SetRate(bytesPerSecond int64) { l.rate.Store(bytesPerSecond) }

// Cut drops every connection and refuses new ones until Restore.
func (l *Link) Cut() {
	l.mu.Lock()
	l.down = true
	l.mu.Unlock()
	l.closeAll()
}

// Restore lets connections through again.
func (l *Link) Restore() {
	l.mu.Lock()
	l.down = false
	l.mu.Unlock()
}

// AfterAssetBytes is closed once n more bytes of assets have gone towards
// the agents.
func (l *Link) AfterAssetBytes(n int64) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	l.midway, l.midAt = ch, l.assets+n
	return ch
}

func (l *Link) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		if !l.track(c) {
			c.Close()
			continue
		}
		go l.serve(c)
	}
}

func (l *Link) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return false
	}
	l.conns[c] = true
	return true
}

func (l *Link) serve(c net.Conn) {
	defer c.Close()
	u, err := net.Dial("tcp", l.upstream)
	if err != nil || !l.track(u) {
		if u != nil {
			u.Close()
		}
		return
	}
	defer u.Close()
	first := make([]byte, 4096)
	n, err := c.Read(first)
	if err != nil {
		return
	}
	asset := bytes.Contains(first[:n], []byte(protocol.AssetsPath))
	if _, err := u.Write(first[:n]); err != nil {
		return
	}
	go io.Copy(u, c)
	buf := make([]byte, 32<<10)
	for {
		n, err := u.Read(buf)
		for out := buf[:n]; len(out) > 0; {
			// The rate is read for every piece, so a throttle set in the
			// middle of a response applies at once.
			piece, rate := out, l.rate.Load()
			if asset && rate > 0 {
				piece = out[:min(len(out), int(max(1, rate/20)))] // 20 pieces a second
			}
			if _, werr := c.Write(piece); werr != nil {
				return
			}
			out = out[len(piece):]
			if asset {
				l.forwarded(int64(len(piece)))
				if rate > 0 {
					<-time.After(50 * time.Millisecond) // the throttle itself
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (l *Link) forwarded(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.assets += n
	if l.midway != nil && l.assets >= l.midAt {
		close(l.midway)
		l.midway = nil
	}
}

func (l *Link) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
	clear(l.conns)
}
