package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// Schedule says which playlist plays on a group or a display, on which
// dates, weekdays and daily windows (dayparts), at which priority and with
// which weight among equal priorities (share of voice). StartTime and
// EndTime hold the first daypart: the one-window form older clients read.
type Schedule struct {
	ID         int64  `json:"id"`
	PlaylistID int64  `json:"playlist_id"`
	GroupID    *int64 `json:"group_id"`
	DisplayID  *int64 `json:"display_id"`
	StartsOn   string `json:"starts_on"`
	EndsOn     string `json:"ends_on"`
	Weekdays   int    `json:"weekdays"` // bit 0 = Monday … bit 6 = Sunday
	StartTime  string `json:"start_time"`
	EndTime    string `json:"end_time"`
	Priority   int    `json:"priority"`
	// Dayparts are the entry's daily windows (at least one; a window whose
	// until ≤ from crosses midnight and belongs to the day it opens on).
	Dayparts  []protocol.Daypart `json:"dayparts"`
	Weight    int                `json:"weight"` // 1–100
	CreatedBy *int64             `json:"created_by"`
	CreatedAt time.Time          `json:"created_at"`
}

const scheduleCols = `id, playlist_id, group_id, display_id, starts_on, ends_on, weekdays, start_time, end_time, priority, created_by, created_at, dayparts, weight`

func scanSchedule(sc interface{ Scan(...any) error }) (Schedule, error) {
	var x Schedule
	var gid, did, by sql.NullInt64
	var at, parts string
	err := sc.Scan(&x.ID, &x.PlaylistID, &gid, &did, &x.StartsOn, &x.EndsOn, &x.Weekdays, &x.StartTime, &x.EndTime, &x.Priority, &by, &at, &parts, &x.Weight)
	x.GroupID, x.DisplayID, x.CreatedBy, x.CreatedAt = ptrInt(gid), ptrInt(did), ptrInt(by), parseTime(at)
	if err == nil && parts != "" {
		err = json.Unmarshal([]byte(parts), &x.Dayparts)
	}
	if len(x.Dayparts) == 0 {
		x.Dayparts = []protocol.Daypart{{From: x.StartTime, Until: x.EndTime}}
	}
	return x, err
}

// normalize makes the first daypart the one-window form and says what to
// store in the dayparts column (” when the one window says it all).
func (x *Schedule) normalize() string {
	if len(x.Dayparts) == 0 {
		x.Dayparts = []protocol.Daypart{{From: x.StartTime, Until: x.EndTime}}
	}
	x.StartTime, x.EndTime = x.Dayparts[0].From, x.Dayparts[0].Until
	if x.Weight == 0 {
		x.Weight = 1
	}
	if len(x.Dayparts) == 1 {
		return ""
	}
	b, _ := json.Marshal(x.Dayparts) // plain strings: cannot fail
	return string(b)
}

