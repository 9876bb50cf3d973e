package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
)

// TestDashboardSeesAgentOnAnotherReplica: two controllers joined by
// --nats, the real agent linked to B. A's event stream says the display
// changed, and A's dashboard then lists it online, with its agent: serve
// gives the dashboard and the event stream the bus's fleet-wide view.
// (Each controller has its own database, seeded alike by --demo.)
func TestDashboardSeesAgentOnAnotherReplica(t *testing.T) {
	controllerBin, agentBin := buildBinaries(t)
	natsURL, _ := natstest.Start(t)
	var addr, data [2]string
	for i := range addr {
		data[i] = t.TempDir()
		ctl := start(t, controllerBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", data[i], "--nats", natsURL)
		addr[i] = listeningRe.FindStringSubmatch(ctl.waitLine(t, listeningRe, 1))[1]
	}
	const a, b = 0, 1
	tech := newClient(t, "http://"+addr[a], nil)
	tech.login("technician", "pano-demo-57")
	id := tech.call("GET", "/displays?q=truong-hoc", nil, 200)["items"].([]any)[0].(map[string]any)["id"].(float64)

	// A's event stream, open before the agent comes.
	req, _ := http.NewRequest("GET", "http://"+addr[a]+"/api/v1/events", nil)
	res, err := tech.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "retry:") {
		t.Fatalf("A's event stream began with %q", lines.Text())
	}
	for lines.Scan() && lines.Text() != "" { // the rest of the first block: subscribed
	}

	state := enrol(t, controllerBin, agentBin, data[b], addr[b], "truong-hoc", 64, 32)
	start(t, agentBin, "run", "--state", state)
	// The client's 20 s timeout ends the stream if A never tells.
	for {
		if !lines.Scan() {
			t.Fatalf("A's event stream ended before naming display %v: %v", id, lines.Err())
		}
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		var e struct {
			Type      string  `json:"type"`
			DisplayID float64 `json:"display_id"`
		}
		if ok && json.Unmarshal([]byte(data), &e) == nil && e.Type == "display" && e.DisplayID == id {
			break
		}
	}
	d := tech.call("GET", "/displays?q=truong-hoc", nil, 200)["items"].([]any)[0].(map[string]any)
	if d["online"] != true || d["agent"] == nil {
		t.Fatalf("A lists the agent on B as online=%v agent=%v", d["online"], d["agent"])
	}
}
