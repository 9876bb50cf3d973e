package store

import (
	"context"
	"fmt"
	"time"
)

// PlaySummary is one line of a proof-of-play report.
type PlaySummary struct {
	Key     string    `json:"key"`   // the group's id (or date, by day); "" for plays of no campaign, theme or unit
	Label   string    `json:"label"` // its name
	Plays   int       `json:"plays"`
	Seconds float64   `json:"seconds"` // time on screen
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

// reportGroups are what a report can be summed by: the key and label
// expressions (as text) over play_records p and its joins. Only these are
// ever put into the query. Plays of no campaign, theme or unit are summed
// under the key "", which the page and the CSV name in words.
var reportGroups = map[string][2]string{
	"campaign": {"COALESCE(CAST(p.campaign_id AS TEXT), '')", "COALESCE(c.name, '')"},
	"theme":    {"COALESCE(CAST(m.theme_id AS TEXT), '')", "COALESCE(th.title, '')"},
	"unit":     {"COALESCE(CAST(m.unit_id AS TEXT), '')", "COALESCE(u.name, '')"},
	"display":  {"CAST(p.display_id AS TEXT)", "COALESCE(d.name, '')"},
	"media":    {"CAST(p.media_id AS TEXT)", "COALESCE(r.title, '')"},
	"day":      {"date(p.started_at, ?)", "date(p.started_at, ?)"},
}

// ReportGroups lists what PlayReport can sum by.
func ReportGroups() []string { return []string{"campaign", "theme", "unit", "display", "media", "day"} }

// PlayReport sums proof-of-play records by campaign, theme, unit, display,
// media or day (in the zone utcOffset from UTC), biggest first.
func (s *Store) PlayReport(ctx context.Context, groupBy string, f PlayFilter, utcOffset time.Duration) ([]PlaySummary, error) {
	g, ok := reportGroups[groupBy]
	if !ok {
		return nil, fmt.Errorf("store: report by %q: %w", groupBy, ErrNotFound)
	}
	where, args := f.where()
	var pre []any
	if groupBy == "day" {
		shift := fmt.Sprintf("%+d seconds", int(utcOffset.Seconds()))
		pre = []any{shift, shift}
	}
	q := `SELECT ` + g[0] + `, ` + g[1] + `, COUNT(*),
			ROUND(SUM(unixepoch(p.ended_at, 'subsec') - unixepoch(p.started_at, 'subsec')), 3), MIN(p.started_at), MAX(p.ended_at)
		FROM play_records p
		LEFT JOIN media m ON m.id = p.media_id
		LEFT JOIN media_revisions r ON r.id = m.current_revision_id
		LEFT JOIN campaigns c ON c.id = p.campaign_id
		LEFT JOIN campaign_themes th ON th.id = m.theme_id
		LEFT JOIN units u ON u.id = m.unit_id
		LEFT JOIN displays d ON d.id = p.display_id` + where + `
		GROUP BY 1, 2 ORDER BY 4 DESC, 1`
	rows, err := s.r.QueryContext(ctx, q, append(pre, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: report by %s: %w", groupBy, err)
	}
	defer rows.Close()
	out := []PlaySummary{}
	for rows.Next() {
		var r PlaySummary
		var first, last string
		if err := rows.Scan(&r.Key, &r.Label, &r.Plays, &r.Seconds, &first, &last); err != nil {
			return nil, fmt.Errorf("store: report by %s: %w", groupBy, err)
		}
		r.First, r.Last = parseTime(first), parseTime(last)
		out = append(out, r)
	}
	return out, rows.Err()
}
