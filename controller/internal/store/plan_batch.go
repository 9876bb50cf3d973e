package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// A batch of plans is stored with a few statements in all, each over
// every display of the batch, rather than seven per display: at 10,000
// displays (issue 14) the cost of a statement, not of the rows it
// writes, made most of the time. The displays of a batch are distinct
// (savePlanSet is called with one round of distinct displays at a time).

// rowsPerInsert bounds a multi-row INSERT's parameters (5 a row) well
// under SQLite's 32,766.
const rowsPerInsert = 500

// rounds splits plans into runs of distinct displays, in order: a display
// met twice has its second plan stored after its first.
func rounds(plans []PlanWrite) [][]int {
	var out [][]int
	seen := []map[int64]bool{}
	for i, p := range plans {
		r := 0
		for r < len(out) && seen[r][p.DisplayID] {
			r++
		}
		if r == len(out) {
			out, seen = append(out, nil), append(seen, map[int64]bool{})
		}
		out[r], seen[r][p.DisplayID] = append(out[r], i), true
	}
	return out
}

// savePlanSet stores the plans idx of plans (distinct displays) in tx,
// filling out.
func (s *Store) savePlanSet(ctx context.Context, tx *sql.Tx, plans []PlanWrite, idx []int, out []SavedPlan) error {
	ids := make([]int64, len(idx))
	for j, i := range idx {
		ids[j] = plans[i].DisplayID
	}
	idsJSON, _ := json.Marshal(ids)
	type cur struct {
		rev    int64
		digest string
	}
	current := make(map[int64]cur, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT display_id, revision, digest FROM display_plans WHERE display_id IN (`+s.idsIn()+`)`, string(idsJSON))
	if err != nil {
		return fmt.Errorf("store: save plans: %w", err)
	}
	for rows.Next() {
		var id int64
		var c cur
		if err := rows.Scan(&id, &c.rev, &c.digest); err != nil {
			rows.Close()
			return fmt.Errorf("store: save plans: %w", err)
		}
		current[id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: save plans: %w", err)
	}

	type write struct {
		id, rev int64
		digest  string
		data    string
		assets  []string
	}
	var ws []write
	for _, i := range idx {
		p := plans[i]
		c, ok := current[p.DisplayID]
		if ok && c.digest == p.Digest {
			out[i] = SavedPlan{Revision: c.rev}
			continue
		}
		rev := c.rev + 1
		data, err := p.Encode(rev)
		if err != nil {
			return err
		}
		out[i] = SavedPlan{Revision: rev, Changed: true, JSON: data}
		ws = append(ws, write{p.DisplayID, rev, p.Digest, string(data), p.Assets})
	}
	if len(ws) == 0 {
		return nil
	}
	now := s.now()
	stamp := fmtTime(now)
	failed := func(what string, err error) error {
		if isForeignKey(err) {
			return fmt.Errorf("store: save plans: a display was deleted: %w", ErrNotFound)
		}
		return fmt.Errorf("store: save plans: %s: %w", what, err)
	}

	for from := 0; from < len(ws); from += rowsPerInsert {
		part := ws[from:min(from+rowsPerInsert, len(ws))]
		args := make([]any, 0, 5*len(part))
		for _, w := range part {
			// The text is kept once, in the history: the current plan is
			// the history's row of the current revision (planText).
			args = append(args, w.id, w.rev, w.digest, "", stamp)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO display_plans (display_id, revision, digest, plan, updated_at) VALUES `+tuples(len(part), 5)+`
			ON CONFLICT (display_id) DO UPDATE SET revision = excluded.revision, digest = excluded.digest, plan = excluded.plan, updated_at = excluded.updated_at`, args...); err != nil {
			return failed("current plans", err)
		}
	}

	// The history: older revisions are superseded; a revision number met
	// again (a restored backup counts from where it was) names the plan
	// made now; the new revision is kept with the assets it names; those
	// past keeping go.
	pairs := make([][2]int64, len(ws))
	for j, w := range ws {
		pairs[j] = [2]int64{w.id, w.rev}
	}
	pairsJSON, _ := json.Marshal(pairs)
	changedIDs := make([]int64, len(ws))
	for j, w := range ws {
		changedIDs[j] = w.id
	}
	changedJSON, _ := json.Marshal(changedIDs)
	if _, err := tx.ExecContext(ctx, `UPDATE display_plan_history SET superseded_at = ?
		WHERE display_id IN (`+s.idsIn()+`) AND superseded_at IS NULL`, stamp, string(changedJSON)); err != nil {
		return failed("plan history", err)
	}
	deleteHistory := `DELETE FROM display_plan_history WHERE rowid IN (SELECT h.rowid FROM json_each(?) j
		JOIN display_plan_history h ON h.display_id = j.value ->> 0 AND h.revision %s j.value ->> 1 %s)`
	if s.pg {
		deleteHistory = `DELETE FROM display_plan_history h USING jsonb_array_elements(?::jsonb) j
		WHERE h.display_id = (j.value ->> 0)::bigint AND h.revision %s (j.value ->> 1)::bigint %s`
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(deleteHistory, ">=", ""), string(pairsJSON)); err != nil {
		return failed("plan history", err)
	}
	for from := 0; from < len(ws); from += rowsPerInsert {
		part := ws[from:min(from+rowsPerInsert, len(ws))]
		args := make([]any, 0, 4*len(part))
		for _, w := range part {
			args = append(args, w.id, w.rev, w.data, stamp)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO display_plan_history (display_id, revision, plan, created_at) VALUES `+tuples(len(part), 4), args...); err != nil {
			return failed("plan history", err)
		}
	}
	type named struct {
		ID     int64    `json:"i"`
		Rev    int64    `json:"r"`
		Assets []string `json:"a"`
	}
	var listed []named
	for _, w := range ws {
		if w.assets == nil {
			// Not given: read from the plan itself.
			q := `INSERT INTO display_plan_assets (display_id, revision, sha256)
				SELECT ?, ?, json_extract(value, '$.sha256') FROM json_each(?, '$.assets')
				WHERE json_extract(value, '$.sha256') IS NOT NULL ON CONFLICT DO NOTHING`
			if s.pg {
				q = `INSERT INTO display_plan_assets (display_id, revision, sha256)
				SELECT ?::bigint, ?::bigint, a ->> 'sha256' FROM jsonb_path_query(?::jsonb, '$.assets[*]') a
				WHERE a ->> 'sha256' IS NOT NULL ON CONFLICT DO NOTHING`
			}
			if _, err := tx.ExecContext(ctx, q, w.id, w.rev, w.data); err != nil {
				return failed("plan history assets", err)
			}
			continue
		}
		listed = append(listed, named{w.id, w.rev, w.assets})
	}
	if len(listed) > 0 {
		data, err := json.Marshal(listed)
		if err != nil {
			return err
		}
		q := `INSERT INTO display_plan_assets (display_id, revision, sha256)
			SELECT j.value ->> 'i', j.value ->> 'r', a.value FROM json_each(?) j, json_each(j.value, '$.a') a WHERE true ON CONFLICT DO NOTHING`
		if s.pg {
			q = `INSERT INTO display_plan_assets (display_id, revision, sha256)
			SELECT (j.value ->> 'i')::bigint, (j.value ->> 'r')::bigint, a #>> '{}' FROM jsonb_array_elements(?::jsonb) j, jsonb_path_query(j.value, '$.a[*]') a
			ON CONFLICT DO NOTHING`
		}
		if _, err := tx.ExecContext(ctx, q, string(data)); err != nil {
			return failed("plan history assets", err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(deleteHistory, "<", "AND (substr(h.replaced_at, 1, 19) < ? OR substr(h.superseded_at, 1, 19) < ?)"),
		string(pairsJSON), toSecond(now.Add(-PlanHistoryKeep)), toSecond(now.Add(-PlanHistoryKeepUnacked))); err != nil {
		return failed("plan history prune", err)
	}
	return nil
}

// planText is the text of a display's current plan, in a query over
// display_plans p: its history's row of that revision, or what
// display_plans itself held (written before the text was kept once).
const planText = `COALESCE((SELECT h.plan FROM display_plan_history h WHERE h.display_id = p.display_id AND h.revision = p.revision), p.plan)`

// idsIn is a query of the ids in a JSON array given as its one
// parameter, for "x IN (…)".
func (s *Store) idsIn() string {
	if s.pg {
		return `SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb)`
	}
	return `SELECT value FROM json_each(?)`
}

// tuples is "(?, …), (?, …), …": n rows of k parameters.
func tuples(n, k int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", k), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}
