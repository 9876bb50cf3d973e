package api

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
)

// TestAuditFilters reads the audit log by action, object type, actor name
// and period, and pages it, as the admin page does.
func TestAuditFilters(t *testing.T) {
	v := newEnv(t)
	admin := v.user(store.RoleAdmin, v.unitA.ID)
	approver := v.user(store.RoleApprover, v.unitA.ID)
	ca, cp := v.session(admin), v.session(approver)

	// The clock starts at 08:00:00 UTC. Half-second stamps matter: stored
	// stamps trim their fraction and do not sort as text.
	v.advance(-500 * time.Millisecond)
	must(t, v.do(ca, "POST", "/units", map[string]any{"name": "Khối phố 1"}), 201) // 07:59:59.5
	v.advance(time.Second)
	must(t, v.do(ca, "POST", "/units", map[string]any{"name": "Khối phố 2"}), 201) // 08:00:00.5
	v.advance(time.Hour)
	must(t, v.do(cp, "POST", "/campaigns", map[string]any{"name": "Cổng trường", "starts_on": "2026-12-01", "ends_on": "2026-12-31"}), 201)
	must(t, v.do(ca, "POST", "/groups", map[string]any{"name": "Chợ"}), 201) // 09:00:00.5

	type ev struct {
		ID         int64
		Action     string
		ObjectType string `json:"object_type"`
		Actor      string
		Detail     map[string]any
	}
	list := func(query string) []ev {
		t.Helper()
		r := v.do(cp, "GET", "/audit"+query, nil)
		if r.Status != 200 {
			t.Fatalf("GET /audit%s = %d %s", query, r.Status, r.Body)
		}
		var out struct{ Items []ev }
		r.json(t, &out)
		return out.Items
	}
	names := func(es []ev) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Action+" "+e.Actor+" "+e.Detail["name"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		name, query string
		want        []string // newest first
	}{
		{"by action and actor", "?action=unit.create&actor=" + admin.Name, []string{"unit.create " + admin.Name + " Khối phố 2", "unit.create " + admin.Name + " Khối phố 1"}},
		{"by object type and actor", "?object_type=campaign&actor=" + approver.Name, []string{"campaign.create " + approver.Name + " Cổng trường"}},
		{"from is inclusive, in any zone", "?object_type=group&from=2026-11-25T16:00:00.5%2B07:00", []string{"group.create " + admin.Name + " Chợ"}},
		{"to is exclusive", "?object_type=group&to=2026-11-25T16:00:00.5%2B07:00", nil},
		{"from a whole second takes the half second after it", "?action=unit.create&actor=" + admin.Name + "&from=2026-11-25T08:00:00Z",
			[]string{"unit.create " + admin.Name + " Khối phố 2"}},
		{"a period", "?actor=" + admin.Name + "&from=2026-11-25T07:00:00Z&to=2026-11-25T08:00:00Z", []string{"unit.create " + admin.Name + " Khối phố 1"}},
	} {
		if got := names(list(tc.query)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: GET /audit%s = %q, want %q", tc.name, tc.query, got, tc.want)
		}
	}

	// Paging: limit and before_id walk the same events, newest first.
	all := list("?action=unit.create")
	first := list("?action=unit.create&limit=1")
	if len(first) != 1 || first[0].ID != all[0].ID {
		t.Fatalf("first page %v, want %v", first, all[:1])
	}
	older := list("?action=unit.create&limit=1&before_id=" + strconv.FormatInt(first[0].ID, 10))
	if len(older) != 1 || older[0].ID != all[1].ID {
		t.Fatalf("older page %v, want %v", older, all[1:])
	}

	if r := v.do(cp, "GET", "/audit?from=yesterday", nil); r.Status != 400 || r.code() != "bad_request" {
		t.Errorf("a bad from = %d %s, want 400", r.Status, r.Body)
	}
}
