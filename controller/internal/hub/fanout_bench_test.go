package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/protocol"
)

// BenchmarkPushPlanTo1000Agents: one plan (about 2 KB) pushed to each of
// 1,000 agents on real loopback websockets, until every agent has read its
// own; ms/fanout is the time from the first push to the last arrival.
func BenchmarkPushPlanTo1000Agents(b *testing.B) {
	const agents = 1000
	auth := func(r *http.Request) (Identity, error) {
		id, err := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer display-"), 10, 64)
		if err != nil {
			return Identity{}, ErrRefused
		}
		return Identity{DisplayID: id, Name: fmt.Sprintf("display-%d", id)}, nil
	}
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &memStore{}, Options{Version: "bench", HeartbeatSeconds: 60, Auth: auth, Plans: &fakeRuntime{}, Reports: &fakeRuntime{}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Close(ctx)
	}()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	got := make(chan struct{}, agents)
	for i := 1; i <= agents; i++ {
		ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {fmt.Sprintf("Bearer display-%d", i)}})
		if err != nil {
			b.Fatalf("agent %d: %v", i, err)
		}
		defer ws.Close()
		env, _ := protocol.NewEnvelope(protocol.TypeHello, hello(fmt.Sprintf("display-%d", i)), time.Now())
		if err := ws.WriteJSON(env); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil { // welcome
			b.Fatal(err)
		}
		go func() {
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					return
				}
				if env, err := protocol.Decode(data); err == nil && env.Type == protocol.TypePlan {
					got <- struct{}{}
				}
			}
		}()
	}
	plans := make([]Plan, agents+1)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		for i := 1; i <= agents; i++ { // encoded once per display and revision, by the compiler
			p := testPlan(int64(n + 1))
			p.DisplayID = int64(i)
			for k := 2; k <= 12; k++ {
				p.Playlists[0].Items = append(p.Playlists[0].Items, protocol.Item{ID: int64(k), Asset: p.Assets[0].SHA256, DurationMS: 10_000})
			}
			plans[i] = prepared(p)
		}
		b.StartTimer()
		for i := 1; i <= agents; i++ {
			if err := h.PushPlan(context.Background(), int64(i), plans[i]); err != nil {
				b.Fatal(err)
			}
		}
		for i := 0; i < agents; i++ {
			<-got
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/fanout")
	b.ReportMetric(float64(len(plans[1].JSON)), "plan_bytes")
}
