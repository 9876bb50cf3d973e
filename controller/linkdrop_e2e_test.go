package main

import (
	"bytes"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flakyLink is a TCP proxy between an agent and its controller that can cut
// the link: close every connection and refuse new ones for a while, as a
// dropped mobile link does. Connections whose first request fetches an asset
// are throttled (rate bytes per second towards the agent, 0: not at all), so
// a download lasts long enough to be cut in the middle.
type flakyLink struct {
	t        *testing.T
	upstream string
	ln       net.Listener
	rate     atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]bool
	down   bool
	assets int64         // bytes forwarded towards the agent on asset connections
	midway chan struct{} // closed once an asset connection has carried midwayAt bytes
	midAt  int64
}

func newFlakyLink(t *testing.T, upstream string) *flakyLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &flakyLink{t: t, upstream: upstream, ln: ln, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); l.closeAll() })
	go l.accept()
	return l
}

func (l *flakyLink) addr() string { return l.ln.Addr().String() }

func (l *flakyLink) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.down {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.conns[c] = true
		l.mu.Unlock()
		go l.serve(c)
	}
}

func (l *flakyLink) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return false
	}
	l.conns[c] = true
	return true
}

func (l *flakyLink) serve(c net.Conn) {
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
	asset := bytes.Contains(first[:n], []byte("/agent/v1/assets/"))
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

func (l *flakyLink) forwarded(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.assets += n
	if l.midway != nil && l.assets >= l.midAt {
		close(l.midway)
		l.midway = nil
	}
}

// afterAssetBytes is closed once n more bytes of assets have gone towards
// the agent.
func (l *flakyLink) afterAssetBytes(n int64) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	l.midway, l.midAt = ch, l.assets+n
	return ch
}

func (l *flakyLink) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
	clear(l.conns)
}

// cut drops every connection and refuses new ones for d; it returns at
// once, and the channel is closed when the link is back.
func (l *flakyLink) cut(d time.Duration) <-chan struct{} {
	l.mu.Lock()
	l.down = true
	l.mu.Unlock()
	l.closeAll()
	back := make(chan struct{})
	time.AfterFunc(d, func() {
		l.mu.Lock()
		l.down = false
		l.mu.Unlock()
		close(back)
	})
	return back
}

// TestDownloadCutByALinkDropResumesOnReconnect: a link drop of one second
// in the middle of a download delays the new content by the drop and the
// reconnect, not until the agent's next periodic resync (5 minutes); and
// the agent's log says how many bytes arrived before the cut.
func TestDownloadCutByALinkDropResumesOnReconnect(t *testing.T) {
	e := newRuntimeEnv(t)
	id := e.display("cau-moi", 128, 64)
	e.rotation(id, 50, 60_000, "Lịch tiêm chủng tháng 12")
	link := newFlakyLink(t, e.addr)
	ag, _ := e.agentVia(link.addr(), "cau-moi", 128, 64, "virtual", nil)
	ag.waitLine(t, regexp.MustCompile(`msg="content synced"`), 1)

	// New content, downloaded slowly: 1 KiB/s makes a rendition of a few
	// kilobytes last seconds.
	link.rate.Store(1 << 10)
	midway := link.afterAssetBytes(600) // past the response's headers
	e.rotation(id, 60, 60_000, "Thông báo: cắt điện khu vực chợ từ 8 giờ đến 11 giờ ngày 5/12")
	newPlan := regexp.MustCompile(`msg="new plan" revision=(\d+) entries=2 `)
	rev := newPlan.FindStringSubmatch(ag.waitLine(t, newPlan, 1))[1]
	select {
	case <-midway:
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not start downloading the new content within 30 s")
	}
	back := link.cut(time.Second)
	<-back
	reconnected := time.Now()
	link.rate.Store(0)
	ag.waitLine(t, regexp.MustCompile(`msg="content synced" revision=`+rev+` `), 1)
	took := time.Since(reconnected)
	t.Logf("the new content arrived %v after the link came back", took.Round(time.Millisecond))
	// Reconnecting takes up to ~2 s of backoff (0.5 s, 1 s, with jitter,
	// while the link refuses); the rest of the download well under a second.
	if took > 8*time.Second {
		t.Fatalf("the new content arrived %v after the link came back; want it within seconds", took)
	}
	cutRe := regexp.MustCompile(`cut after (\d+) bytes arrived`)
	line := ag.waitLine(t, cutRe, 1)
	if n, _ := strconv.Atoi(cutRe.FindStringSubmatch(line)[1]); n == 0 {
		t.Fatalf("the log says nothing arrived before the cut, but the link had carried part of the body: %s", line)
	}
}
