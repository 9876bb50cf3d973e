package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pano-signage/pano/agent/internal/daemon"
	"github.com/pano-signage/pano/protocol"
)

// replica stands in for one controller replica: it welcomes every agent
// with its list of controllers, and reads (and drops) what the agent sends.
type replica struct {
	srv      *httptest.Server
	url      string
	list     []string
	welcomed chan struct{}
}

func newReplica(t *testing.T, ln net.Listener) *replica {
	t.Helper()
	r := &replica{welcomed: make(chan struct{}, 8)}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(rw, req, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); err != nil { // hello
			return
		}
		env, _ := protocol.NewEnvelope(protocol.TypeWelcome, protocol.Welcome{HeartbeatSeconds: 10, SessionID: "s", Controllers: r.list}, time.Now())
		if ws.WriteJSON(env) != nil {
			return
		}
		r.welcomed <- struct{}{}
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	if ln != nil {
		r.srv.Listener.Close()
		r.srv.Listener = ln
	}
	r.srv.Start()
	r.url = "ws://" + r.srv.Listener.Addr().String()
	t.Cleanup(r.srv.Close)
	return r
}

// startAgentRun runs `pano-agent run` on state until the test says stop; its log
// goes to w.
func startAgentRun(t *testing.T, state string, w *signalWriter) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run", "--state", state}, &bytes.Buffer{}, w) }()
	var once bool
	stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("agent exited with %d:\n%s", code, w.buf.String())
		}
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, ch <-chan struct{}, w *signalWriter) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: not within 20 s; agent log:\n%s", what, w.buf.String())
	}
}

// The list of controllers a welcome brings is saved in the agent's state:
// started again while the controller it enrolled with is down, the agent
// reaches another it only ever heard of in that welcome.
func TestWelcomeListIsSavedAndUsedAfterARestart(t *testing.T) {
	// B's address is reserved now and served later, after A is gone.
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	urlB := "ws://" + lnB.Addr().String()
	lnB.Close()
	a := newReplica(t, nil)
	a.list = []string{a.url, urlB}
	state := enrolledState(t, a.url)

	w := &signalWriter{want: "connected to controller", found: make(chan struct{})}
	stop := startAgentRun(t, state, w)
	waitFor(t, "welcome from A", a.welcomed, w)
	waitFor(t, "the agent on A", w.found, w) // logged after the list is saved
	stop()
	cfg, _, err := daemon.LoadConfig(state)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Controllers, " ") != a.url+" "+urlB || cfg.LastController != a.url {
		t.Fatalf("saved controllers %q, last %q; want %q, last %s", cfg.Controllers, cfg.LastController, a.list, a.url)
	}

	a.srv.Close()
	lnB, err = net.Listen("tcp", strings.TrimPrefix(urlB, "ws://"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("B's port was taken meanwhile: %v", err)
		}
		t.Skipf("B's port was taken meanwhile: %v", err)
	}
	b := newReplica(t, lnB) // sends no list: the agent keeps its own
	w = &signalWriter{want: `msg="connected to controller" controller=` + urlB + ` `, found: make(chan struct{})}
	stop = startAgentRun(t, state, w)
	waitFor(t, "welcome from B", b.welcomed, w)
	waitFor(t, "the agent on B", w.found, w)
	stop()

	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"status", "--state", state}, &out, &errs); code != 0 {
		t.Fatalf("status: %d %s", code, errs.String())
	}
	for _, want := range []string{"controllers  " + a.url + "\n", "             " + urlB + " (last connected; dialled first)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestStateWithABadControllerIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"controller", `"controller": "http://a:8080"`, `controller address "http://a:8080" must look like ws://HOST:PORT or wss://HOST`},
		{"list", `"controller": "ws://a:8080", "controllers": ["ws://a:8080", "tcp://b:8080"]`, `controllers: controller address "tcp://b:8080" must look like`},
		{"last", `"controller": "ws://a:8080", "last_controller": "b:8080"`, `last_controller: controller address "b:8080" must look like`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := enrolledState(t, "ws://127.0.0.1:1")
			cfg := `{` + tc.config + `, "display_id": 1, "name": "x", "profile": "virtual", "settings": ["width=64", "height=32"]}`
			if err := os.WriteFile(filepath.Join(dir, daemon.ConfigFile), []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			var errs bytes.Buffer
			if code := run(context.Background(), []string{"run", "--state", dir}, &bytes.Buffer{}, &errs); code != 2 || !strings.Contains(errs.String(), tc.want) {
				t.Fatalf("run: %d %q; want 2 and %q", code, errs.String(), tc.want)
			}
		})
	}
}

// Enrolment with several addresses: the first cannot be reached, the second
// enrols the agent; the controller's list (from --advertise) is kept with
// the address that answered, which is dialled first.
func TestEnrolWithSeveralControllersKeepsTheAnswersList(t *testing.T) {
	advertised := []string{"wss://pano-1.example.vn", "wss://pano-2.example.vn"}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.URL.Path != protocol.EnrollPath {
			http.NotFound(rw, req)
			return
		}
		json.NewEncoder(rw).Encode(protocol.EnrollResponse{DisplayID: 7, DisplayName: "cho-han", Credential: "pano_dev_x", Controllers: advertised})
	}))
	defer srv.Close()
	live, dead := "ws://"+srv.Listener.Addr().String(), "ws://127.0.0.1:1"
	state := t.TempDir()
	var out, errs bytes.Buffer
	args := []string{"enroll", "--controller", dead + "," + live, "--code", "ABCD-EFGH-JKMN", "--state", state, "--set", "width=64", "--set", "height=32"}
	if code := run(context.Background(), args, &out, &errs); code != 0 {
		t.Fatalf("enroll: %d %s", code, errs.String())
	}
	cfg, _, err := daemon.LoadConfig(state)
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(advertised), live)
	if !slices.Equal(cfg.Controllers, want) || cfg.LastController != "" || cfg.DisplayID != 7 {
		t.Fatalf("enrolled with controllers %q, last %q, display %d; want %q, none connected yet, display 7", cfg.Controllers, cfg.LastController, cfg.DisplayID, want)
	}
	// The first start dials any of them: screens enrolled through one
	// replica spread over all.
	firsts := map[string]bool{}
	for range 200 {
		first, _ := cfg.Dial()
		firsts[first] = true
	}
	if len(firsts) != len(want) {
		t.Fatalf("200 first starts dialled only %v of %q", firsts, want)
	}

	bad := append(args[:2:2], "ws://a:8080,https://b:8443")
	bad = append(bad, args[3:]...)
	if code := run(context.Background(), bad, &out, &errs); code != 2 || !strings.Contains(errs.String(), `--controller: controller address "https://b:8443" must look like ws://HOST:PORT or wss://HOST`) {
		t.Fatalf("enroll with an https address: %d %q", code, errs.String())
	}
}
