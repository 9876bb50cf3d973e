package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/protocol"
)

// BenchmarkCommandThroughOtherReplica: a command asked of A until the
// agent linked to B has it (A's request, B's hub, the websocket), one at a
// time.
func BenchmarkCommandThroughOtherReplica(b *testing.B) {
	url, _ := natstest.Start(b)
	a, r := startReplica(b, url, Options{}), startReplica(b, url, Options{})
	ag := connect(b, r, 7)
	cmd := protocol.Command{Name: protocol.CmdIdentify}
	b.ResetTimer()
	for b.Loop() {
		ref, err := a.bus.Command(7, cmd)
		if err != nil {
			b.Fatal(err)
		}
		if env := ag.next(b); env.ID != ref {
			b.Fatalf("agent got %q, want %q", env.ID, ref)
		}
	}
}

// onlineHub is a hub where every display is online, to time LinkChanged's
// subscriptions alone.
type onlineHub struct{ Hub }

func (onlineHub) Online(int64) bool        { return true }
func (onlineHub) Agents() []hub.AgentInfo  { return nil }
func (onlineHub) Changed() <-chan struct{} { return nil }

// BenchmarkHoldDisplay: a display's link comes up, and the bus listens for
// it (one subscription each; a replica of 5,000 agents makes 5,000 at
// start).
func BenchmarkHoldDisplay(b *testing.B) {
	url, _ := natstest.Start(b)
	bus, err := Join(url, Options{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	bus.Attach(onlineHub{})
	var id int64
	for b.Loop() {
		id++
		bus.LinkChanged(id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bus.Flush(ctx); err != nil { // the server has every subscription: part of the cost
		b.Fatal(err)
	}
	if got := len(bus.held); got != int(id) {
		b.Fatalf("holds %d displays, want %d", got, id)
	}
}

// BenchmarkPlanToEveryAgent: one replica pushes a new plan (1 KiB) to
// 1,500 agents, all linked to it (replicas=1) or spread evenly over three
// replicas (replicas=3: two thirds go through NATS to the others); an
// operation ends when every agent has its plan.
func BenchmarkPlanToEveryAgent(b *testing.B) {
	const agents = 1500
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			url, _ := natstest.Start(b)
			var rs []*replica
			for range n {
				rs = append(rs, startReplica(b, url, Options{}))
			}
			got := make(chan struct{}, agents)
			for id := int64(1); id <= agents; id++ {
				planReader(b, rs[int(id)%n], id, got)
			}
			plan := []byte(`{"pad":"` + strings.Repeat("x", 1024) + `"}`)
			var rev int64
			for b.Loop() {
				rev++
				for id := int64(1); id <= agents; id++ {
					_ = rs[0].bus.PushPlan(context.Background(), id, hub.Plan{Revision: rev, JSON: plan})
				}
				for range agents {
					<-got
				}
			}
		})
	}
}

// planReader links display id's agent to r; each plan it gets is a send on
// got.
func planReader(b *testing.B, r *replica, id int64, got chan<- struct{}) {
	b.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(r.ws, http.Header{testDisplayHeader: {strconv.FormatInt(id, 10)}})
	if err != nil {
		b.Fatal(err)
	}
	env, _ := protocol.NewEnvelope(protocol.TypeHello, protocol.Hello{Name: "x", AgentVersion: "t", Profile: "virtual", Panel: protocol.Panel{Width: 64, Height: 32}}, time.Now())
	if err := ws.WriteJSON(env); err != nil {
		b.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil { // the welcome: r's bus holds the display
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if bytes.Contains(data[:min(len(data), 64)], []byte(`"type":"plan"`)) {
				got <- struct{}{}
			}
		}
	}()
	b.Cleanup(func() { ws.Close(); <-done })
	flush(b, r.bus)
}

// manyAgentsHub is a hub with n agents online, each with a health report,
// to time presence announcements alone.
type manyAgentsHub struct {
	Hub
	agents []hub.AgentInfo
}

func (h manyAgentsHub) Agents() []hub.AgentInfo { return h.agents }
func (manyAgentsHub) Changed() <-chan struct{}  { return nil }
func (manyAgentsHub) Online(int64) bool         { return true }

// BenchmarkPresenceAnnounce: replica B announces all its agents (5,000,
// each with a health report), until replica A has taken every part: what
// each replica pays every PresenceEvery (5 s) for each other replica.
func BenchmarkPresenceAnnounce(b *testing.B) {
	const n = 5000
	url, _ := natstest.Start(b)
	opt := Options{Log: quiet, PresenceEvery: time.Hour}
	a, err := Join(url, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	a.Attach(manyAgentsHub{})
	r, err := Join(url, opt)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	temp := 61.5
	h := manyAgentsHub{}
	for i := range n {
		id := int64(i + 1)
		h.agents = append(h.agents, hub.AgentInfo{DisplayID: id, Name: "display-" + strconv.FormatInt(id, 10), SessionID: "0123456789ab",
			AgentVersion: "1.4.0", Profile: "p10-outdoor", Panel: protocol.Panel{Width: 192, Height: 96}, RemoteAddr: "10.20.30.40:51234",
			ConnectedAt: time.Now(), LastHeartbeat: time.Now(), PlanRevision: 41,
			Health: &protocol.Health{UptimeMS: 123456789, AgentVersion: "1.4.0", PlanRevision: 41, CurrentItem: 17,
				CurrentAsset: strings.Repeat("a", 64), TargetFPS: 30, AchievedFPS: 29.9, DriverState: "ok", ClockOffsetMS: 1.2, ClockRTTMS: 3.4,
				CacheBytes: 1 << 30, SyncDone: 5 << 20, SyncTotal: 5 << 20, DiskFreeBytes: 3 << 30, MemoryBytes: 80 << 20, CPUTempC: &temp, At: time.Now()}})
	}
	r.Attach(h)
	parts := make(chan struct{}, 1024)
	a.pmu.Lock()
	a.presenceHook = func(string) { parts <- struct{}{} }
	a.pmu.Unlock()
	b.ResetTimer()
	for b.Loop() {
		r.publishPresence(h, true)
		for {
			<-parts
			a.pmu.Lock()
			got := len(a.remote)
			a.pmu.Unlock()
			if got == n {
				break
			}
		}
		b.StopTimer()
		a.pmu.Lock()
		clear(a.remote)
		a.pmu.Unlock()
		for len(parts) > 0 {
			<-parts
		}
		b.StartTimer()
	}
}
