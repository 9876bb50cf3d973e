package hub

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

type memStore struct {
	mu   sync.Mutex
	seen []store.Agent
	left chan string // names of agents whose link closed, when not nil
}

func (m *memStore) SeeAgent(_ context.Context, a store.Agent, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen = append(m.seen, a)
	return nil
}

func (m *memStore) AgentLeft(_ context.Context, name string, _ time.Time) error {
	if m.left != nil {
		m.left <- name
	}
	return nil
}

func startHub(t *testing.T) (*Hub, string) {
	t.Helper()
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 1})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("hub close: %v", err)
		}
		srv.Close()
	})
	return h, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	return ws
}

func sendRaw(t *testing.T, ws *websocket.Conn, v any) {
	t.Helper()
	if err := ws.WriteJSON(v); err != nil {
		t.Fatal(err)
	}
}

func send(t *testing.T, ws *websocket.Conn, typ string, body any) protocol.Envelope {
	t.Helper()
	env, err := protocol.NewEnvelope(typ, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sendRaw(t, ws, env)
	return env
}

func read(t *testing.T, ws *websocket.Conn) protocol.Envelope {
	t.Helper()
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	env, err := protocol.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func hello(name string) protocol.Hello {
	return protocol.Hello{Name: name, AgentVersion: "t", Profile: "virtual", Panel: protocol.Panel{Width: 64, Height: 32}}
}

func TestHelloWelcomeAndOnlineSet(t *testing.T) {
	h, url := startHub(t)
	ws := dial(t, url)
	send(t, ws, protocol.TypeHello, hello("truong-hoc"))
	env := read(t, ws)
	if env.Type != protocol.TypeWelcome {
		t.Fatalf("got %s, want welcome", env.Type)
	}
	var w protocol.Welcome
	if err := protocol.DecodeBody(env, &w); err != nil || w.HeartbeatSeconds != 1 || w.ControllerVersion != "test" {
		t.Fatalf("welcome %+v, %v", w, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 1 && a[0].Name == "truong-hoc" }); err != nil {
		t.Fatalf("agent never listed online: %v", h.Agents())
	}
	ws.Close()
	if err := h.WaitFor(ctx, func(a []AgentInfo) bool { return len(a) == 0 }); err != nil {
		t.Fatalf("agent still listed after disconnect: %v", h.Agents())
	}
}

func TestUnknownMajorVersionIsRefused(t *testing.T) {
	_, url := startHub(t)
	ws := dial(t, url)
	env, _ := protocol.NewEnvelope(protocol.TypeHello, hello("x"), time.Now())
	env.V = "2.0"
	sendRaw(t, ws, env)
	_, _, err := ws.ReadMessage()
	ce, ok := err.(*websocket.CloseError)
	if !ok || ce.Code != protocol.CloseUnsupportedVersion || !strings.Contains(ce.Text, "supported: 1.x") {
		t.Fatalf("read error = %v, want close %d naming the supported versions", err, protocol.CloseUnsupportedVersion)
	}
}

func TestMessageBeforeHelloIsRefused(t *testing.T) {
	_, url := startHub(t)
	ws := dial(t, url)
	send(t, ws, protocol.TypeHeartbeat, protocol.Heartbeat{Seq: 1})
	_, _, err := ws.ReadMessage()
	ce, ok := err.(*websocket.CloseError)
	if !ok || ce.Code != protocol.CloseProtocolError || !strings.Contains(ce.Text, "expected hello first") {
		t.Fatalf("read error = %v", err)
	}
}

func TestMalformedMessagesGetErrorsAndKeepTheLink(t *testing.T) {
	h, url := startHub(t)
	ws := dial(t, url)
	send(t, ws, protocol.TypeHello, hello("a"))
	read(t, ws) // welcome

	if err := ws.WriteMessage(websocket.TextMessage, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	env := read(t, ws)
	var e protocol.Error
	if env.Type != protocol.TypeError || protocol.DecodeBody(env, &e) != nil || e.Code != protocol.ErrCodeBadMessage {
		t.Fatalf("after garbage: %s %+v", env.Type, e)
	}

	unknown := send(t, ws, "frobnicate", map[string]int{"x": 1})
	env = read(t, ws)
	if protocol.DecodeBody(env, &e) != nil || e.Code != protocol.ErrCodeUnknownType || e.Ref != unknown.ID {
		t.Fatalf("after unknown type: %+v", e)
	}

	bad := send(t, ws, protocol.TypeHeartbeat, json.RawMessage(`{"seq":-1,"uptime_ms":0}`))
	env = read(t, ws)
	if protocol.DecodeBody(env, &e) != nil || e.Ref != bad.ID || !strings.Contains(e.Message, "must not be negative") {
		t.Fatalf("after invalid heartbeat: %+v", e)
	}
	if n := len(h.Agents()); n != 1 {
		t.Fatalf("agent dropped after bad messages: %d online", n)
	}
}

func TestCloseTellsAgentsGoingAway(t *testing.T) {
	h, url := startHub(t)
	ws := dial(t, url)
	send(t, ws, protocol.TypeHello, hello("a"))
	read(t, ws)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, err := ws.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("read error = %v, want going away", err)
	}
}

// A display that goes offline keeps when it was last seen: the hub tells
// the store when an agent's link closes.
func TestAgentLeavingIsRecorded(t *testing.T) {
	st := &memStore{left: make(chan string, 1)}
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), st, Options{Version: "test", HeartbeatSeconds: 1})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close(context.Background())
	ws := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	send(t, ws, protocol.TypeHello, hello("duong-chinh"))
	if env := read(t, ws); env.Type != protocol.TypeWelcome {
		t.Fatalf("got %s, want welcome", env.Type)
	}
	select {
	case name := <-st.left:
		t.Fatalf("%s recorded as gone while online", name)
	default:
	}
	ws.Close()
	select {
	case name := <-st.left:
		if name != "duong-chinh" {
			t.Fatalf("left: %q", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the store was not told that the agent left")
	}
}
