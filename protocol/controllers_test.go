package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestControllerList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"ws://127.0.0.1:8080", []string{"ws://127.0.0.1:8080"}, ""},
		{" wss://a.example.vn/ , ws://b:8080,wss://a.example.vn", []string{"wss://a.example.vn", "ws://b:8080"}, ""},
		{"http://a:8080", nil, `"http://a:8080" must look like ws://HOST:PORT or wss://HOST`},
		{"a:8080", nil, "must look like ws://"},
		{"ws://", nil, "must look like ws://"},
		{"ws://a:8080/agent/v1/ws", nil, "must look like ws://"},
		{"ws://user:pw@a:8080", nil, "must look like ws://"},
		{"ws://a:8080?x=1", nil, "must look like ws://"},
		{strings.Repeat("ws://a:1,", 3) + "ws://b:1", []string{"ws://a:1", "ws://b:1"}, ""},
	} {
		got, err := SplitControllers(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("SplitControllers(%q) = %v, %v; want an error saying %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("SplitControllers(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	var many []string
	for i := range MaxControllers + 1 {
		many = append(many, "ws://h"+string(rune('a'+i))+":1")
	}
	if _, err := ControllerList(many); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("%d addresses: %v, want refused", len(many), err)
	}
}

// welcome10 is Welcome as protocol 1.0 had it, without Controllers: what an
// agent built before 1.1 decodes the welcome into.
type welcome10 struct {
	ControllerVersion string `json:"controller_version"`
	HeartbeatSeconds  int    `json:"heartbeat_seconds"`
	SessionID         string `json:"session_id"`
}

// An agent of protocol 1.0 decodes the body of its own version strictly:
// a welcome with the new list must say 1.1, or the old agent could not
// read it and would never come online.
func TestOldAgentReadsWelcomeWithControllers(t *testing.T) {
	data, err := os.ReadFile("testdata/welcome.json")
	if err != nil {
		t.Fatal(err)
	}
	env, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env.Body), `"controllers"`) {
		t.Fatalf("the golden welcome carries no list: %s", env.Body)
	}
	if env.V == "1.0" {
		t.Fatalf("a welcome with controllers says version %s, which 1.0 agents decode strictly", env.V)
	}
	// A 1.0 agent's DecodeBody: strict for "1.0" only.
	decode10 := func(env Envelope) (welcome10, error) {
		var w welcome10
		dec := json.NewDecoder(bytes.NewReader(env.Body))
		if env.V == "1.0" {
			dec.DisallowUnknownFields()
		}
		return w, dec.Decode(&w)
	}
	if old, err := decode10(env); err != nil || old.HeartbeatSeconds != 10 {
		t.Fatalf("a 1.0 agent cannot read the %s welcome: %v (%+v)", env.V, err, old)
	}
	same := env
	same.V = "1.0"
	if _, err := decode10(same); err == nil {
		t.Fatal("the 1.0 decoder took an unknown field under 1.0: this test no longer shows why the version moved")
	}
	// And a 1.1 agent reads a 1.0 controller's welcome: no list.
	env.V, env.Body = "1.0", []byte(`{"controller_version":"0.1.0","heartbeat_seconds":10,"session_id":"s"}`)
	var w Welcome
	if err := DecodeBody(env, &w); err != nil || w.Controllers != nil {
		t.Fatalf("a 1.0 welcome: %v, controllers %q", err, w.Controllers)
	}
}
