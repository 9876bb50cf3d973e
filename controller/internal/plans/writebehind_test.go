package plans

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store/storetest"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// agentLink is a websocket agent of display id that says hello, acks the
// plan it is sent and returns its revision once the hub has taken the ack:
// a time request sent after the ack is answered after it.
func agentLink(t *testing.T, url string, id int64) (*websocket.Conn, int64) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url+"?display="+strconv.FormatInt(id, 10), nil)
	if err != nil {
		t.Fatal(err)
	}
	send := func(typ string, body any) {
		t.Helper()
		env, err := protocol.NewEnvelope(typ, body, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		env.ID = protocol.NewID()
		if err := ws.WriteJSON(env); err != nil {
			t.Fatal(err)
		}
	}
	await := func(typ string) protocol.Envelope {
		t.Helper()
		for {
			var env protocol.Envelope
			if err := ws.ReadJSON(&env); err != nil {
				t.Fatalf("display %d waiting for %s: %v", id, typ, err)
			}
			if env.Type == typ {
				return env
			}
		}
	}
	send(protocol.TypeHello, protocol.Hello{Name: fmt.Sprintf("man-hinh-%d", id), AgentVersion: "test", Profile: "virtual", Panel: protocol.Panel{Width: 192, Height: 96}})
	await(protocol.TypeWelcome)
	env := await(protocol.TypePlan)
	var pm protocol.PlanMessage
	if err := protocol.DecodeBody(env, &pm); err != nil {
		t.Fatal(err)
	}
	send(protocol.TypeAck, protocol.Ack{Ref: env.ID})
	send(protocol.TypeTimeRequest, protocol.TimeRequest{T1: time.Now()})
	await(protocol.TypeTimeResponse)
	return ws, pm.Plan.Revision
}

// Hellos and plan acks take no writer: with another connection holding
// SQLite's write lock, agents are welcomed and sent their plans, their
// acks are taken, and the reads the API makes (last seen, acked revision;
// online is the hub's) show them at once; once it is released, one
// transaction stores them all.
func TestHellosAndAcksTakeNoWriteLock(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 20)
	ids, _ := f.st.DisplayIDs(ctx)
	start := time.Now()
	h := hub.New(slog.New(slog.NewTextHandler(io.Discard, nil)), f.st, hub.Options{Plans: f.svc,
		Auth: func(r *http.Request) (hub.Identity, error) {
			id, err := strconv.ParseInt(r.URL.Query().Get("display"), 10, 64)
			return hub.Identity{DisplayID: id, Name: fmt.Sprintf("man-hinh-%d", id)}, err
		}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close(ctx)
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	db, release := storetest.LockWriter(t, filepath.Join(f.dir, store.FileName))
	revs := map[int64]int64{}
	for _, id := range ids {
		ws, rev := agentLink(t, url, id)
		defer ws.Close()
		revs[id] = rev
	}
	act, err := f.st.DisplayActivities(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if seen := act[id].LastSeen; seen == nil || seen.Before(start) {
			t.Fatalf("display %d last seen %v with the writer busy, want its hello", id, seen)
		}
		p, err := f.st.DisplayPlan(ctx, id)
		if err != nil || p.AckedRevision != revs[id] {
			t.Fatalf("display %d acked revision %d (%v) with the writer busy, want %d", id, p.AckedRevision, err, revs[id])
		}
	}
	release()
	before := f.st.Commits()
	if err := f.st.FlushBehind(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.st.Commits() - before; n != 1 {
		t.Fatalf("%v transactions stored %d hellos and acks, want 1", n, len(ids))
	}
	for _, id := range ids { // as stored, read past the store
		var acked int64
		var seen string
		if err := db.QueryRowContext(ctx, `SELECT acked_revision FROM display_plans WHERE display_id = ?`, id).Scan(&acked); err != nil || acked != revs[id] {
			t.Fatalf("display %d: stored acked revision %d (%v), want %d", id, acked, err, revs[id])
		}
		if err := db.QueryRowContext(ctx, `SELECT last_seen FROM agents WHERE display_id = ?`, id).Scan(&seen); err != nil {
			t.Fatalf("display %d: no agent stored: %v", id, err)
		}
	}
}

// A thousand plan acks, as after a change reaching a thousand displays,
// are stored in a few transactions, not a thousand.
func TestThousandAcksTakeAFewTransactions(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, 1000)
	ids, _ := f.st.DisplayIDs(ctx)
	revs := map[int64]int64{}
	for _, id := range ids {
		p, err := f.st.DisplayPlan(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		revs[id] = p.Revision
	}
	before := f.st.Commits()
	for _, id := range ids {
		f.svc.PlanAcked(ctx, id, revs[id])
	}
	if err := f.st.FlushBehind(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.st.Commits() - before; n > 3 {
		t.Fatalf("%v transactions for %d acks, want at most 3", n, len(ids))
	}
	db, release := storetest.LockWriter(t, filepath.Join(f.dir, store.FileName)) // only to read what is stored, past the store
	release()
	for _, id := range ids {
		var acked int64
		if err := db.QueryRowContext(ctx, `SELECT acked_revision FROM display_plans WHERE display_id = ?`, id).Scan(&acked); err != nil || acked != revs[id] {
			t.Fatalf("display %d: stored acked revision %d (%v), want %d", id, acked, err, revs[id])
		}
	}
}
