package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pano-signage/pano/controller/internal/cluster/natstest"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/pgtest"
)

// TestReplicasShareOnePostgreSQL runs two real controllers on one
// PostgreSQL database and one NATS server: what is saved through one is read through the
// other, and a browser's session made on one is taken by the other. A
// replica without the first one's audit key refuses to start, saying so.
func TestReplicasShareOnePostgreSQL(t *testing.T) {
	controllerBin, _ := buildBinaries(t)
	db := pgtest.URL(t)
	natsURL, _ := natstest.Start(t)
	listening := regexp.MustCompile(`listening on http://(127\.0\.0\.1:\d+)`)

	dataA := t.TempDir()
	a := start(t, controllerBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", dataA, "--db", db, "--nats", natsURL)
	addrA := listening.FindStringSubmatch(a.waitLine(t, listening, 1))[1]

	// Without the audit key the database's log was keyed with: refused.
	dataB := t.TempDir()
	bad := start(t, controllerBin, "serve", "--listen", "127.0.0.1:0", "--data", dataB, "--db", db)
	<-bad.done
	if out := strings.Join(bad.output(), "\n"); bad.err == nil || !strings.Contains(out, "key") {
		t.Fatalf("a replica without the audit key started (%v):\n%s", bad.err, out)
	}
	key, err := os.ReadFile(filepath.Join(dataA, store.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataB, store.KeyFileName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	b := start(t, controllerBin, "serve", "--listen", "127.0.0.1:0", "--data", dataB, "--db", db, "--nats", natsURL)
	addrB := listening.FindStringSubmatch(b.waitLine(t, listening, 1))[1]

	onA := newClient(t, "http://"+addrA, nil)
	onA.login("admin", "pano-demo-57")
	unit := onA.call("POST", "/units", map[string]any{"name": "Khối phố 9", "kind": "neighbourhood"}, 201)

	// The same browser (its cookie jar) on the other replica.
	onB := newClient(t, "http://"+addrB, nil)
	onB.http.Jar, onB.csrf = onA.http.Jar, onA.csrf
	got := onB.call("GET", fmt.Sprintf("/units/%v", unit["id"]), nil, 200)
	if got["name"] != "Khối phố 9" {
		t.Fatalf("replica B reads %v", got)
	}
	onB.call("POST", "/groups", map[string]any{"name": "Khối phố 9 – cổng"}, 201)
	groups := onA.call("GET", "/groups?q=cổng", nil, 200)
	if items, _ := groups["items"].([]any); len(items) != 1 {
		t.Fatalf("replica A lists %v for the group made on B", groups)
	}
	// Names are unique across replicas, told by the database's code.
	onA.call("POST", "/groups", map[string]any{"name": "KHỐI PHỐ 9 – CỔNG"}, 409)

	// A started first and leads (plans, renditions…); B waits. A killed,
	// B takes the lead, and renders what is made through it.
	leads := regexp.MustCompile(`this replica leads`)
	a.waitLine(t, leads, 1)
	for _, l := range b.output() {
		if leads.MatchString(l) {
			t.Fatalf("both replicas lead: %s", l)
		}
	}
	// A display of a new size made through B (which follows) is rendered
	// for by A, which leads: B's change reaches A through the bus.
	profile := onB.call("GET", "/displays", nil, 200)["items"].([]any)[0].(map[string]any)["profile"]
	onB.call("POST", "/displays", map[string]any{"name": "cong-khoi-pho-9", "width": 80, "height": 40, "fit": "contain", "profile": profile}, 201)
	a.waitLine(t, regexp.MustCompile(`rendition ready" .*geometry=80x40-contain`), 1)

	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	b.waitLine(t, leads, 1)
	// A display of a new size needs renditions of every live media: B's
	// pipeline makes them.
	onB.call("POST", "/displays", map[string]any{"name": "cong-khoi-pho-9b", "width": 96, "height": 48, "fit": "contain", "profile": profile}, 201)
	b.waitLine(t, regexp.MustCompile(`rendition ready" .*geometry=96x48-contain`), 1)
}
