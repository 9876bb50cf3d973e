package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PlanHistoryKeep is how long a plan revision is kept after its display
// acknowledged a newer one (its agent's late proof of play is checked
// against it), and PlanHistoryKeepUnacked how long after a newer one was
// made when the display never acknowledged one (an agent offline that
// long keeps at most that much proof of play checkable).
const (
	PlanHistoryKeep        = 30 * 24 * time.Hour
	PlanHistoryKeepUnacked = 90 * 24 * time.Hour
)

// toSecond is t as the first 19 characters of fmtTime: stored times
// compared as text agree with time only to the second (RFC 3339 with
// fractions does not sort: "…00Z" > "…00.5Z"), compared by that prefix.
func toSecond(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// PlanRevision is one revision of a display's plan as it was sent.
type PlanRevision struct {
	Plan       []byte     // protocol.Plan, JSON
	CreatedAt  time.Time  // when it was made
	ReplacedAt *time.Time // when the display acknowledged a newer one; nil: it may still play it
}

// PlanRevision returns revision rev of a display's plan; ErrNotFound when
// the display was never sent it (or it is past keeping).
func (s *Store) PlanRevision(ctx context.Context, displayID, rev int64) (PlanRevision, error) {
	var p PlanRevision
	var created string
	var replaced sql.NullString
	acks := s.pendingAcks(displayID)
	err := s.r.QueryRowContext(ctx, `SELECT plan, created_at, replaced_at FROM display_plan_history WHERE display_id = ? AND revision = ?`,
		displayID, rev).Scan(&p.Plan, &created, &replaced)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("store: plan revision %d of display %d: %w", rev, displayID, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("store: plan revision %d of display %d: %w", rev, displayID, err)
	}
	p.CreatedAt, p.ReplacedAt = parseTime(created), replacedAt(parseNullTime(replaced), rev, acks)
	return p, nil
}

// DisplayMayFetch reports whether an asset is named by a plan of the
// display that it may still play or be fetching for: its current plan, any
// revision it has not acknowledged a newer one than, or one it moved past
// after since.
func (s *Store) DisplayMayFetch(ctx context.Context, displayID int64, sha string, since time.Time) (bool, error) {
	acks := s.pendingAcks(displayID)
	if len(acks) == 0 {
		var ok bool
		err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM display_plan_assets a
		JOIN display_plan_history h ON h.display_id = a.display_id AND h.revision = a.revision
		WHERE a.display_id = ? AND a.sha256 = ? AND (h.replaced_at IS NULL OR substr(h.replaced_at, 1, 19) >= ?))`,
			displayID, sha, toSecond(since)).Scan(&ok)
		if err != nil {
			return false, fmt.Errorf("store: asset %s for display %d: %w", sha, displayID, err)
		}
		return ok, nil
	}
	// Acks not yet stored replace revisions the database has not: the
	// same test, on each revision naming the asset.
	rows, err := s.r.QueryContext(ctx, `SELECT h.revision, h.replaced_at FROM display_plan_assets a
		JOIN display_plan_history h ON h.display_id = a.display_id AND h.revision = a.revision
		WHERE a.display_id = ? AND a.sha256 = ?`, displayID, sha)
	if err != nil {
		return false, fmt.Errorf("store: asset %s for display %d: %w", sha, displayID, err)
	}
	defer rows.Close()
	ok := false
	for rows.Next() {
		var rev int64
		var replaced sql.NullString
		if err := rows.Scan(&rev, &replaced); err != nil {
			return false, fmt.Errorf("store: asset %s for display %d: %w", sha, displayID, err)
		}
		if at := replacedAt(parseNullTime(replaced), rev, acks); at == nil || toSecond(*at) >= toSecond(since) {
			ok = true
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("store: asset %s for display %d: %w", sha, displayID, err)
	}
	return ok, nil
}

// DisplayEnrolledAt is when the display was first enrolled (its oldest
// credential was issued); zero when it never was.
func (s *Store) DisplayEnrolledAt(ctx context.Context, displayID int64) (time.Time, error) {
	var at sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT MIN(created_at) FROM device_credentials WHERE display_id = ?`, displayID).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: enrolment of display %d: %w", displayID, err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return parseTime(at.String), nil
}

// Refusals counts a display's reports the controller refused.
type Refusals struct {
	PlayRecords int64      `json:"play_records"`
	Screenshots int64      `json:"screenshots"`
	LastReason  string     `json:"last_reason,omitempty"`
	LastAt      *time.Time `json:"last_at,omitempty"`
}

// AddRefusals counts refused play records and screenshots of a display,
// with the reason of the latest.
func (s *Store) AddRefusals(ctx context.Context, displayID int64, playRecords, screenshots int, reason string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO display_refusals (display_id, play_records, screenshots, last_reason, last_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (display_id) DO UPDATE SET play_records = display_refusals.play_records + excluded.play_records,
			screenshots = display_refusals.screenshots + excluded.screenshots, last_reason = excluded.last_reason, last_at = excluded.last_at`,
		displayID, playRecords, screenshots, reason, s.stamp())
	if isForeignKey(err) {
		return fmt.Errorf("store: refusals of display %d: %w", displayID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: refusals of display %d: %w", displayID, err)
	}
	return nil
}

// DisplayRefusals returns a display's refusal counts (zero when none).
func (s *Store) DisplayRefusals(ctx context.Context, displayID int64) (Refusals, error) {
	var r Refusals
	var at sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT play_records, screenshots, last_reason, last_at FROM display_refusals WHERE display_id = ?`,
		displayID).Scan(&r.PlayRecords, &r.Screenshots, &r.LastReason, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("store: refusals of display %d: %w", displayID, err)
	}
	r.LastAt = parseNullTime(at)
	return r, nil
}
