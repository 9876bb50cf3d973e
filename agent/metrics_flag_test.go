package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// listeningTCP lists the TCP sockets this process listens on, from /proc:
// its descriptors' socket inodes matched against the kernel's tables.
func listeningTCP(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if inode, ok := strings.CutPrefix(target, "socket:["); err == nil && ok {
			mine[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue // no IPv6
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && fields[3] == "0A" && mine[fields[9]] { // 0A: LISTEN
				out = append(out, fields[1])
			}
		}
		f.Close()
	}
	return out
}

// TestMetricsFlag: without --metrics the agent listens on no port; with
// --metrics 127.0.0.1:0 it listens on one, says where, and serves its
// health there until it stops.
func TestMetricsFlag(t *testing.T) {
	if runtime.GOOS != "linux" {
		if os.Getenv("CI") == "true" {
			t.Fatal("the listener check reads /proc: run CI on Linux")
		}
		t.Skip("the listener check reads /proc (Linux)")
	}
	url := regexp.MustCompile(`url=(http://\S+/metrics)`)
	for _, tc := range []struct {
		name  string
		flags []string
		want  int // listening sockets while the agent runs
	}{
		{"off by default", nil, 0},
		{"on", []string{"--metrics", "127.0.0.1:0"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := listeningTCP(t); len(n) != 0 {
				t.Fatalf("the test process listens before the agent starts: %v", n)
			}
			w := &signalWriter{want: "agent started", found: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int)
			args := append([]string{"run", "--state", enrolledState(t, "ws://127.0.0.1:1")}, tc.flags...)
			go func() { done <- run(ctx, args, &bytes.Buffer{}, w) }()
			select {
			case <-w.found:
			case code := <-done:
				t.Fatalf("agent exited with %d:\n%s", code, w.buf.String())
			case <-time.After(20 * time.Second):
				t.Fatalf("agent not started within 20 s:\n%s", w.buf.String())
			}
			listening := listeningTCP(t)
			w.mu.Lock()
			logs := w.buf.String()
			w.mu.Unlock()
			m := url.FindStringSubmatch(logs)
			if len(listening) != tc.want || (m != nil) != (tc.want > 0) {
				t.Fatalf("listening on %v, metrics URL logged %v; want %d listener(s):\n%s", listening, m, tc.want, logs)
			}
			if m != nil {
				resp, err := http.Get(m[1])
				if err != nil {
					t.Fatal(err)
				}
				var body bytes.Buffer
				body.ReadFrom(resp.Body)
				resp.Body.Close()
				if !strings.Contains(body.String(), "pano_agent_driver_state{") || !strings.Contains(body.String(), "pano_agent_link_connected 0") {
					t.Fatalf("GET %s: %s\n%s", m[1], resp.Status, body.String())
				}
			}
			cancel()
			if code := <-done; code != 0 {
				t.Fatalf("exit code %d after stop", code)
			}
			if n := listeningTCP(t); len(n) != 0 {
				t.Fatalf("still listening after the agent stopped: %v", n)
			}
		})
	}
}

// TestMetricsFlagBusyPort: a --metrics address already taken stops the
// start with a message that says what to do.
func TestMetricsFlagBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"run", "--state", enrolledState(t, "ws://127.0.0.1:1"), "--metrics", ln.Addr().String()}, &bytes.Buffer{}, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--metrics \""+ln.Addr().String()) || !strings.Contains(stderr.String(), "address already in use") {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}
