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

// replacer welcomes every hello and then closes the link the way the
// controller does when a newer link of the same display connects.
type replacer struct{ dials atomic.Int32 }

func (rp *replacer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	ws, err := (&websocket.Upgrader{}).Upgrade(rw, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	rp.dials.Add(1)
	if _, _, err := ws.ReadMessage(); err != nil { // hello
		return
	}
	env, _ := protocol.NewEnvelope(protocol.TypeWelcome, protocol.Welcome{HeartbeatSeconds: 1, SessionID: "s"}, time.Now())
	ws.WriteJSON(env)
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(protocol.CloseReplaced, "a newer connection of this display took over"), time.Now().Add(time.Second))
	ws.ReadMessage() // until the client closes
}

// Two agents with one credential would take the link from each other in a
// loop if the one replaced dialled again: it stays off the link instead,
// says why, and does not exit (a supervisor would restart it into the loop).
func TestReplacedAgentStaysOffTheLink(t *testing.T) {
	rp := &replacer{}
	srv := httptest.NewServer(rp)
	defer srv.Close()
	c := client(t, srv.URL, "good")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for {
		ch := c.Changed()
		if st := c.State(); strings.Contains(st.LastError, "another agent") {
			break
		}
		select {
		case <-ch:
		case err := <-done:
			t.Fatalf("Run ended on its own (%v): a supervisor would restart it into a loop", err)
		case <-deadline:
			t.Fatalf("state never said the link was taken: %+v (dials %d)", c.State(), rp.dials.Load())
		}
	}
	// The old client dialled again within MaxBackoff (10 ms); give it many
	// times that, bounded by a deadline rather than a fixed sleep.
	redial := time.NewTimer(200 * time.Millisecond)
	defer redial.Stop()
	select {
	case err := <-done:
		t.Fatalf("Run ended on its own: %v", err)
	case <-redial.C:
	}
	if n := rp.dials.Load(); n != 1 {
		t.Fatalf("the replaced agent dialled %d times, want 1", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}
