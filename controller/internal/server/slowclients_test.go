package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// testLimits are ClientLimits short enough for a test.
var testLimits = ClientLimits{
	HeaderTimeout: 2 * time.Second,
	IdleTimeout:   300 * time.Millisecond,
	SmallBody:     1 << 10,
	SmallTimeout:  300 * time.Millisecond,
	Floor:         16 << 10,
	Window:        400 * time.Millisecond,
}

// serveSlow serves h as the controller does (NewHTTPServer on a
// LimitListener) on a real loopback socket and returns its address.
func serveSlow(t *testing.T, h http.Handler, l ClientLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv := NewHTTPServer(h, log, l)
	go srv.Serve(LimitListener(ln, log, l))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// readAllBody answers how many bytes the body had, or 408 when it came
// too slowly, as the API's handlers do.
var readAllBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if errors.Is(err, ErrBodyTooSlow) {
		http.Error(w, err.Error(), http.StatusRequestTimeout)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "%d", n)
})

// trickle opens a connection, sends a request's headers declaring length
// bytes of body (-1: chunked), then one byte every 50 ms, and returns how
// long it took the server to close the connection (fail after max).
func trickle(t *testing.T, addr string, length int, max time.Duration) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hdr := "POST /agent/v1/enroll HTTP/1.1\r\nHost: pano\r\nContent-Type: application/json\r\n"
	if length >= 0 {
		hdr += fmt.Sprintf("Content-Length: %d\r\n\r\n", length)
	} else {
		hdr += "Transfer-Encoding: chunked\r\n\r\n"
	}
	if _, err := io.WriteString(c, hdr); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c) // the answer, if any, then EOF when closed
		close(closed)
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(max)
	for {
		select {
		case <-closed:
			return time.Since(began)
		case <-deadline:
			t.Fatalf("a client trickling one byte every 50 ms was still connected after %s", max)
		case <-tick.C:
			b := "{"
			if length < 0 {
				b = "1\r\n{\r\n"
			}
			c.Write([]byte(b)) // fails once the server has closed; the reader tells
		}
	}
}

// A client that trickles its body is cut within the bound: a small body
// within SmallTimeout, any other (declared large or chunked) when a window
// passes without its due bytes.
func TestTricklingBodyIsCutWithinTheBound(t *testing.T) {
	addr := serveSlow(t, readAllBody, testLimits)
	if d := trickle(t, addr, 100, 5*time.Second); d > testLimits.SmallTimeout+time.Second {
		t.Errorf("small body: cut after %s, bound %s", d, testLimits.SmallTimeout)
	}
	if d := trickle(t, addr, 10<<20, 5*time.Second); d > testLimits.Window+time.Second {
		t.Errorf("large body: cut after %s, bound %s", d, testLimits.Window)
	}
	if d := trickle(t, addr, -1, 5*time.Second); d > testLimits.Window+time.Second {
		t.Errorf("chunked body: cut after %s, bound %s", d, testLimits.Window)
	}
}

// An upload slow but above the floor (1.25 × 16 KiB/s, over five windows)
// arrives whole, and the handler may take longer than any bound after
// reading it.
func TestSlowButHonestUploadCompletes(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		readAllBody(w, r)
		time.Sleep(2 * testLimits.Window) // processing after the body: no deadline applies
	})
	addr := serveSlow(t, h, testLimits)
	rate := testLimits.Floor * 5 / 4
	chunk := int(rate / 20) // 20 writes a second
	total := int(float64(rate) * 5 * testLimits.Window.Seconds())
	pr, pw := io.Pipe()
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		buf := make([]byte, chunk)
		for sent := 0; sent < total; sent += chunk {
			<-tick.C
			if _, err := pw.Write(buf[:min(chunk, total-sent)]); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/media", pr)
	req.ContentLength = int64(total)
	began := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(got) != fmt.Sprint(total) {
		t.Fatalf("upload of %d bytes at %d B/s: %d %s", total, rate, resp.StatusCode, got)
	}
	t.Logf("%d bytes at %.1f KiB/s in %s", total, float64(rate)/1024, time.Since(began).Round(time.Millisecond))
}

// Websockets and event streams are not cut by any of these deadlines: a
// websocket idle for longer than every bound still carries a message, and
// a stream that writes for longer than every bound is read to its end.
func TestLongLivedConnectionsOutliveTheDeadlines(t *testing.T) {
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/agent/v1/ws", func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			mt, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			ws.WriteMessage(mt, msg)
		}
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 10; i++ {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(testLimits.Window / 4)
		}
	})
	addr := serveSlow(t, mux, testLimits)

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/agent/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	time.Sleep(3 * max(testLimits.IdleTimeout, testLimits.SmallTimeout, testLimits.Window)) // idle on purpose
	if err := ws.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "hello" {
		t.Fatalf("websocket after idling: %q %v", msg, err)
	}

	resp, err := http.Get("http://" + addr + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("event stream: %d of 10 events (%v)", n, sc.Err())
	}
}

// With hundreds of tricklers connected from one address, that address
// holds at most PerAddress connections (the rest are closed as soon as
// they are accepted), and /healthz from another address still answers.
func TestHealthzAnswersWhileTricklersAreConnected(t *testing.T) {
	l := testLimits
	l.SmallTimeout = time.Minute // the tricklers stay for the whole test
	l.Total, l.PerAddress = 100, 25
	mux := http.NewServeMux()
	mux.Handle("/agent/v1/enroll", readAllBody)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	addr := serveSlow(t, mux, l)
	other := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	conns := make([]net.Conn, 300)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := other.Dial("tcp", addr)
			if err != nil {
				t.Errorf("trickler %d: %v", i, err)
				return
			}
			conns[i] = c
			io.WriteString(c, "POST /agent/v1/enroll HTTP/1.1\r\nHost: pano\r\nContent-Length: 100\r\n\r\n{")
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	cl := &http.Client{Timeout: 2 * time.Second}
	for i := 0; i < 5; i++ {
		resp, err := cl.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("healthz with 300 tricklers: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("healthz: %d %s", resp.StatusCode, b)
		}
	}
	// Which tricklers does the server still hold? A closed one reads EOF;
	// a held one reads nothing until the deadline.
	open := 0
	for _, c := range conns {
		if c == nil {
			continue
		}
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		var ne net.Error
		if _, err := c.Read(make([]byte, 1)); errors.As(err, &ne) && ne.Timeout() {
			open++
		}
	}
	if open > l.PerAddress {
		t.Fatalf("one address holds %d connections; the cap is %d", open, l.PerAddress)
	}
	t.Logf("of 300 tricklers from one address, %d held (cap %d)", open, l.PerAddress)
}
