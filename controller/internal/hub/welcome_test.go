package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// The welcome carries the replicas' addresses when the controller was given
// them, and no list at all otherwise (a 1.0 controller's welcome, byte for
// byte in its body).
func TestWelcomeCarriesTheControllers(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []string
	}{
		{"advertised", []string{"ws://127.0.0.1:1", "wss://pano-2.example.vn"}},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "test", HeartbeatSeconds: 1, Controllers: tc.list})
			srv := httptest.NewServer(h)
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = h.Close(ctx)
				srv.Close()
			})
			ws := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
			send(t, ws, protocol.TypeHello, hello("truong-hoc"))
			env := read(t, ws)
			var w protocol.Welcome
			if err := protocol.DecodeBody(env, &w); err != nil || env.Type != protocol.TypeWelcome {
				t.Fatalf("%s: %v", env.Type, err)
			}
			if !slices.Equal(w.Controllers, tc.list) {
				t.Fatalf("welcome lists %q, want %q", w.Controllers, tc.list)
			}
			if tc.list == nil && strings.Contains(string(env.Body), "controllers") {
				t.Fatalf("a controller without --advertise sent a list: %s", env.Body)
			}
		})
	}
}
