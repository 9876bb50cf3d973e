package store

import (
	"context"
	"errors"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// freezingProxy forwards a Unix socket to PostgreSQL's until frozen; then
// it forwards nothing more and closes nothing, as a machine that lost its
// power or its network looks to the database: no FIN, no RST.
type freezingProxy struct {
	dir    string // its socket is dir/.s.PGSQL.5432
	frozen chan struct{}
	ln     net.Listener
}

func startFreezingProxy(t *testing.T, pgDir string) *freezingProxy {
	t.Helper()
	dir, err := os.MkdirTemp("", "pano-probe-") // short: a socket path has ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, ".s.PGSQL.5432"))
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{dir: dir, frozen: make(chan struct{}), ln: ln}
	var held []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	pump := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			select {
			case <-p.frozen:
				return // and close nothing
			default:
			}
			if n > 0 {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("unix", filepath.Join(pgDir, ".s.PGSQL.5432"))
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			held = append(held, c, up)
			mu.Unlock()
			go pump(up, c)
			go pump(c, up)
		}
	}()
	return p
}

// TestLeadMovesWhenTheLeadersMachineVanishes: the leader's machine loses
// power (or its network): its lead session is never closed, so PostgreSQL
// keeps the advisory lock until TCP keepalive gives up on the connection
// (hours by default; never on a Unix socket). No other replica takes the
// lead meanwhile: no plans are compiled, nothing renders, no CAP feed is
// polled. SCALE-OUT.md promises the lead moves "within a second when it
// dies"; that holds only for a process killed on a live machine.
func TestLeadMovesWhenTheLeadersMachineVanishes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	p := startFreezingProxy(t, u.Query().Get("host"))
	q := u.Query()
	q.Set("host", p.dir)
	u.RawQuery = q.Encode()
	dir := t.TempDir()
	a, err := OpenPostgres(ctx, dir, u.String()) // through the proxy
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenPostgres(ctx, dir, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lostA, _, err := a.Lead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	close(p.frozen) // A's machine is gone
	select {
	case <-lostA:
	case <-time.After(10 * time.Second):
		t.Fatal("A did not notice")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, release, err := b.Lead(ctx)
		if err == nil {
			release()
			t.Logf("B leads")
			return
		}
		if !errors.Is(err, ErrLeadTaken) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("20 s after the leader's machine vanished, no other replica can lead: the database still holds its lock")
		}
		time.Sleep(500 * time.Millisecond)
	}
}
