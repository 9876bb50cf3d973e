package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UrgentNotice overrides every targeted screen until it ends.
type UrgentNotice struct {
	ID          int64      `json:"id"`
	MediaID     int64      `json:"media_id"`
	Title       string     `json:"title"`
	GroupID     *int64     `json:"group_id"` // nil: every display
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	CancelledAt *time.Time `json:"cancelled_at"`
	CreatedBy   *int64     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	// RevisionID is the media's approved revision: what plays.
	RevisionID int64 `json:"-"`
}

const urgentCols = `u.id, u.media_id, COALESCE(r.title, ''), u.group_id, u.starts_at, u.ends_at, u.cancelled_at, u.created_by, u.created_at, COALESCE(m.approved_revision_id, 0)`

const urgentFrom = ` FROM urgent_notices u JOIN media m ON m.id = u.media_id LEFT JOIN media_revisions r ON r.id = m.approved_revision_id`

func scanUrgent(sc interface{ Scan(...any) error }) (UrgentNotice, error) {
	var n UrgentNotice
	var group, by sql.NullInt64
	var starts, ends, created string
	var cancelled sql.NullString
	err := sc.Scan(&n.ID, &n.MediaID, &n.Title, &group, &starts, &ends, &cancelled, &by, &created, &n.RevisionID)
	n.GroupID, n.CreatedBy = ptrInt(group), ptrInt(by)
	n.StartsAt, n.EndsAt, n.CreatedAt, n.CancelledAt = parseTime(starts), parseTime(ends), parseTime(created), parseNullTime(cancelled)
	return n, err
}

// CreateUrgentNotice sends an approved media to every display (groupID nil)
// or a group's, from now for d.
func (s *Store) CreateUrgentNotice(ctx context.Context, who Actor, mediaID int64, groupID *int64, d time.Duration) (UrgentNotice, error) {
	now := s.now()
	id, err := s.change(ctx, who, "urgent.create", "urgent_notice", func(tx *sql.Tx) (int64, map[string]any, error) {
		var approved sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT approved_revision_id FROM media WHERE id = ?`, mediaID).Scan(&approved)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, ErrNotFound
		}
		if err != nil {
			return 0, nil, err
		}
		if !approved.Valid {
			return 0, nil, &StateError{Code: "media_not_approved", Msg: "only approved content can be sent as an urgent notice", Params: map[string]any{"media": mediaID}}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO urgent_notices (media_id, group_id, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			mediaID, nullInt(groupID), fmtTime(now), fmtTime(now.Add(d)), nullInt(&who.UserID), fmtTime(now))
		if isForeignKey(err) {
			return 0, nil, ErrNotFound
		}
		if err != nil {
			return 0, nil, err
		}
		id, err := res.LastInsertId()
		return id, map[string]any{"media_id": mediaID, "group_id": nullInt(groupID), "minutes": d.Minutes()}, err
	})
	if err != nil {
		return UrgentNotice{}, fmt.Errorf("store: urgent notice: %w", err)
	}
	return s.UrgentNotice(ctx, id)
}

// CancelUrgentNotice ends an urgent notice now.
func (s *Store) CancelUrgentNotice(ctx context.Context, who Actor, id int64) (UrgentNotice, error) {
	_, err := s.change(ctx, who, "urgent.cancel", "urgent_notice", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE urgent_notices SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL`, s.stamp(), id)
		if err := affected(res, err); err != nil {
			return 0, nil, err
		}
		return id, nil, nil
	})
	if err != nil {
		return UrgentNotice{}, fmt.Errorf("store: cancel urgent notice %d: %w", id, err)
	}
	return s.UrgentNotice(ctx, id)
}

// UrgentNotice returns one urgent notice.
func (s *Store) UrgentNotice(ctx context.Context, id int64) (UrgentNotice, error) {
	n, err := scanUrgent(s.r.QueryRowContext(ctx, `SELECT `+urgentCols+urgentFrom+` WHERE u.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("store: urgent notice %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return n, fmt.Errorf("store: urgent notice %d: %w", id, err)
	}
	return n, nil
}

// UrgentNotices lists urgent notices, newest first; with live, only those
// not cancelled and not yet ended at now, optionally for one group (those
// for every display included).
func (s *Store) UrgentNotices(ctx context.Context, live bool, groupID *int64) ([]UrgentNotice, error) {
	q := `SELECT ` + urgentCols + urgentFrom
	var args []any
	if live {
		q += ` WHERE u.cancelled_at IS NULL AND u.ends_at > ? AND (u.group_id IS NULL OR u.group_id = ?)`
		args = append(args, s.stamp(), nullInt(groupID))
	}
	q += ` ORDER BY u.id DESC LIMIT 200`
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: urgent notices: %w", err)
	}
	defer rows.Close()
	out := []UrgentNotice{}
	for rows.Next() {
		n, err := scanUrgent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: urgent notices: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
