package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Issue 12.2 against the real binary with a small open-file limit: 300
// clients from one address trickling enrolment requests do not leave
// /healthz unanswered (before, accept4 failed with "too many open files"),
// and a trickler is cut within the small-body bound (10 s).
func TestControllerWithFewFilesAnswersHealthzWhileTricklersAreConnected(t *testing.T) {
	controllerBin, _ := buildBinaries(t)
	p := start(t, "/bin/sh", "-c", `ulimit -n 256 && exec "$0" serve --listen 127.0.0.1:0 --data "$1"`, controllerBin, t.TempDir())
	addr := listeningRe.FindStringSubmatch(p.waitLine(t, listeningRe, 1))[1]

	other := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	conns := make([]net.Conn, 300)
	began := time.Now()
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := other.Dial("tcp", addr)
			if err != nil {
				return // refused is fine: the point is that healthz is not
			}
			conns[i] = c
			io.WriteString(c, "POST /agent/v1/enroll HTTP/1.1\r\nHost: pano\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
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
	cl := &http.Client{Timeout: 3 * time.Second}
	for i := 0; i < 3; i++ {
		resp, err := cl.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("healthz with 300 tricklers connected: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
	}
	// The tricklers the controller held are cut once 10 s have passed.
	for _, c := range conns {
		if c == nil {
			continue
		}
		c.SetReadDeadline(began.Add(15 * time.Second))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("a trickler was still connected %s after it began", time.Since(began).Round(time.Second))
		}
	}
	t.Logf("300 tricklers: all cut or refused within %s", time.Since(began).Round(100*time.Millisecond))
	if p.waitLine(t, regexp.MustCompile(`too many connections`), 1) == "" {
		t.Fatal("no warning about refused connections")
	}
}
