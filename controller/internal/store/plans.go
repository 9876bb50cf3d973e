package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// PlanSchedule is a schedule entry that applies to a display, with the
// approved items of its playlist.
type PlanSchedule struct {
	Schedule
	Items []PlanItem
}

// PlanItem is one approved item of a scheduled playlist.
type PlanItem struct {
	Position   int
	MediaID    int64
	RevisionID int64 // the media's approved revision: what plays
	Kind       string
	CampaignID int64
	DurationMS int64
	// The days the item may play (YYYY-MM-DD, inclusive, "" = open): the
	// media's validity and its campaign's dates.
	ValidFrom, ValidUntil       string
	CampaignFrom, CampaignUntil string
}

// PlanSources returns what a display's plan is made of: the display and the
// schedules that target it directly or through its group, each with the
// approved items of its approved playlist. A schedule whose playlist has no
// approved revision has no items.
func (s *Store) PlanSources(ctx context.Context, displayID int64) (Display, []PlanSchedule, error) {
	d, err := s.Display(ctx, displayID)
	if err != nil {
		return d, nil, err
	}
	out, err := s.planSchedules(ctx, `display_id = ? OR (group_id IS NOT NULL AND group_id = ?)`, d.ID, nullInt(d.GroupID))
	if err != nil {
		return d, nil, fmt.Errorf("store: plan sources for display %d: %w", displayID, err)
	}
	return d, out, nil
}

// ApprovedItems lists the approved items of a playlist's approved revision
// (none when it has none), by position.
func (s *Store) ApprovedItems(ctx context.Context, playlistID int64) ([]PlanItem, error) {
	items, err := s.approvedItems(ctx, playlistID)
	if err != nil {
		return nil, fmt.Errorf("store: approved items of playlist %d: %w", playlistID, err)
	}
	return items, nil
}

// GroupPlanSources returns the schedules that target the group itself
// (not its displays one by one), each with its approved items.
func (s *Store) GroupPlanSources(ctx context.Context, groupID int64) ([]PlanSchedule, error) {
	if _, err := s.Group(ctx, groupID); err != nil {
		return nil, err
	}
	out, err := s.planSchedules(ctx, `group_id = ?`, groupID)
	if err != nil {
		return nil, fmt.Errorf("store: plan sources for group %d: %w", groupID, err)
	}
	return out, nil
}

