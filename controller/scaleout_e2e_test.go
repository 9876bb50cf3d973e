package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
	"github.com/pano-signage/pano/controller/internal/simagent"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
	"github.com/pano-signage/pano/protocol"
)

// Bounds of TestThreeReplicasOnPostgreSQLAndNATS.
const (
	// changeBound: a change saved through one replica is on every agent.
	changeBound = 15 * time.Second
	// failoverBound: the agents of a killed replica are on another and
	// hold, acknowledged, the plan it serves (their backoff is 250–500 ms
	// for the first retry; the rest is the replicas' work).
	failoverBound = 10 * time.Second
)

// TestThreeReplicasOnPostgreSQLAndNATS: three controllers on one
// PostgreSQL database joined by NATS, 30 simulated agents spread over them
// (controller/internal/simagent, the load generator's) and two real
// pano-agents driving E1.31 receivers. An urgent notice saved through A
// reaches the agents on B and C. The replica holding the first real agent
// is killed (SIGKILL): within failoverBound its agents are on the others
// and have acknowledged the plan the controllers serve, and the real
// agent's receiver shows no black frame and no gap meanwhile. PostgreSQL
// and then NATS are killed and started again; the replicas, not restarted,
// carry a change made after that to every agent. Every proof-of-play
// record the simulated agents made is in the database once; the real
// agents' records of what played after the failover are there too.
func TestThreeReplicasOnPostgreSQLAndNATS(t *testing.T) {
	const w, h = 64, 32 // 2048 LEDs, 13 universes (see the failover test)
	controllerBin, agentBin := buildBinaries(t)
	db := pgtest.URL(t)
	pg := pgtest.Cluster(t)
	natsDir := t.TempDir()
	natsURL, stopNATS := natstest.StartDir(t, -1, natsDir)
	nu, err := url.Parse(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	natsPort := nu.Port()

	// Three replicas; A seeds the demo, B and C share its audit key.
	var addrs, ws [3]string
	for i := range addrs {
		addrs[i] = freeAddr(t)
		ws[i] = "ws://" + addrs[i]
	}
	advertise := strings.Join(ws[:], ",")
	var ctls [3]*proc
	var apis [3]*client
	var datas [3]string
	for i := range ctls {
		data := t.TempDir()
		datas[i] = data
		args := []string{"serve", "--listen", addrs[i], "--data", data, "--db", db, "--nats", natsURL, "--advertise", advertise}
		if i == 0 {
			args = append(args, "--demo")
		} else {
			key, err := os.ReadFile(filepath.Join(datas[0], store.KeyFileName))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(data, store.KeyFileName), key, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ctls[i] = start(t, controllerBin, args...)
		ctls[i].waitLine(t, listeningRe, 1)
		apis[i] = newClient(t, "http://"+addrs[i], nil)
		apis[i].login("approver", "pano-demo-57")
	}
	const A = 0
	e := &runtimeEnv{t: t, controllerBin: controllerBin, agentBin: agentBin, data: datas[A], addr: addrs[A], ctl: ctls[A]}
	e.approver = apis[A]
	e.author = newClient(t, "http://"+addrs[A], nil)
	e.author.login("editor", "pano-demo-57")
	e.tech = newClient(t, "http://"+addrs[A], nil)
	e.tech.login("technician", "pano-demo-57")

	// Two real agents, enrolled through A; each starts on a replica at
	// random.
	type realAgent struct {
		name  string
		id    int64
		rx    *sacnReceiver
		ag    *proc
		state string
		on    int
	}
	reals := make([]*realAgent, 2)
	for i := range reals {
		r := &realAgent{name: fmt.Sprintf("ba-ban-sao-%d", i+1), rx: newSACNReceiver(t, 1, 13)}
		r.id = e.display(r.name, w, h)
		e.rotation(r.id, 50, 1000, "Chợ mở", "Giữ sạch")
		code := e.tech.call("POST", fmt.Sprintf("/displays/%d/enrollment-codes", r.id), nil, 201)["code"].(string)
		r.state = t.TempDir()
		args := []string{"enroll", "--controller", ws[A], "--code", code, "--state", r.state, "--profile", "e131",
			"--set", fmt.Sprintf("width=%d", w), "--set", fmt.Sprintf("height=%d", h),
			"--set", "host=127.0.0.1", "--set", fmt.Sprintf("port=%d", r.rx.port()), "--set", "universe=1", "--set", "serpentine=none", "--set", "gamma=1"}
		if out, err := runCmd(agentBin, args...); err != nil {
			t.Fatalf("enroll: %v\n%s", err, out)
		}
		r.ag = e.startAgent(r.state)
		line := r.ag.waitLine(t, regexp.MustCompile(`msg="connected to controller" controller=ws://`), 1)
		r.on = slices.IndexFunc(ws[:], func(u string) bool { return strings.Contains(line, "controller="+u+" ") })
		r.ag.waitLine(t, regexp.MustCompile(`msg="content synced"`), 1)
		reals[i] = r
	}
	for _, r := range reals {
		waitContent(t, r.rx)
	}

	// 30 simulated agents, ten on each replica.
	fleet := simagent.NewFleet([]string{ws[0] + protocol.Path, ws[1] + protocol.Path, ws[2] + protocol.Path},
		protocol.Panel{Width: 128, Height: 64}, simPNG(t), 8)
	fleet.PlayEvery = 500 * time.Millisecond
	sims := make([]*simagent.Agent, 30)
	for i := range sims {
		sims[i] = enrolSim(t, e.tech, fmt.Sprintf("mo-phong-%02d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	running := len(sims)
	finished := make(chan struct{}, len(sims))
	for i, a := range sims {
		go func() { a.Run(ctx, fleet, i%3); finished <- struct{}{} }()
	}
	go func() {
		for range running {
			<-finished
		}
		close(done)
	}()
	waitSims(t, sims, "welcomed and holding a plan", changeBound, func(s simagent.State) bool { return s.PlanCount > 0 && s.On >= 0 })

	// A change through A reaches the agents on B and C.
	notice := func(via *client, text string) time.Time {
		at := time.Now()
		for _, a := range sims {
			a.Watch(at)
		}
		callEventually(t, via, "POST", "/urgent-notices", map[string]any{"text": text, "minutes": 30, "every_display": true}, 201)
		return at
	}
	at := notice(apis[A], "Mưa lớn")
	waitSims(t, sims, "holding the urgent notice saved through A", changeBound, func(s simagent.State) bool { return !s.NoticeAt.IsZero() })
	var per [3]int
	for _, a := range sims {
		per[a.Snapshot().On]++
	}
	if per[1] == 0 || per[2] == 0 {
		t.Fatalf("simulated agents per replica %v: none on B or C", per)
	}
	t.Logf("the notice through A reached the 30 agents (%v per replica) in %v", per, latestSim(sims, func(s simagent.State) time.Time { return s.NoticeAt }).Sub(at).Round(time.Millisecond))
	waitContent(t, reals[0].rx)

	// Kill the replica of the first real agent.
	k := reals[0].on
	var victims []*simagent.Agent
	for _, a := range sims {
		if a.Snapshot().On == k {
			victims = append(victims, a)
		}
	}
	live := apis[(k+1)%3]
	time.Sleep(2 * fleet.PlayEvery) // records made on the replica about to die
	killedAt := time.Now()
	if err := ctls[k].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-ctls[k].done
	waitSims(t, victims, "on another replica", failoverBound, func(s simagent.State) bool { return s.MovedAt.After(killedAt) })
	// What each holds is the plan the controllers serve, its ack recorded.
	deadline := killedAt.Add(failoverBound)
	for _, a := range victims {
		for {
			out := live.call("GET", fmt.Sprintf("/displays/%d/plan", a.Display), nil, 200)
			rev, acked, held := int64(out["revision"].(float64)), int64(out["acked_revision"].(float64)), a.Snapshot().Rev
			if rev == held && acked == held {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %v after the kill: plan %d, acked %d, the agent holds %d", a.Name, time.Since(killedAt).Round(time.Millisecond), rev, acked, held)
			}
			time.Sleep(50 * time.Millisecond) // the ack is recorded after it is read; bounded poll
		}
	}
	var last time.Time
	for _, a := range victims {
		if x := a.Snapshot().SettledAt; x.After(last) {
			last = x
		}
	}
	t.Logf("%d simulated agents of replica %c back on the others, the current plan acknowledged, %v after the kill", len(victims), 'A'+k, last.Sub(killedAt).Round(time.Millisecond))
	line := reals[0].ag.waitLine(t, regexp.MustCompile(`msg="connected to controller" controller=ws://`), 2)
	if strings.Contains(line, "controller="+ws[k]+" ") {
		t.Fatalf("the real agent reconnected to the replica that was killed: %s", line)
	}
	if took := time.Since(killedAt); took > failoverBound {
		t.Fatalf("the real agent was back %v after the kill; want within %v", took, failoverBound)
	}
	checkNoGap(t, reals[0].rx, killedAt)

	// PostgreSQL killed as a crash would and started again, then NATS.
	pg.Restart(t)
	stopNATS()
	port := 0
	fmt.Sscan(natsPort, &port)
	natstest.StartDir(t, port, natsDir)
	restartedAt := time.Now()

	// A change after the restarts, through a replica that was not
	// restarted, reaches every agent on the two left, and the real ones'
	// panels show it (not the notice before).
	var before [2][]byte
	for i, r := range reals {
		frames := r.rx.waitPast(t, time.Now(), 5*time.Second)
		before[i] = frames[len(frames)-1].slots
	}
	at = notice(live, "Hết mưa")
	waitSims(t, sims, "holding the notice saved after PostgreSQL and NATS restarted", changeBound, func(s simagent.State) bool { return !s.NoticeAt.IsZero() })
	t.Logf("a change %v after the restarts reached the 30 agents in %v", at.Sub(restartedAt).Round(time.Millisecond), latestSim(sims, func(s simagent.State) time.Time { return s.NoticeAt }).Sub(at).Round(time.Millisecond))
	for _, r := range reals {
		waitPlanAcked(t, live, r.id, "the notice saved after the restarts", func(p protocol.Plan) bool {
			return slices.ContainsFunc(p.Entries, func(e protocol.Entry) bool { return e.NotBefore != nil && !e.NotBefore.Before(at.Add(-time.Second)) })
		})
	}
	for i, r := range reals {
		for deadline := time.Now().Add(5 * time.Second); ; {
			frames := r.rx.waitPast(t, time.Now(), 5*time.Second)
			if !bytes.Equal(frames[len(frames)-1].slots, before[i]) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s acknowledged the notice saved after the restarts, and its panel still shows the one before 5 s later", r.name)
			}
		}
		checkNoGap(t, r.rx, killedAt)
	}

	// Proof of play: every record a simulated agent made, stored once.
	fleet.PlayStop.Store(true)
	waitSims(t, sims, "with every record acknowledged", changeBound, func(s simagent.State) bool { return s.Pending == 0 })
	made, lost, extra := 0, 0, 0
	for _, a := range sims {
		have := map[string]int{}
		for _, r := range playRecords(t, live, a.Display) {
			have[r.ID]++
		}
		played := a.Played()
		made += len(played)
		for _, id := range played {
			if have[id] == 0 {
				lost++
				t.Errorf("%s: record %s made, never stored", a.Name, id)
			}
			delete(have, id)
		}
		for id := range have {
			extra++
			t.Errorf("%s: record %s stored, never made (or stored twice)", a.Name, id)
		}
	}
	if made == 0 {
		t.Fatal("the simulated agents made no proof-of-play record: the test did not test that")
	}
	t.Logf("proof of play: %d records made, %d lost, %d doubled", made, lost, extra)
	// The real agent's records of what it played after it moved arrive,
	// once each (uploads run every 5 s).
	for i := 0; ; i++ {
		recs := playRecords(t, live, reals[0].id)
		seen := map[string]bool{}
		after := false
		for _, r := range recs {
			if seen[r.ID] {
				t.Fatalf("record %s of the real agent stored twice", r.ID)
			}
			seen[r.ID] = true
			after = after || r.Start.After(killedAt.Add(failoverBound))
		}
		if after {
			break
		}
		if i == 300 {
			t.Fatalf("no record of the real agent of an item started after it moved within 30 s: %d records", len(recs))
		}
		time.Sleep(100 * time.Millisecond) // uploads run every 5 s; bounded poll of the API
	}
}

// waitContent waits until the receiver shows something that is not black.
func waitContent(t *testing.T, rx *sacnReceiver) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		frames := rx.waitPast(t, time.Now(), 5*time.Second)
		if !frames[len(frames)-1].black() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the panel shows no content 10 s after the agent synced it")
		}
	}
}

// checkNoGap fails if a frame since from is black or terminated, or frames
// stopped for more than a second.
func checkNoGap(t *testing.T, rx *sacnReceiver, from time.Time) {
	t.Helper()
	frames := rx.waitPast(t, time.Now(), 5*time.Second)
	var gap time.Duration
	n := 0
	for i, f := range frames {
		if f.at.Before(from) {
			continue
		}
		n++
		if f.black() || f.terminated {
			t.Fatalf("frame %d at %v (%v after the kill) is black or terminated", i, f.at.Format("15:04:05.000"), f.at.Sub(from))
		}
		if i > 0 {
			gap = max(gap, f.at.Sub(frames[i-1].at))
		}
	}
	if n < 10 || gap > time.Second {
		t.Fatalf("%d frames since the kill, largest gap %v: the agent did not keep driving the panel", n, gap)
	}
}

// waitPlanAcked waits until the display's plan is one ok accepts and its
// agent acknowledged it.
func waitPlanAcked(t *testing.T, c *client, id int64, what string, ok func(protocol.Plan) bool) {
	t.Helper()
	deadline := time.Now().Add(changeBound)
	for {
		out := c.call("GET", fmt.Sprintf("/displays/%d/plan", id), nil, 200)
		b, _ := json.Marshal(out["plan"])
		var p protocol.Plan
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if ok(p) && int64(out["acked_revision"].(float64)) == p.Revision {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("display %d: no acknowledged plan with %s within %v (plan %d, acked %v)", id, what, changeBound, p.Revision, out["acked_revision"])
		}
		time.Sleep(50 * time.Millisecond) // bounded poll of the API
	}
}

// waitSims waits until ok holds for every agent given.
func waitSims(t *testing.T, agents []*simagent.Agent, what string, within time.Duration, ok func(simagent.State) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		left := 0
		for _, a := range agents {
			if s := a.Snapshot(); s.Refused != nil {
				t.Fatalf("%s: %v", a.Name, s.Refused)
			} else if !ok(s) {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d simulated agents not %s within %v", left, len(agents), what, within)
		}
		time.Sleep(20 * time.Millisecond) // the agents' timestamps are the figures; the poll only ends the wait
	}
}

func latestSim(agents []*simagent.Agent, at func(simagent.State) time.Time) time.Time {
	var last time.Time
	for _, a := range agents {
		if x := at(a.Snapshot()); x.After(last) {
			last = x
		}
	}
	return last
}

// enrolSim creates a display and enrols a simulated agent for it with a
// one-time code, as `pano-agent enroll` does.
func enrolSim(t *testing.T, tech *client, name string) *simagent.Agent {
	t.Helper()
	d := tech.call("POST", "/displays", map[string]any{"name": name, "width": 128, "height": 64, "profile": "virtual"}, 201)
	id := int64(d["id"].(float64))
	code := tech.call("POST", fmt.Sprintf("/displays/%d/enrollment-codes", id), nil, 201)["code"].(string)
	b, _ := json.Marshal(protocol.EnrollRequest{Code: code, Name: name, Profile: "virtual", Panel: protocol.Panel{Width: 128, Height: 64}, AgentVersion: "simagent"})
	resp, err := http.Post(tech.base+protocol.EnrollPath, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out protocol.EnrollResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Credential == "" {
		t.Fatalf("enrol %s: %s %v", name, resp.Status, err)
	}
	return &simagent.Agent{Name: name, Display: id, Credential: out.Credential, Local: net.IPv4(127, 0, 0, 1)}
}

// simPNG is the screenshot the simulated agents send: a grey panel.
func simPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 128, 64))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// playRecords lists a display's proof-of-play records.
func playRecords(t *testing.T, c *client, id int64) []protocol.PlayRecord {
	t.Helper()
	out := c.call("GET", fmt.Sprintf("/play-records?display_id=%d&limit=10000", id), nil, 200)
	b, _ := json.Marshal(out["items"])
	var recs []protocol.PlayRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

// callEventually makes an API call until it answers want, for a while: a
// replica may answer the first call after PostgreSQL or NATS came back
// with an error, as long as it recovers.
func callEventually(t *testing.T, c *client, method, path string, body any, want int) {
	t.Helper()
	b, _ := json.Marshal(body)
	deadline := time.Now().Add(changeBound)
	for attempt := 1; ; attempt++ {
		req, _ := http.NewRequest(method, c.base+"/api/v1"+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", c.csrf)
		resp, err := c.http.Do(req)
		status := 0
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
		}
		if status == want {
			if attempt > 1 {
				t.Logf("%s %s answered %d at attempt %d", method, path, want, attempt)
			}
			return
		}
		t.Logf("%s %s: %d %v", method, path, status, err)
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: %d %v, want %d, for %v", method, path, status, err, want, changeBound)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
