package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
)

// TestCommandThroughAnotherReplica: two controllers joined by --nats on
// one NATS server, the real agent linked to B; a technician logged in to A
// sends it a command, which reaches it through B, and A answers with the
// agent's result. (Each controller has its own database, seeded alike by
// --demo, until replicas share PostgreSQL.)
func TestCommandThroughAnotherReplica(t *testing.T) {
	controllerBin, agentBin := buildBinaries(t)
	natsURL, _ := natstest.Start(t)
	var addr, data [2]string
	var ctl [2]*proc
	for i := range ctl {
		data[i] = t.TempDir()
		ctl[i] = start(t, controllerBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", data[i], "--nats", natsURL)
		addr[i] = listeningRe.FindStringSubmatch(ctl[i].waitLine(t, listeningRe, 1))[1]
	}
	const a, b = 0, 1
	state := enrol(t, controllerBin, agentBin, data[b], addr[b], "truong-hoc", 64, 32)
	ag := start(t, agentBin, "run", "--state", state)
	ctl[b].waitLine(t, regexp.MustCompile(`msg="agent online" agent=truong-hoc`), 1)
	ag.waitLine(t, regexp.MustCompile(`connected to controller`), 1)

	var ids [2]any
	var tech [2]*client
	for i := range tech {
		tech[i] = newClient(t, "http://"+addr[i], nil)
		tech[i].login("technician", "pano-demo-57")
		ids[i] = tech[i].call("GET", "/displays?q=truong-hoc", nil, 200)["items"].([]any)[0].(map[string]any)["id"]
	}
	if ids[a] != ids[b] {
		t.Fatalf("the demo gave truong-hoc id %v on A and %v on B", ids[a], ids[b])
	}
	out := tech[a].call("POST", fmt.Sprintf("/displays/%v/commands", ids[a]), map[string]any{"name": "identify"}, 200)
	if out["ok"] != true {
		t.Fatalf("A answered %v, want the agent's ok", out)
	}

	res, err := http.Get("http://" + addr[a] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{"\npano_cluster_connected 1\n", "\npano_cluster_commands_forwarded_total 1\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("A's /metrics lacks %q", strings.TrimSpace(want))
		}
	}
}
