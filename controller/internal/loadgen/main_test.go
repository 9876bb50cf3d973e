package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/apiclient"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// TestMain stops the PostgreSQL cluster TestLoadgenReplicasSmall's check
// started, and removes its files.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// Twenty simulated agents enrol on a real controller, connect, take their
// plans, get an urgent notice and ack it (the controller records each
// ack), and come back after the storm; the gorilla hub delivers to twenty
// clients.
func TestLoadgenSmall(t *testing.T) {
	var out, log bytes.Buffer
	b := &bench{cfg: config{agents: 20, idle: time.Second, dials: 8, peers: "gorilla-hub", wait: time.Minute}, out: &out, log: &log}
	b.afterNotice = func(appr *apiclient.Client) error {
		for _, a := range b.agents {
			var p struct {
				Revision      int64 `json:"revision"`
				AckedRevision int64 `json:"acked_revision"`
			}
			// The ack is recorded after it is read: wait for it, boundedly.
			deadline := time.Now().Add(30 * time.Second)
			for {
				if err := appr.Call("GET", fmt.Sprintf("/displays/%d/plan", a.Display), nil, &p); err != nil {
					return err
				}
				rev := a.Snapshot().Rev
				if p.AckedRevision == rev && p.Revision == rev {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("display %s: plan %d, acked %d, the agent holds %d", a.Name, p.Revision, p.AckedRevision, rev)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		return nil
	}
	err := b.run()
	b.stop()
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Logf("\n%s%s", out.String(), log.String())
	for _, re := range []string{
		`(?m)^hub_agents=20 rss_kib_per_agent=-?[0-9.]+ idle_cpu_pct=[0-9.]+ notice_max_ms=[0-9.]+ notice_p99_ms=[0-9.]+ notice_p50_ms=[0-9.]+ applied_p99_ms=[0-9.]+ connect_all_s=[0-9.]+ storm_s=[0-9.]+ drops=0$`,
		`(?m)^peer=gorilla-hub agents=20 bytes=[0-9]+ max_ms=[0-9.]+ p99_ms=[0-9.]+ p50_ms=[0-9.]+ kib_per_conn=-?[0-9.]+ ratio=[0-9.]+$`,
	} {
		if !regexp.MustCompile(re).Match(out.Bytes()) {
			t.Errorf("no line matching %s in:\n%s", re, out.String())
		}
	}
	for _, a := range b.agents {
		if s := a.Snapshot(); s.Sessions < 2 || s.NoticeAt.IsZero() {
			t.Errorf("agent %s: %d sessions (want 2: before and after the storm), notice at %v", a.Name, s.Sessions, s.NoticeAt)
		}
	}
}

// Thirty simulated agents over three replicas on PostgreSQL and NATS: the
// replicas' line is printed, every agent of the killed replica came back,
// and no record was lost or doubled.
func TestLoadgenReplicasSmall(t *testing.T) {
	pgtest.Cluster(t) // skips without PostgreSQL (fails under CI=true)
	var out, log bytes.Buffer
	b := &bench{cfg: config{agents: 30, idle: time.Second, dials: 8, wait: time.Minute, replicas: 3, playEvery: time.Second}, out: &out, log: &log}
	err := b.run()
	b.stop()
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Logf("\n%s%s", out.String(), log.String())
	re := `(?m)^replicas=3 agents=30 change_all_max_ms=[0-9.]+ change_all_p50_ms=[0-9.]+ failover_s=[0-9.]+ failover_agents=10 failover_p50_s=[0-9.]+ records=[1-9][0-9]* lost_records=0 doubled_records=0$`
	if !regexp.MustCompile(re).Match(out.Bytes()) {
		t.Errorf("no line matching %s in:\n%s", re, out.String())
	}
}
