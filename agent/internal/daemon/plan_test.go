package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// testPlan is a plan for the 8×4 test panel with no entries.
func testPlan(rev int64) protocol.Plan {
	return protocol.Plan{
		Schema: 1, Revision: rev, DisplayID: 1, TimeZone: "Asia/Ho_Chi_Minh",
		Panel: protocol.Panel{Width: 8, Height: 4}, Fallback: protocol.FallbackBlack,
	}
}

func planEnvelope(t *testing.T, body any) protocol.Envelope {
	t.Helper()
	env, err := protocol.NewEnvelope(protocol.TypePlan, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// A plan the agent cannot read — a newer schema with fields this build does
// not know, or a plan for another panel — is refused with the reason; the
// agent keeps the plan it plays, and health says so until a plan is taken.
func TestPlanRefusedKeepsTheCurrentOne(t *testing.T) {
	d, _ := newTestDaemon(t)
	if err := d.takePlan(planEnvelope(t, protocol.PlanMessage{Plan: testPlan(5)})); err != nil {
		t.Fatalf("a good plan: %v", err)
	}
	if h := d.Health(); h.PlanRevision != 5 || h.PlanRefused != "" {
		t.Fatalf("after a good plan: revision %d, refused %q", h.PlanRevision, h.PlanRefused)
	}

	// The next schema, as a newer controller would write it: a field this
	// build has never heard of.
	next := protocol.PlanSchema + 1
	raw, _ := json.Marshal(protocol.PlanMessage{Plan: testPlan(6)})
	newer := strings.Replace(string(raw), `"schema":1`, fmt.Sprintf(`"schema":%d,"holidays":[{"date":"2027-01-01"}]`, next), 1)
	err := d.takePlan(planEnvelope(t, json.RawMessage(newer)))
	var se *protocol.SchemaError
	if !errors.As(err, &se) || se.Schema != next {
		t.Fatalf("schema %d plan: err %v, want a SchemaError for it", next, err)
	}
	h := d.Health()
	if h.PlanRevision != 5 || h.PlanRefusedRevision != 6 || !strings.Contains(h.PlanRefused, fmt.Sprintf("schema %d", next)) {
		t.Fatalf("after a schema-%d plan: playing %d, refused %d %q", next, h.PlanRevision, h.PlanRefusedRevision, h.PlanRefused)
	}
	saved, err := LoadPlan(d.dir)
	if err != nil || saved == nil || saved.Plan().Revision != 5 {
		t.Fatalf("saved plan after the refusal: %v, %v", saved, err)
	}

	other := testPlan(7)
	other.Panel = protocol.Panel{Width: 16, Height: 4}
	if err := d.takePlan(planEnvelope(t, protocol.PlanMessage{Plan: other})); err == nil || !strings.Contains(err.Error(), "16x4") {
		t.Fatalf("plan for another panel: %v", err)
	}
	if h := d.Health(); h.PlanRevision != 5 || h.PlanRefusedRevision != 7 || !strings.Contains(h.PlanRefused, "16x4") {
		t.Fatalf("after a plan for another panel: playing %d, refused %d %q", h.PlanRevision, h.PlanRefusedRevision, h.PlanRefused)
	}

	if err := d.takePlan(planEnvelope(t, protocol.PlanMessage{Plan: testPlan(8)})); err != nil {
		t.Fatal(err)
	}
	if h := d.Health(); h.PlanRevision != 8 || h.PlanRefused != "" || h.PlanRefusedRevision != 0 {
		t.Fatalf("a plan taken clears the refusal: playing %d, refused %d %q", h.PlanRevision, h.PlanRefusedRevision, h.PlanRefused)
	}
}
