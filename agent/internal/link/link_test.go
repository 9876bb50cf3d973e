package link

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// welcomer is a minimal controller: it welcomes every hello and closes
// the first connection right after, to make the client reconnect.
type welcomer struct {
	conns chan int // the number of each connection, as it is welcomed
	n     atomic.Int32
}

func (w *welcomer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer good" {
		http.Error(rw, "no", http.StatusUnauthorized)
		return
	}
	ws, err := (&websocket.Upgrader{}).Upgrade(rw, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	n := int(w.n.Add(1))
	if _, _, err := ws.ReadMessage(); err != nil { // hello
		return
	}
	env, _ := protocol.NewEnvelope(protocol.TypeWelcome, protocol.Welcome{HeartbeatSeconds: 1, SessionID: "s"}, time.Now())
	ws.WriteJSON(env)
	w.conns <- n
	if n == 1 {
		return // drop the first link
	}
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
}

func client(t *testing.T, url, credential string) *Client {
	t.Helper()
	c, err := New(Config{Controller: "ws" + strings.TrimPrefix(url, "http"), Name: "a", Panel: protocol.Panel{Width: 8, Height: 4},
		Credential: credential, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReconnectsAndStopsCleanly(t *testing.T) {
	w := &welcomer{conns: make(chan int, 4)}
	srv := httptest.NewServer(w)
	defer srv.Close()
	c := client(t, srv.URL, "good")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	for want := 1; want <= 2; want++ {
		select {
		case n := <-w.conns:
			if n != want {
				t.Fatalf("connection %d, want %d", n, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("connection %d never came", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}

func TestRefusedCredentialStops(t *testing.T) {
	srv := httptest.NewServer(&welcomer{conns: make(chan int, 4)})
	defer srv.Close()
	err := client(t, srv.URL, "stolen").Run(context.Background())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "enrol it again") {
		t.Fatalf("Run = %v, want ErrRefused", err)
	}
}
