package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// OnLink is called once a link has said hello (before its welcome: the
// cluster bus must listen for the display by the time the agent knows it is
// connected) and once the display's current link closed; a link replaced
// by a newer one says nothing. Online tells the state at each call.
func TestOnLinkFollowsTheDisplaysLink(t *testing.T) {
	type call struct {
		id     int64
		online bool
	}
	calls := make(chan call, 8)
	release := make(chan struct{}) // the first call waits for it
	var first sync.Once
	var h *Hub
	h = New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 1,
		Auth: func(*http.Request) (Identity, error) { return Identity{DisplayID: 3, Name: "truong-hoc"}, nil },
		OnLink: func(id int64) {
			calls <- call{id, h.Online(id)}
			first.Do(func() { <-release })
		}})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
		srv.Close()
	})
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	let := sync.OnceFunc(func() { close(release) })
	t.Cleanup(let) // before the hub closes: a failed test leaves no pump waiting
	expect := func(want call) {
		t.Helper()
		select {
		case got := <-calls:
			if got != want {
				t.Fatalf("OnLink call %+v, want %+v", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no OnLink call in 5 s, want %+v", want)
		}
	}

	one := dial(t, url)
	send(t, one, protocol.TypeHello, hello("truong-hoc"))
	welcome := make(chan []byte, 1)
	go func() {
		_, data, _ := one.ReadMessage()
		welcome <- data
	}()
	expect(call{3, true})
	// OnLink holds: no welcome may be on its way. (A welcome sent before
	// OnLink would arrive well within this wait; none can come after it.)
	select {
	case data := <-welcome:
		t.Fatalf("the agent had %s while OnLink still ran", data)
	case <-time.After(200 * time.Millisecond):
	}
	let()
	if env, err := protocol.Decode(<-welcome); err != nil || env.Type != protocol.TypeWelcome {
		t.Fatalf("got %s (%v), want welcome", env.Type, err)
	}

	second := dial(t, url)
	send(t, second, protocol.TypeHello, hello("truong-hoc"))
	if env := read(t, second); env.Type != protocol.TypeWelcome {
		t.Fatalf("got %s, want welcome", env.Type)
	}
	expect(call{3, true})
	for { // the first link is closed as replaced
		if _, _, err := one.ReadMessage(); err != nil {
			break
		}
	}

	second.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 0 }); err != nil {
		t.Fatal(err)
	}
	expect(call{3, false})
	select {
	case got := <-calls:
		t.Fatalf("extra OnLink call %+v (the replaced link must say nothing)", got)
	default:
	}
}
