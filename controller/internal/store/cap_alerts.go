package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// States of a CAP alert the controller has seen.
const (
	CAPPublished = "published" // sent as an urgent notice (UrgentID)
	CAPWaiting   = "waiting"   // waits for an approver to publish or dismiss it
	CAPDismissed = "dismissed" // an approver chose not to show it
	CAPSkipped   = "skipped"   // not shown: Reason says why (not Actual, below the thresholds, no area matched, expired)
	CAPReplaced  = "replaced"  // an Update replaced it: its notice ended
	CAPCancelled = "cancelled" // a Cancel ended it
	CAPCancel    = "cancel"    // it is itself a Cancel message
)

// CAPAlert is one CAP alert the controller has seen, by feed, sender,
// identifier and sent: a restart never takes it twice, and the same alert
// through two feeds is taken by each, for the groups of its own map.
type CAPAlert struct {
	ID         int64      `json:"id"`
	FeedID     *int64     `json:"feed_id"`
	Identifier string     `json:"identifier"`
	Sender     string     `json:"sender"`
	Sent       time.Time  `json:"sent"`
	MsgType    string     `json:"msg_type"`
	State      string     `json:"state"`
	Reason     string     `json:"reason"` // why skipped: a code (not_actual, not_public, not_alert, no_info, below_threshold, no_area, expired, superseded)
	Event      string     `json:"event"`
	Title      string     `json:"title"` // the notice's title: the headline, else the event
	Body       string     `json:"body"`  // the notice's text
	Language   string     `json:"language"`
	Severity   string     `json:"severity"`
	Urgency    string     `json:"urgency"`
	Certainty  string     `json:"certainty"`
	ExpiresAt  *time.Time `json:"expires_at"` // when its notice ends
	GroupIDs   []int64    `json:"group_ids"`
	DisplayIDs []int64    `json:"display_ids"`
	// References are the alerts an Update replaces or a Cancel ends, as
	// "sender,identifier" pairs.
	References []string   `json:"references"`
	UrgentID   *int64     `json:"urgent_id"`
	DecidedBy  *int64     `json:"decided_by"`
	DecidedAt  *time.Time `json:"decided_at"`
	ReceivedAt time.Time  `json:"received_at"`
}

const capAlertCols = `id, feed_id, identifier, sender, sent, msg_type, state, reason, event, headline, body, language, severity, urgency, certainty,
	expires_at, group_ids, display_ids, refs, urgent_id, decided_by, decided_at, received_at`

func scanCAPAlert(sc interface{ Scan(...any) error }) (CAPAlert, error) {
	var a CAPAlert
	var feed, urgent, by sql.NullInt64
	var sent, received, groups, displays, refs string
	var expires, decided sql.NullString
	err := sc.Scan(&a.ID, &feed, &a.Identifier, &a.Sender, &sent, &a.MsgType, &a.State, &a.Reason, &a.Event, &a.Title, &a.Body, &a.Language,
		&a.Severity, &a.Urgency, &a.Certainty, &expires, &groups, &displays, &refs, &urgent, &by, &decided, &received)
	a.References = strings.Fields(refs)
	a.FeedID, a.UrgentID, a.DecidedBy = ptrInt(feed), ptrInt(urgent), ptrInt(by)
	a.Sent, a.ReceivedAt, a.ExpiresAt, a.DecidedAt = parseTime(sent), parseTime(received), parseNullTime(expires), parseNullTime(decided)
	a.GroupIDs, a.DisplayIDs = splitIDs(groups), splitIDs(displays)
	return a, err
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

func nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return fmtTime(*t)
}

// RecordCAPAlert stores a newly seen alert. seen is true (and nothing is
// written) when the feed has an alert with the same sender, identifier
// and sent already. Not audited: what it leads to (a notice, a decision) is.
func (s *Store) RecordCAPAlert(ctx context.Context, a CAPAlert) (out CAPAlert, seen bool, err error) {
	var id int64
	err = s.w.QueryRowContext(ctx, `INSERT INTO cap_alerts (feed_id, identifier, sender, sent, msg_type, state, reason, event, headline, body,
		language, severity, urgency, certainty, expires_at, group_ids, display_ids, refs, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (feed_id, sender, identifier, sent) DO NOTHING RETURNING id`,
		nullInt(a.FeedID), a.Identifier, a.Sender, fmtTime(a.Sent), a.MsgType, a.State, a.Reason, a.Event, a.Title, a.Body,
		a.Language, a.Severity, a.Urgency, a.Certainty, nullTime(a.ExpiresAt), joinIDs(uniqIDs(a.GroupIDs)), joinIDs(uniqIDs(a.DisplayIDs)),
		strings.Join(a.References, " "), s.stamp()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // the conflict: nothing inserted
		return a, true, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("store: record cap alert %s: %w", a.Identifier, err)
	}
	out, err = s.CAPAlert(ctx, id)
	return out, false, err
}

// CAPAlertSeen is true when the feed has stored the alert already.
func (s *Store) CAPAlertSeen(ctx context.Context, feedID int64, sender, identifier string, sent time.Time) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM cap_alerts WHERE feed_id = ? AND sender = ? AND identifier = ? AND sent = ?`,
		feedID, sender, identifier, fmtTime(sent)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: cap alert seen: %w", err)
	}
	return true, nil
}

// CAPAlertReplaced is true when a stored Update or Cancel references the
// alert of sender and identifier: it came late, and must not be shown.
func (s *Store) CAPAlertReplaced(ctx context.Context, sender, identifier string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM cap_alerts WHERE instr(' ' || refs || ' ', ' ' || ? || ' ') > 0 LIMIT 1`, sender+","+identifier).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: cap alert replaced: %w", err)
	}
	return true, nil
}

