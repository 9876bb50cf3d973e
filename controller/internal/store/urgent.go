package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// UrgentNotice overrides every targeted screen until it ends.
type UrgentNotice struct {
	ID      int64  `json:"id"`
	MediaID int64  `json:"media_id"`
	Title   string `json:"title"`
	// EveryDisplay: it reaches every display; else the displays of
	// GroupIDs and DisplayIDs.
	EveryDisplay bool    `json:"every_display"`
	GroupIDs     []int64 `json:"group_ids"`
	DisplayIDs   []int64 `json:"display_ids"`
	// GroupID is the one group of a notice aimed at exactly one group
	// (the older form of the API), else nil.
	GroupID *int64 `json:"group_id"`
	// Displays is how many displays it reaches now.
	Displays    int        `json:"displays"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	CancelledAt *time.Time `json:"cancelled_at"`
	CreatedBy   *int64     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	// Text is the body of a notice composed for it (MadeFor "urgent"),
	// else "": its media is then content of the library.
	Text string `json:"text"`
	// RevisionID is the media's approved revision: what plays.
	RevisionID int64 `json:"-"`
}

// UrgentTarget is where an urgent notice goes: every display, or the
// displays of some groups and some displays named one by one.
type UrgentTarget struct {
	EveryDisplay bool
	GroupIDs     []int64
	DisplayIDs   []int64
}

const urgentCols = `u.id, u.media_id, COALESCE(r.title, ''), u.every_display,
	(SELECT group_concat(group_id) FROM urgent_targets t WHERE t.urgent_id = u.id AND group_id IS NOT NULL),
	(SELECT group_concat(display_id) FROM urgent_targets t WHERE t.urgent_id = u.id AND display_id IS NOT NULL),
	(SELECT count(*) FROM displays d WHERE u.every_display = 1
		OR d.id IN (SELECT display_id FROM urgent_targets t WHERE t.urgent_id = u.id)
		OR d.group_id IN (SELECT group_id FROM urgent_targets t WHERE t.urgent_id = u.id)),
	u.starts_at, u.ends_at, u.cancelled_at, u.created_by, u.created_at, COALESCE(m.approved_revision_id, 0),
	CASE m.made_for WHEN 'urgent' THEN COALESCE(r.body, '') ELSE '' END`

const urgentFrom = ` FROM urgent_notices u JOIN media m ON m.id = u.media_id LEFT JOIN media_revisions r ON r.id = m.approved_revision_id`

// urgentLive keeps the notices not cancelled and not ended at ?.
const urgentLive = ` u.cancelled_at IS NULL AND u.ends_at > ?`

func scanUrgent(sc interface{ Scan(...any) error }) (UrgentNotice, error) {
	var n UrgentNotice
	var by sql.NullInt64
	var groups, displays sql.NullString
	var starts, ends, created string
	var cancelled sql.NullString
	err := sc.Scan(&n.ID, &n.MediaID, &n.Title, &n.EveryDisplay, &groups, &displays, &n.Displays, &starts, &ends, &cancelled, &by, &created, &n.RevisionID, &n.Text)
	n.CreatedBy = ptrInt(by)
	n.StartsAt, n.EndsAt, n.CreatedAt, n.CancelledAt = parseTime(starts), parseTime(ends), parseTime(created), parseNullTime(cancelled)
	n.GroupIDs, n.DisplayIDs = splitIDs(groups.String), splitIDs(displays.String)
	if !n.EveryDisplay && len(n.GroupIDs) == 1 && len(n.DisplayIDs) == 0 {
		g := n.GroupIDs[0]
		n.GroupID = &g
	}
	return n, err
}

// splitIDs reads group_concat's "3,1,2" as sorted ids.
func splitIDs(s string) []int64 {
	out := []int64{}
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// CreateUrgentNotice sends an approved media to every display (groupID nil)
// or a group's, from now for d.
func (s *Store) CreateUrgentNotice(ctx context.Context, who Actor, mediaID int64, groupID *int64, d time.Duration) (UrgentNotice, error) {
	to := UrgentTarget{EveryDisplay: groupID == nil}
	if groupID != nil {
		to.GroupIDs = []int64{*groupID}
	}
	return s.SendUrgentNotice(ctx, who, mediaID, to, d)
}

// SendUrgentNotice sends an approved media to the displays of to, from now
// for d. An unknown group or display is ErrNotFound.
func (s *Store) SendUrgentNotice(ctx context.Context, who Actor, mediaID int64, to UrgentTarget, d time.Duration) (UrgentNotice, error) {
	return s.SendUrgent(ctx, who, UrgentNew{MediaID: mediaID, To: to, EndsAt: s.now().Add(d)})
}

// UrgentNew is an urgent notice to send: an approved media, or a text
// notice composed for it (Text), to the displays of To until EndsAt.
type UrgentNew struct {
	MediaID int64
	// Text, when set, is created in the same transaction as an approved
	// media of its own, made for this notice (MadeFor "urgent": out of the
	// content list); its Kind must be KindText. MediaID is then ignored.
	Text   *NewMedia
	To     UrgentTarget
	EndsAt time.Time
	// Detail is added to the audit record (e.g. the CAP alert it comes from).
	Detail map[string]any
}

// SendUrgent sends an urgent notice from now until n.EndsAt, which must be
// later than now. An unknown group or display is ErrNotFound.
func (s *Store) SendUrgent(ctx context.Context, who Actor, n UrgentNew) (UrgentNotice, error) {
	to := n.To
	groups, displays := uniqIDs(to.GroupIDs), uniqIDs(to.DisplayIDs)
	if to.EveryDisplay {
		groups, displays = nil, nil
	} else if len(groups)+len(displays) == 0 {
		return UrgentNotice{}, fmt.Errorf("store: urgent notice: %w", &StateError{Code: "one_target", Msg: "an urgent notice needs every display, or some groups or displays"})
	}
	now := s.now()
	if !n.EndsAt.After(now) {
		return UrgentNotice{}, fmt.Errorf("store: urgent notice: %w", &StateError{Code: "ends_in_past", Msg: "an urgent notice must end after now"})
	}
	if n.Text != nil && n.Text.Kind != KindText {
		return UrgentNotice{}, fmt.Errorf("store: urgent notice: composed media is %q, not text", n.Text.Kind)
	}
	id, err := s.change(ctx, who, "urgent.create", "urgent_notice", func(tx *sql.Tx) (int64, map[string]any, error) {
		mediaID := n.MediaID
		if n.Text != nil {
			var err error
			if mediaID, err = s.createUrgentMedia(ctx, tx, who, *n.Text); err != nil {
				return 0, nil, err
			}
		}
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
		// One approver may send an urgent notice alone, but not of content
		// they had a hand in: that would put their own work on every
		// screen with no second person. A text composed for the notice
		// (n.Text) is the sender's own urgent act, and allowed.
		if n.Text == nil {
			if err := checkNotOwnWork(ctx, tx, who, "media", approved.Int64, "this media's approved revision"); err != nil {
				return 0, nil, err
			}
		}
		id, err := insertID(ctx, tx, `INSERT INTO urgent_notices (media_id, every_display, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			mediaID, to.EveryDisplay, fmtTime(now), fmtTime(n.EndsAt), nullInt(&who.UserID), fmtTime(now))
		if err != nil {
			return 0, nil, err
		}
		for _, g := range groups {
			_, err = tx.ExecContext(ctx, `INSERT INTO urgent_targets (urgent_id, group_id) VALUES (?, ?)`, id, g)
			if isForeignKey(err) {
				return 0, nil, ErrNotFound
			}
			if err != nil {
				return 0, nil, err
			}
		}
		for _, dp := range displays {
			_, err = tx.ExecContext(ctx, `INSERT INTO urgent_targets (urgent_id, display_id) VALUES (?, ?)`, id, dp)
			if isForeignKey(err) {
				return 0, nil, ErrNotFound
			}
			if err != nil {
				return 0, nil, err
			}
		}
		detail := map[string]any{"media_id": mediaID, "every_display": to.EveryDisplay, "group_ids": groups, "display_ids": displays,
			"minutes": n.EndsAt.Sub(now).Minutes(), "ends_at": fmtTime(n.EndsAt)}
		if n.Text != nil {
			detail["title"], detail["text"] = n.Text.Title, n.Text.Body
		}
		for k, v := range n.Detail {
			detail[k] = v
		}
		return id, detail, nil
	})
	if err != nil {
		return UrgentNotice{}, fmt.Errorf("store: urgent notice: %w", err)
	}
	return s.UrgentNotice(ctx, id)
}