// checkSchedulable refuses a playlist that has no approved revision or whose
// approved revision holds media without an approved revision, and a target
// that does not exist.
func checkSchedulable(ctx context.Context, tx *sql.Tx, x Schedule) error {
	var appr sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT approved_revision_id FROM playlists WHERE id = ?`, x.PlaylistID).Scan(&appr)
	if errors.Is(err, sql.ErrNoRows) {
		return &ConflictError{Code: "unknown_playlist", Msg: fmt.Sprintf("playlist %d does not exist", x.PlaylistID), Params: map[string]any{"playlist": x.PlaylistID}}
	}
	if err != nil {
		return err
	}
	if !appr.Valid {
		return &StateError{Code: "playlist_not_approved", Msg: fmt.Sprintf("playlist %d has no approved revision; only approved playlists can be scheduled", x.PlaylistID),
			Params: map[string]any{"playlist": x.PlaylistID}}
	}
	m, err := unapprovedMedia(ctx, tx, appr.Int64)
	if err != nil {
		return err
	}
	if m != 0 {
		return &StateError{Code: "media_not_approved", Msg: fmt.Sprintf("media %d of playlist %d is not approved", m, x.PlaylistID),
			Params: map[string]any{"media": m, "playlist": x.PlaylistID}}
	}
	var one int
	if x.GroupID != nil {
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM display_groups WHERE id = ?`, *x.GroupID).Scan(&one); err != nil {
			return &ConflictError{Code: "unknown_group", Msg: fmt.Sprintf("group %d does not exist", *x.GroupID), Params: map[string]any{"group": *x.GroupID}}
		}
	}
	if x.DisplayID != nil {
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM displays WHERE id = ?`, *x.DisplayID).Scan(&one); err != nil {
			return &ConflictError{Code: "unknown_display", Msg: fmt.Sprintf("display %d does not exist", *x.DisplayID), Params: map[string]any{"display": *x.DisplayID}}
		}
	}
	return nil
}

func scheduleDetail(x Schedule) map[string]any {
	return map[string]any{"playlist_id": x.PlaylistID, "group_id": x.GroupID, "display_id": x.DisplayID,
		"starts_on": x.StartsOn, "ends_on": x.EndsOn, "weekdays": x.Weekdays, "start_time": x.StartTime, "end_time": x.EndTime, "priority": x.Priority,
		"dayparts": daypartsText(x.Dayparts), "weight": x.Weight}
}

// daypartsText is the audit's words for the windows: "06:30–08:30, 22:00–02:00".
func daypartsText(ds []protocol.Daypart) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.From + "–" + d.Until
	}
	return strings.Join(out, ", ")
}

// CreateSchedule adds a schedule entry of an approved playlist.
func (s *Store) CreateSchedule(ctx context.Context, who Actor, x Schedule) (Schedule, error) {
	id, err := s.change(ctx, who, "schedule.create", "schedule", func(tx *sql.Tx) (int64, map[string]any, error) {
		if err := checkSchedulable(ctx, tx, x); err != nil {
			return 0, nil, err
		}
		parts := x.normalize()
		id, err := insertID(ctx, tx, `INSERT INTO schedules (playlist_id, group_id, display_id, starts_on, ends_on, weekdays, start_time, end_time, priority, created_by, created_at, dayparts, weight)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			x.PlaylistID, nullInt(x.GroupID), nullInt(x.DisplayID), x.StartsOn, x.EndsOn, x.Weekdays, x.StartTime, x.EndTime, x.Priority, nullInt(&who.UserID), s.stamp(), parts, x.Weight)
		if err != nil {
			return 0, nil, err
		}
		return id, scheduleDetail(x), err
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("store: create schedule: %w", err)
	}
	return s.Schedule(ctx, id)
}

// Schedule returns one schedule entry.
func (s *Store) Schedule(ctx context.Context, id int64) (Schedule, error) {
	x, err := scanSchedule(s.r.QueryRowContext(ctx, `SELECT `+scheduleCols+` FROM schedules WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Schedule{}, fmt.Errorf("store: schedule %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Schedule{}, fmt.Errorf("store: schedule %d: %w", id, err)
	}
	return x, nil
}

// ScheduleFilter selects schedules; zero fields do not filter.
type ScheduleFilter struct {
	PlaylistID int64
	GroupID    int64
	DisplayID  int64
}

// Schedules lists schedule entries by priority, highest first.
func (s *Store) Schedules(ctx context.Context, f ScheduleFilter) ([]Schedule, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.PlaylistID != 0 {
		where, args = append(where, "playlist_id = ?"), append(args, f.PlaylistID)
	}
	if f.GroupID != 0 {
		where, args = append(where, "group_id = ?"), append(args, f.GroupID)
	}
	if f.DisplayID != 0 {
		where, args = append(where, "display_id = ?"), append(args, f.DisplayID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+scheduleCols+` FROM schedules WHERE `+strings.Join(where, " AND ")+` ORDER BY priority DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list schedules: %w", err)
	}
	defer rows.Close()
	out := []Schedule{}
	for rows.Next() {
		x, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list schedules: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list schedules: %w", err)
	}
	return out, nil
}

// UpdateSchedule replaces a schedule entry's rule; the playlist must still
// be schedulable.
func (s *Store) UpdateSchedule(ctx context.Context, who Actor, x Schedule) (Schedule, error) {
	_, err := s.change(ctx, who, "schedule.update", "schedule", func(tx *sql.Tx) (int64, map[string]any, error) {
		if err := checkSchedulable(ctx, tx, x); err != nil {
			return 0, nil, err
		}
		parts := x.normalize()
		res, err := tx.ExecContext(ctx, `UPDATE schedules SET playlist_id = ?, group_id = ?, display_id = ?, starts_on = ?, ends_on = ?,
			weekdays = ?, start_time = ?, end_time = ?, priority = ?, dayparts = ?, weight = ? WHERE id = ?`,
			x.PlaylistID, nullInt(x.GroupID), nullInt(x.DisplayID), x.StartsOn, x.EndsOn, x.Weekdays, x.StartTime, x.EndTime, x.Priority, parts, x.Weight, x.ID)
		return x.ID, scheduleDetail(x), affected(res, err)
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("store: update schedule %d: %w", x.ID, err)
	}
	return s.Schedule(ctx, x.ID)
}

// DeleteSchedule removes a schedule entry.
func (s *Store) DeleteSchedule(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "schedule.delete", "schedule", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM schedules WHERE id = ?`, id)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete schedule %d: %w", id, err)
	}
	return nil
}
