package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSavePlansKeepsEachDisplaysHistory: a batch of plans stored
// together leaves every display's current plan and history as storing
// them one by one does: new revisions only on a new digest, the older
// one superseded, the assets of each revision recorded (given as a list
// or read from the plan), a display met twice in a batch stored twice in
// order, revisions past keeping pruned, and a deleted display failing the
// batch with ErrNotFound. The plan text is written once (in the history).
func TestSavePlansKeepsEachDisplaysHistory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	var ids []int64
	for i := range 3 {
		d, err := s.CreateDisplay(ctx, System, Display{Name: fmt.Sprintf("man-hinh-%d", i), Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	sha := func(s string) string { return strings.Repeat(s, 64) }
	plan := func(id int64, digest string, assets []string) PlanWrite {
		return PlanWrite{DisplayID: id, Digest: digest, Assets: assets, Encode: func(rev int64) ([]byte, error) {
			var as []string
			for _, a := range assets {
				as = append(as, `{"sha256":"`+a+`"}`)
			}
			return fmt.Appendf(nil, `{"revision":%d,"display_id":%d,"digest":%q,"assets":[%s]}`, rev, id, digest, strings.Join(as, ",")), nil
		}}
	}
	history := func(id int64) (out []string) {
		rows, err := s.r.QueryContext(ctx, `SELECT revision, superseded_at IS NOT NULL,
			(SELECT group_concat(substr(sha256, 1, 1), '') FROM (SELECT sha256 FROM display_plan_assets a WHERE a.display_id = h.display_id AND a.revision = h.revision ORDER BY sha256))
			FROM display_plan_history h WHERE display_id = ? ORDER BY revision`, id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var rev int64
			var superseded bool
			var assets *string
			if err := rows.Scan(&rev, &superseded, &assets); err != nil {
				t.Fatal(err)
			}
			a := ""
			if assets != nil {
				a = *assets
			}
			out = append(out, fmt.Sprintf("%d:%v:%s", rev, superseded, a))
		}
		return out
	}
	save := func(ws ...PlanWrite) []SavedPlan {
		t.Helper()
		out, err := s.SavePlans(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	got := save(plan(ids[0], "a", []string{sha("a"), sha("b")}), plan(ids[1], "a", nil), plan(ids[2], "a", []string{}))
	for i, g := range got {
		if g.Revision != 1 || !g.Changed || !strings.Contains(string(g.JSON), `"revision":1,`) {
			t.Errorf("first save of display %d: %+v %s", ids[i], g, g.JSON)
		}
	}
	// Display 0 unchanged; 1 twice in the batch; 2 changed.
	got = save(plan(ids[0], "a", []string{sha("a"), sha("b")}), plan(ids[1], "b", []string{sha("c")}), plan(ids[2], "b", []string{sha("d")}), plan(ids[1], "c", nil))
	if got[0].Changed || got[0].Revision != 1 || !got[1].Changed || got[1].Revision != 2 || got[2].Revision != 2 || got[3].Revision != 3 {
		t.Errorf("second batch: %+v", got)
	}
	for i, want := range [][]string{
		{"1:false:ab"},
		{"1:true:", "2:true:c", "3:false:"},
		{"1:true:", "2:false:d"},
	} {
		if h := history(ids[i]); !slices.Equal(h, want) {
			t.Errorf("display %d history %v, want %v", i, h, want)
		}
	}
	cur, err := s.DisplayPlan(ctx, ids[1])
	if err != nil || cur.Revision != 3 || cur.Digest != "c" || !strings.Contains(string(cur.Plan), `"revision":3,`) {
		t.Errorf("display 1's plan in force: %+v %s %v", cur, cur.Plan, err)
	}

	// The text is written once, in the history.
	var copies int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM display_plans WHERE plan != ''`).Scan(&copies); err != nil || copies != 0 {
		t.Errorf("%d current plans hold their text beside the history's (%v)", copies, err)
	}

	// 91 days on, with no acknowledgment: superseded revisions go.
	now = now.Add(PlanHistoryKeepUnacked + 24*time.Hour)
	save(plan(ids[0], "z", nil), plan(ids[1], "z", nil))
	if h := history(ids[0]); !slices.Equal(h, []string{"1:true:ab", "2:false:"}) {
		t.Errorf("display 0 after 91 days: %v", h)
	}
	if h := history(ids[1]); !slices.Equal(h, []string{"3:true:", "4:false:"}) {
		t.Errorf("display 1 after 91 days: %v (revisions superseded 91 days ago pruned, the one just superseded kept)", h)
	}

	if err := s.DeleteDisplay(ctx, System, ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePlans(ctx, []PlanWrite{plan(ids[0], "y", nil), plan(ids[2], "y", nil)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a batch with a deleted display: %v, want ErrNotFound", err)
	}
	if h := history(ids[0]); len(h) != 2 {
		t.Errorf("the failed batch left display 0 with %v", h)
	}
}