// createUrgentMedia adds, inside tx, a text media made for one urgent
// notice with one revision approved by who at once: sending an urgent
// notice is an approver's decision already.
func (s *Store) createUrgentMedia(ctx context.Context, tx *sql.Tx, who Actor, m NewMedia) (int64, error) {
	now := s.stamp()
	id, err := insertID(ctx, tx, `INSERT INTO media (unit_id, created_by, created_at, made_for) VALUES (?, ?, ?, 'urgent')`,
		m.UnitID, nullInt(&m.CreatedBy), now)
	if isForeignKey(err) {
		return 0, fmt.Errorf("unit %d: %w", m.UnitID, ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	rev, err := insertID(ctx, tx, `INSERT INTO media_revisions (media_id, number, status, title, kind, body, processing, processing_progress, notice,
		created_by, created_at, decided_by, decided_at) VALUES (?, 1, 'approved', ?, 'text', ?, 'ready', 100, ?, ?, ?, ?, ?)`,
		id, m.Title, m.Body, noticeJSON(m.Notice), nullInt(&m.CreatedBy), now, nullInt(&who.UserID), now)
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE media SET current_revision_id = ?, approved_revision_id = ? WHERE id = ?`, rev, rev, id)
	return id, err
}

// Touch tells the change listeners (the plan service) that an object
// changed outside a transaction of the store: e.g. the renditions of an
// urgent notice's media were stored after the notice.
func (s *Store) Touch(objectType string, id int64) { s.notify(objectType, id) }

func uniqIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
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
// not cancelled and not yet ended at now, optionally only those that reach
// a group (those for every display included).
func (s *Store) UrgentNotices(ctx context.Context, live bool, groupID *int64) ([]UrgentNotice, error) {
	q := `SELECT ` + urgentCols + urgentFrom
	var args []any
	if live {
		q += ` WHERE` + urgentLive
		args = append(args, s.stamp())
		if groupID != nil {
			q += ` AND (u.every_display = 1 OR EXISTS (SELECT 1 FROM urgent_targets t WHERE t.urgent_id = u.id AND t.group_id = ?))`
			args = append(args, *groupID)
		}
	}
	return s.urgentList(ctx, q, args)
}

// UrgentNoticesFor lists the live urgent notices that reach a display (in
// group groupID, or none), newest first: those for every display, for its
// group or for it by name.
func (s *Store) UrgentNoticesFor(ctx context.Context, displayID int64, groupID *int64) ([]UrgentNotice, error) {
	q := `SELECT ` + urgentCols + urgentFrom + ` WHERE` + urgentLive + ` AND (u.every_display = 1 OR EXISTS (SELECT 1 FROM urgent_targets t
		WHERE t.urgent_id = u.id AND (t.display_id = ? OR t.group_id = ?)))`
	return s.urgentList(ctx, q, []any{s.stamp(), displayID, nullInt(groupID)})
}

func (s *Store) urgentList(ctx context.Context, q string, args []any) ([]UrgentNotice, error) {
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY u.id DESC LIMIT 200`, args...)
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
