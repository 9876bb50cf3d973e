package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pano-signage/pano/protocol"
)

// FuzzTakePlan feeds any plan message body to the agent as the controller
// would send it. Beyond not panicking: a plan is either taken (then it is
// the plan playing, saved, and what LoadPlan reads back) or refused (then
// the plan playing and the saved plan stay as they were, and health says
// why).
func FuzzTakePlan(f *testing.F) {
	good, _ := json.Marshal(protocol.PlanMessage{Plan: testPlan(5)})
	f.Add(good, "1.0")
	f.Add(good, "1.3")
	if b, err := os.ReadFile("../../../protocol/testdata/plan.json"); err == nil {
		var env protocol.Envelope
		if json.Unmarshal(b, &env) == nil {
			f.Add([]byte(env.Body), "1.0")
		}
	} else {
		f.Fatal(err)
	}
	f.Add([]byte(`{"plan":{"schema":99,"revision":9,"holidays":[]}}`), "1.0")
	d, _ := newTestDaemon(f)
	base := int64(1 << 50)
	f.Fuzz(func(t *testing.T, body []byte, v string) {
		base++ // a revision the fuzzed plan is unlikely to have
		if err := d.takePlan(planEnvelope(t, protocol.PlanMessage{Plan: testPlan(base)})); err != nil {
			t.Fatalf("the base plan: %v", err)
		}
		before, err := os.ReadFile(filepath.Join(d.dir, PlanFile))
		if err != nil {
			t.Fatal(err)
		}
		env := protocol.Envelope{V: v, Type: protocol.TypePlan, ID: "fuzz", Body: body}
		err = d.takePlan(env)
		h := d.Health()
		saved, lerr := LoadPlan(d.dir)
		if lerr != nil || saved == nil {
			t.Fatalf("the saved plan does not load: %v", lerr)
		}
		if err != nil {
			after, _ := os.ReadFile(filepath.Join(d.dir, PlanFile))
			if h.PlanRevision != base || saved.Plan().Revision != base || string(after) != string(before) {
				t.Fatalf("a refused plan (%v) replaced the one playing: playing %d, saved %d", err, h.PlanRevision, saved.Plan().Revision)
			}
			if h.PlanRefused == "" {
				t.Fatalf("a refused plan (%v) is not in health", err)
			}
			return
		}
		if h.PlanRefused != "" {
			t.Fatalf("a plan taken, and health says refused: %q", h.PlanRefused)
		}
		if h.PlanRevision != saved.Plan().Revision {
			t.Fatalf("playing revision %d, saved %d", h.PlanRevision, saved.Plan().Revision)
		}
		if _, err := protocol.Compile(saved.Plan()); err != nil {
			t.Fatalf("a plan taken does not compile from its saved copy: %v", err)
		}
	})
}