// planSchedules lists the schedules that match where, by id, with the
// approved items of their playlists.
func (s *Store) planSchedules(ctx context.Context, where string, args ...any) ([]PlanSchedule, error) {
	out, err := s.scheduleList(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Items, err = s.approvedItems(ctx, out[i].PlaylistID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scheduleList lists the schedules that match where, by id, without items.
func (s *Store) scheduleList(ctx context.Context, where string, args ...any) ([]PlanSchedule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+scheduleCols+` FROM schedules WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []PlanSchedule
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, PlanSchedule{Schedule: sc})
	}
	rows.Close()
	return out, rows.Err()
}

func (s *Store) approvedItems(ctx context.Context, playlistID int64) ([]PlanItem, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT i.position, i.media_id, r.id, r.kind, COALESCE(m.campaign_id, p.campaign_id, 0), i.duration_ms,
			m.valid_from, m.valid_until, COALESCE(c.starts_on, ''), COALESCE(c.ends_on, '')
		FROM playlists p
		JOIN playlist_items i ON i.revision_id = p.approved_revision_id
		JOIN media m ON m.id = i.media_id
		JOIN media_revisions r ON r.id = m.approved_revision_id
		LEFT JOIN campaigns c ON c.id = COALESCE(m.campaign_id, p.campaign_id)
		WHERE p.id = ?
		ORDER BY i.position`, playlistID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []PlanItem
	for rows.Next() {
		var it PlanItem
		if err := rows.Scan(&it.Position, &it.MediaID, &it.RevisionID, &it.Kind, &it.CampaignID, &it.DurationMS,
			&it.ValidFrom, &it.ValidUntil, &it.CampaignFrom, &it.CampaignUntil); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// DisplayIDs lists every display's id.
func (s *Store) DisplayIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM displays ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: display ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: display ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// StoredPlan is a display's compiled plan.
type StoredPlan struct {
	Revision      int64
	Digest        string
	Plan          []byte // JSON
	AckedRevision int64
	UpdatedAt     time.Time
}

// DisplayPlan returns a display's stored plan; ErrNotFound when it has none.
func (s *Store) DisplayPlan(ctx context.Context, displayID int64) (StoredPlan, error) {
	var p StoredPlan
	var at string
	acks := s.pendingAcks(displayID)
	err := s.r.QueryRowContext(ctx, `SELECT p.revision, p.digest, `+planText+`, p.acked_revision, p.updated_at FROM display_plans p WHERE p.display_id = ?`,
		displayID).Scan(&p.Revision, &p.Digest, &p.Plan, &p.AckedRevision, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("store: plan of display %d: %w", displayID, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("store: plan of display %d: %w", displayID, err)
	}
	p.UpdatedAt = parseTime(at)
	p.AckedRevision = ackedRevision(p.AckedRevision, acks)
	return p, nil
}

// SavePlan stores a display's plan when its digest differs from the stored
// one, under the next revision. encode gets that revision and returns the
// JSON. It reports the revision in force and whether it is new.
func (s *Store) SavePlan(ctx context.Context, displayID int64, digest string, encode func(revision int64) ([]byte, error)) (int64, bool, error) {
	saved, err := s.SavePlans(ctx, []PlanWrite{{DisplayID: displayID, Digest: digest, Encode: encode}})
	if err != nil {
		return 0, false, err
	}
	return saved[0].Revision, saved[0].Changed, nil
}

// PlanWrite is a plan to store: SavePlan's arguments.
type PlanWrite struct {
	DisplayID int64
	Digest    string
	Encode    func(revision int64) ([]byte, error)
	// Assets is the SHA-256 of every asset the plan names, recorded in
	// its history; nil: read from the plan's JSON (slower).
	Assets []string
}

// SavedPlan is what SavePlans did with a PlanWrite: the revision in force,
// whether it is new, and (when new) the JSON stored.
type SavedPlan struct {
	Revision int64
	Changed  bool
	JSON     []byte
}

// SavePlans is SavePlan for many displays in one write transaction, so that
// a change reaching thousands of displays takes the single writer once, not
// once per display. A display deleted meanwhile fails the whole batch with
// ErrNotFound (the caller retries the others one by one).
func (s *Store) SavePlans(ctx context.Context, plans []PlanWrite) ([]SavedPlan, error) {
	out := make([]SavedPlan, len(plans))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: save plans: %w", err)
	}
	defer tx.Rollback()
	for _, idx := range rounds(plans) {
		if err := s.savePlanSet(ctx, tx, plans, idx, out); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: save plans: %w", err)
	}
	return out, nil
}

// SetPlanAcked records the plan revision a display's agent runs (and that
// its older revisions are replaced now): in memory at once, in the
// database by the next flush (see writebehind.go). DisplayPlan,
// PlanRevision and DisplayMayFetch see it at once.
func (s *Store) SetPlanAcked(_ context.Context, displayID, revision int64) error {
	k := planAck{rev: revision, at: s.now()}
	s.record(func(f *facts) { f.ack(displayID, k) })
	return nil
}

// SaveHealth keeps a display's latest health report.
func (s *Store) SaveHealth(ctx context.Context, displayID int64, health []byte, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO display_status (display_id, health, health_at) VALUES (?, ?, ?)
		ON CONFLICT (display_id) DO UPDATE SET health = excluded.health, health_at = excluded.health_at`,
		displayID, string(health), fmtTime(at))
	if err != nil {
		return fmt.Errorf("store: health of display %d: %w", displayID, err)
	}
	return nil
}

// SaveScreenshot keeps a display's latest screenshot.
// It is kept in memory at once and stored with the next flush of the
// facts kept behind (writebehind.go); Status sees it meanwhile.
func (s *Store) SaveScreenshot(_ context.Context, displayID int64, png []byte, at time.Time) error {
	s.record(func(f *facts) { f.screenshot(displayID, shot{png: png, at: at}) })
	return nil
}

// DisplayStatus is a display's last report.
type DisplayStatus struct {
	Health       []byte // JSON, nil before the first
	HealthAt     *time.Time
	Screenshot   []byte // PNG, nil before the first
	ScreenshotAt *time.Time
}

// Status returns a display's last report; a display that never reported
// has an empty one.
func (s *Store) Status(ctx context.Context, displayID int64) (DisplayStatus, error) {
	var st DisplayStatus
	var health sql.NullString
	var hAt, sAt sql.NullString
	sh, pending := s.pendingShot(displayID)
	err := s.r.QueryRowContext(ctx, `SELECT health, health_at, screenshot, screenshot_at FROM display_status WHERE display_id = ?`,
		displayID).Scan(&health, &hAt, &st.Screenshot, &sAt)
	if pending {
		st.Screenshot, sAt = sh.png, sql.NullString{String: fmtTime(sh.at), Valid: true}
	}
	if errors.Is(err, sql.ErrNoRows) {
		if pending {
			st.ScreenshotAt = parseNullTime(sAt)
		}
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("store: status of display %d: %w", displayID, err)
	}
	if health.Valid {
		st.Health = []byte(health.String)
	}
	st.HealthAt, st.ScreenshotAt = parseNullTime(hAt), parseNullTime(sAt)
	return st, nil
}

// AddPlayRecords stores proof-of-play records in one transaction; records
// already stored (by id) are skipped. It returns how many were new.
func (s *Store) AddPlayRecords(ctx context.Context, displayID int64, recs []protocol.PlayRecord) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: play records: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO play_records
		(id, display_id, plan_revision, schedule_id, item, media_id, campaign_id, started_at, ended_at, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (display_id, id) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("store: play records: %w", err)
	}
	defer stmt.Close()
	now := s.stamp()
	added := 0
	for _, r := range recs {
		campaign := nullInt(&r.Campaign)
		res, err := stmt.ExecContext(ctx, r.ID, displayID, r.PlanRevision, r.Entry, r.Item, r.Media, campaign, fmtTime(r.Start), fmtTime(r.End), now)
		if err != nil {
			return 0, fmt.Errorf("store: play record %s: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			added++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: play records: %w", err)
	}
	return added, nil
}

// PlayFilter selects proof-of-play records; zero fields do not filter.
type PlayFilter struct {
	DisplayID  int64
	CampaignID int64
	MediaID    int64
	UnitIDs    []int64   // media of these units only; nil: every unit
	From, To   time.Time // started_at in [From, To)
	Limit      int       // default 1000
}

// where returns the filter's conditions on play_records (aliased p).
func (f PlayFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) { conds, args = append(conds, cond), append(args, a...) }
	if f.DisplayID != 0 {
		add("p.display_id = ?", f.DisplayID)
	}
	if f.CampaignID != 0 {
		add("p.campaign_id = ?", f.CampaignID)
	}
	if f.MediaID != 0 {
		add("p.media_id = ?", f.MediaID)
	}
	if f.UnitIDs != nil {
		if len(f.UnitIDs) == 0 {
			add("0")
		} else {
			ids := make([]any, len(f.UnitIDs))
			for i, id := range f.UnitIDs {
				ids[i] = id
			}
			add("p.media_id IN (SELECT id FROM media WHERE unit_id IN (?"+strings.Repeat(", ?", len(ids)-1)+"))", ids...)
		}
	}
	if !f.From.IsZero() {
		add("p.started_at >= ?", fmtTime(f.From))
	}
	if !f.To.IsZero() {
		add("p.started_at < ?", fmtTime(f.To))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// PlayRecords lists proof-of-play records, oldest first.
func (s *Store) PlayRecords(ctx context.Context, f PlayFilter) ([]protocol.PlayRecord, error) {
	where, args := f.where()
	q := `SELECT p.id, p.display_id, p.plan_revision, p.schedule_id, p.item, p.media_id, COALESCE(p.campaign_id, 0), p.started_at, p.ended_at
		FROM play_records p` + where
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	q += " ORDER BY p.started_at, p.id LIMIT ?"
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: play records: %w", err)
	}
	defer rows.Close()
	out := []protocol.PlayRecord{}
	for rows.Next() {
		var r protocol.PlayRecord
		var start, end string
		if err := rows.Scan(&r.ID, &r.Display, &r.PlanRevision, &r.Entry, &r.Item, &r.Media, &r.Campaign, &start, &end); err != nil {
			return nil, fmt.Errorf("store: play records: %w", err)
		}
		r.Start, r.End = parseTime(start), parseTime(end)
		out = append(out, r)
	}
	return out, rows.Err()
}