// CAPAlert returns one alert.
func (s *Store) CAPAlert(ctx context.Context, id int64) (CAPAlert, error) {
	a, err := scanCAPAlert(s.r.QueryRowContext(ctx, `SELECT `+capAlertCols+` FROM cap_alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("store: cap alert %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("store: cap alert %d: %w", id, err)
	}
	return a, nil
}

// CAPAlertsOf lists the stored alerts of a sender and identifier (what an
// Update or a Cancel references), whatever their sent time and feed.
func (s *Store) CAPAlertsOf(ctx context.Context, sender, identifier string) ([]CAPAlert, error) {
	return s.capAlertList(ctx, `SELECT `+capAlertCols+` FROM cap_alerts WHERE sender = ? AND identifier = ? ORDER BY id`, sender, identifier)
}

// CAPAlertCopies lists the stored copies of one alert (sender, identifier
// and sent), through every feed.
func (s *Store) CAPAlertCopies(ctx context.Context, sender, identifier string, sent time.Time) ([]CAPAlert, error) {
	return s.capAlertList(ctx, `SELECT `+capAlertCols+` FROM cap_alerts WHERE sender = ? AND identifier = ? AND sent = ? ORDER BY id`,
		sender, identifier, fmtTime(sent))
}

// CAPAlertsWaiting lists the alerts of one feed still waiting, oldest
// first.
func (s *Store) CAPAlertsWaiting(ctx context.Context, feedID int64) ([]CAPAlert, error) {
	return s.capAlertList(ctx, `SELECT `+capAlertCols+` FROM cap_alerts WHERE feed_id = ? AND state = ? ORDER BY sent, id`, feedID, CAPWaiting)
}

// SkipCAPAlert marks a waiting alert skipped, for reason: the poller's
// bookkeeping (an alert of an automatic feed that expired before its
// notice could be sent), not a decision, so not audited. ok is false when
// the alert was no longer waiting.
func (s *Store) SkipCAPAlert(ctx context.Context, id int64, reason string) (ok bool, err error) {
	res, err := s.w.ExecContext(ctx, `UPDATE cap_alerts SET state = ?, reason = ? WHERE id = ? AND state = ?`, CAPSkipped, reason, id, CAPWaiting)
	if err != nil {
		return false, fmt.Errorf("store: skip cap alert %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CAPAlerts lists alerts newest first (at most 200): of one state when
// state is set.
func (s *Store) CAPAlerts(ctx context.Context, state string) ([]CAPAlert, error) {
	if state != "" {
		return s.capAlertList(ctx, `SELECT `+capAlertCols+` FROM cap_alerts WHERE state = ? ORDER BY id DESC LIMIT 200`, state)
	}
	return s.capAlertList(ctx, `SELECT `+capAlertCols+` FROM cap_alerts ORDER BY id DESC LIMIT 200`)
}

func (s *Store) capAlertList(ctx context.Context, q string, args ...any) ([]CAPAlert, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: cap alerts: %w", err)
	}
	defer rows.Close()
	out := []CAPAlert{}
	for rows.Next() {
		a, err := scanCAPAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("store: cap alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetCAPAlertState moves an alert from one of the states in from to to,
// with the urgent notice it became (or nil to keep it), audited as action
// when who is a person (a decision) or the poller.
func (s *Store) SetCAPAlertState(ctx context.Context, who Actor, id int64, action string, from []string, to string, urgentID *int64) (CAPAlert, error) {
	_, err := s.change(ctx, who, action, "cap_alert", func(tx *sql.Tx) (int64, map[string]any, error) {
		var state, ident string
		err := tx.QueryRowContext(ctx, `SELECT state, identifier FROM cap_alerts WHERE id = ?`, id).Scan(&state, &ident)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, ErrNotFound
		}
		if err != nil {
			return 0, nil, err
		}
		ok := false
		for _, f := range from {
			ok = ok || f == state
		}
		if !ok {
			return 0, nil, &StateError{Code: "wrong_state", Msg: fmt.Sprintf("the alert is %s", state), Params: map[string]any{"status": state, "to": to}}
		}
		var decidedAt any // a person's decision is stamped; the system's keeps the last one's
		if who.UserID != 0 {
			decidedAt = s.stamp()
		}
		_, err = tx.ExecContext(ctx, `UPDATE cap_alerts SET state = ?, urgent_id = COALESCE(?, urgent_id), decided_by = COALESCE(?, decided_by),
			decided_at = COALESCE(?, decided_at) WHERE id = ?`,
			to, nullInt(urgentID), nullInt(&who.UserID), decidedAt, id)
		d := map[string]any{"identifier": ident, "from": state, "to": to}
		if urgentID != nil {
			d["urgent_id"] = *urgentID
		}
		return id, d, err
	})
	if err != nil {
		return CAPAlert{}, fmt.Errorf("store: cap alert %d: %w", id, err)
	}
	return s.CAPAlert(ctx, id)
}
