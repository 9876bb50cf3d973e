package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// assetServer serves blobs the way the controller does: by hash, with Range
// and a strong ETag, behind a bearer token.
type assetServer struct {
	blobs    map[string][]byte
	requests atomic.Int32
	ranges   []string
	mu       sync.Mutex
}

func (s *assetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer secret" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	sha := strings.TrimPrefix(r.URL.Path, "/agent/v1/assets/")
	b, ok := s.blobs[sha]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", `"`+sha+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// cuttingProxy forwards TCP to upstream but closes each connection after
// passing limit bytes of response.
func cuttingProxy(t *testing.T, upstream string, limit int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer u.Close()
				go io.Copy(u, c)
				io.CopyN(c, u, limit)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func blob(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func newCache(t *testing.T, base string) *Cache {
	t.Helper()
	c, err := New(t.TempDir(), base, func() string { return "secret" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFetchVerifiesAndStores(t *testing.T) {
	data := blob(100_000)
	sha := hashOf(data)
	srv := &assetServer{blobs: map[string][]byte{sha: data}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := newCache(t, ts.URL)
	var got atomic.Int64
	if err := c.Fetch(context.Background(), sha, func(n int64) { got.Add(n) }); err != nil {
		t.Fatal(err)
	}
	stored, _ := os.ReadFile(c.Path(sha))
	if !bytes.Equal(stored, data) || !c.Has(sha) || got.Load() != int64(len(data)) {
		t.Fatalf("stored %d bytes, progress %d", len(stored), got.Load())
	}
	// Cached: no second request.
	if err := c.Fetch(context.Background(), sha, nil); err != nil || srv.requests.Load() != 1 {
		t.Fatalf("second fetch: %v, %d requests", err, srv.requests.Load())
	}
}

func TestDownloadCutMidwayResumesWithRange(t *testing.T) {
	data := blob(300_000)
	sha := hashOf(data)
	srv := &assetServer{blobs: map[string][]byte{sha: data}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	// Each connection carries at most ~120 kB (headers included) before the
	// proxy cuts it.
	c := newCache(t, cuttingProxy(t, ts.Listener.Addr().String(), 120_000))
	var err error
	attempts := 0
	for attempts = 1; attempts <= 10; attempts++ {
		if err = c.Fetch(context.Background(), sha, nil); err == nil {
			break
		}
		if !strings.Contains(err.Error(), "cut after") && !strings.Contains(err.Error(), "EOF") {
			t.Fatalf("attempt %d: %v", attempts, err)
		}
		if c.PartialSize(sha) == 0 {
			t.Fatalf("attempt %d kept nothing to resume from", attempts)
		}
	}
	if err != nil {
		t.Fatalf("never completed: %v", err)
	}
	if attempts < 3 {
		t.Fatalf("completed in %d attempts; the proxy should have cut at least twice", attempts)
	}
	stored, _ := os.ReadFile(c.Path(sha))
	if !bytes.Equal(stored, data) {
		t.Fatal("resumed file differs")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.ranges[0] != "" || !strings.HasPrefix(srv.ranges[1], "bytes=") {
		t.Fatalf("ranges asked: %q", srv.ranges)
	}
}

func TestCorruptDownloadIsRefusedAndRemoved(t *testing.T) {
	data := blob(10_000)
	sha := hashOf(data)
	bad := append([]byte(nil), data...)
	bad[5000] ^= 0xff
	ts := httptest.NewServer(&assetServer{blobs: map[string][]byte{sha: bad}})
	defer ts.Close()
	c := newCache(t, ts.URL)
	err := c.Fetch(context.Background(), sha, nil)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if c.Has(sha) || c.PartialSize(sha) != 0 {
		t.Fatal("a corrupt download was kept")
	}
}

func TestFetchErrors(t *testing.T) {
	ts := httptest.NewServer(&assetServer{blobs: map[string][]byte{}})
	defer ts.Close()
	c := newCache(t, ts.URL)
	if err := c.Fetch(context.Background(), strings.Repeat("a", 64), nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing asset: %v", err)
	}
	if err := c.Fetch(context.Background(), "../../etc/passwd", nil); err == nil || !strings.Contains(err.Error(), "not a SHA-256") {
		t.Fatalf("bad name: %v", err)
	}
}

func TestVerifyRemovesRottenFiles(t *testing.T) {
	data := blob(1000)
	sha := hashOf(data)
	ts := httptest.NewServer(&assetServer{blobs: map[string][]byte{sha: data}})
	defer ts.Close()
	c := newCache(t, ts.URL)
	if err := c.Fetch(context.Background(), sha, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(c.Path(sha), []byte("rotten"), 0o600)
	bad, _ := c.Verify()
	if len(bad) != 1 || c.Has(sha) {
		t.Fatalf("verify removed %v", bad)
	}
}

func TestEvictKeepsWhatThePlanNeeds(t *testing.T) {
	blobs := map[string][]byte{}
	var order []string
	for i := 0; i < 4; i++ {
		b := blob(1000 + i)
		sha := hashOf(b)
		blobs[sha] = b
		order = append(order, sha)
	}
	ts := httptest.NewServer(&assetServer{blobs: blobs})
	defer ts.Close()
	c := newCache(t, ts.URL)
	base := time.Now().Add(-time.Hour)
	for i, sha := range order {
		if err := c.Fetch(context.Background(), sha, nil); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(c.Path(sha), base.Add(time.Duration(i)*time.Minute), base.Add(time.Duration(i)*time.Minute))
	}
	keep := map[string]bool{order[0]: true, order[3]: true}
	// Quota for about two files: the oldest unneeded (order[1]) goes first.
	removed := c.Evict(keep, 2100)
	if removed != 2 || !c.Has(order[0]) || c.Has(order[1]) || c.Has(order[2]) || !c.Has(order[3]) {
		t.Fatalf("removed %d; has %v %v %v %v", removed, c.Has(order[0]), c.Has(order[1]), c.Has(order[2]), c.Has(order[3]))
	}
	// Needed files stay even over quota.
	if c.Evict(keep, 0) != 0 || !c.Has(order[0]) || !c.Has(order[3]) {
		t.Fatal("evicted a needed file")
	}
}

// TestCutDownloadSaysHowManyBytesArrived: the error of a cut download tells
// what this attempt received, not the offset it resumed from, so a log of
// link drops shows whether downloads make progress.
func TestCutDownloadSaysHowManyBytesArrived(t *testing.T) {
	data := blob(300_000)
	sha := hashOf(data)
	srv := &assetServer{blobs: map[string][]byte{sha: data}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := newCache(t, cuttingProxy(t, ts.Listener.Addr().String(), 120_000))
	var before int64
	for attempt := 1; attempt <= 2; attempt++ {
		err := c.Fetch(context.Background(), sha, nil)
		if err == nil {
			t.Fatalf("attempt %d completed; the proxy should have cut it", attempt)
		}
		after := c.PartialSize(sha)
		want := fmt.Sprintf("cut after %d bytes arrived (%d on disk", after-before, after)
		if after <= before || !strings.Contains(err.Error(), want) {
			t.Fatalf("attempt %d: %d bytes on disk before, %d after; error %q, want it to contain %q", attempt, before, after, err, want)
		}
		before = after
	}
}

// TestSilentDownloadIsAbandoned: a link that goes silent without closing
// (nothing arrives, no reset) ends the download after the idle timeout,
// keeping what arrived, rather than holding it for TCP's own quarter of an
// hour while the agent reconnects around it.
func TestSilentDownloadIsAbandoned(t *testing.T) {
	data := blob(100_000)
	sha := hashOf(data)
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data[:1000])
		w.(http.Flusher).Flush()
		select { // silent from here on, connection open
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	defer close(release) // before ts.Close, which waits for the handler
	c := newCache(t, ts.URL)
	c.IdleTimeout = 200 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- c.Fetch(context.Background(), sha, nil) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "nothing arrived for 200ms") {
			t.Fatalf("Fetch = %v; want it abandoned for silence", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a silent download still hangs after 10 s (idle timeout 200 ms)")
	}
	if n := c.PartialSize(sha); n != 1000 {
		t.Fatalf("%d bytes kept to resume from, want the 1000 that arrived", n)
	}
}
