package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CAPFeed is a URL the controller polls for CAP emergency alerts.
type CAPFeed struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	Interval int    `json:"interval_s"` // seconds between polls, at least 30
	// Thresholds: an alert passes when it is at least this severe, urgent
	// and certain; "" lets everything through on that scale.
	MinSeverity  string `json:"min_severity"`
	MinUrgency   string `json:"min_urgency"`
	MinCertainty string `json:"min_certainty"`
	// AutoPublish sends a passing alert at once; else it waits for an
	// approver.
	AutoPublish bool `json:"auto_publish"`
	// Languages are the info languages to prefer, in order ("vi" first).
	Languages []string `json:"languages"`
	// MatchPoints also matches an alert's polygons and circles against the
	// displays' coordinates.
	MatchPoints bool `json:"match_points"`
	// DefaultMinutes is how long a notice lasts when the alert gives no
	// <expires>.
	DefaultMinutes int       `json:"default_minutes"`
	Areas          []CAPArea `json:"areas"`
	UnitID         int64     `json:"unit_id"` // the unit its notices are made in

	ETag         string `json:"-"`
	LastModified string `json:"-"`
	// The last poll: when, its result (ok, not_modified, error) and, for
	// an error, a stable code and the message.
	LastPollAt    *time.Time `json:"last_poll_at"`
	LastResult    string     `json:"last_result"`
	LastErrorCode string     `json:"last_error_code"`
	LastError     string     `json:"last_error"`
	NextPollAt    time.Time  `json:"next_poll_at"`
	CreatedBy     *int64     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
}

// CAPArea maps an alert's <areaDesc> place name (Kind "desc": Value is
// the name, matched as whole words ignoring case and diacritics) or a
// <geocode> (Kind "geocode": Name is its valueName, Value its value) to a
// group of displays.
type CAPArea struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Value   string `json:"value"`
	GroupID int64  `json:"group_id"`
}

// Results of a feed's last poll.
const (
	PollOK          = "ok"
	PollNotModified = "not_modified"
	PollError       = "error"
)

const capFeedCols = `id, name, url, interval_s, min_severity, min_urgency, min_certainty, auto_publish, languages, match_points,
	default_minutes, unit_id, etag, last_modified, last_poll_at, last_result, last_error_code, last_error, next_poll_at, created_by, created_at`

func scanCAPFeed(sc interface{ Scan(...any) error }) (CAPFeed, error) {
	var f CAPFeed
	var langs, next, created string
	var last sql.NullString
	var by sql.NullInt64
	err := sc.Scan(&f.ID, &f.Name, &f.URL, &f.Interval, &f.MinSeverity, &f.MinUrgency, &f.MinCertainty, &f.AutoPublish, &langs, &f.MatchPoints,
		&f.DefaultMinutes, &f.UnitID, &f.ETag, &f.LastModified, &last, &f.LastResult, &f.LastErrorCode, &f.LastError, &next, &by, &created)
	f.Languages = strings.FieldsFunc(langs, func(r rune) bool { return r == ',' })
	f.LastPollAt, f.NextPollAt, f.CreatedBy, f.CreatedAt = parseNullTime(last), parseTime(next), ptrInt(by), parseTime(created)
	return f, err
}

func (s *Store) capAreas(ctx context.Context, feedID int64) ([]CAPArea, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, name, value, group_id FROM cap_feed_areas WHERE feed_id = ? ORDER BY rowid`, feedID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CAPArea{}
	for rows.Next() {
		var a CAPArea
		if err := rows.Scan(&a.Kind, &a.Name, &a.Value, &a.GroupID); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CAPFeed returns one feed with its areas.
func (s *Store) CAPFeed(ctx context.Context, id int64) (CAPFeed, error) {
	f, err := scanCAPFeed(s.r.QueryRowContext(ctx, `SELECT `+capFeedCols+` FROM cap_feeds WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("store: cap feed %d: %w", id, ErrNotFound)
	}
	if err == nil {
		f.Areas, err = s.capAreas(ctx, id)
	}
	if err != nil {
		return f, fmt.Errorf("store: cap feed %d: %w", id, err)
	}
	return f, nil
}

// CAPFeeds lists every feed by name.
func (s *Store) CAPFeeds(ctx context.Context) ([]CAPFeed, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+capFeedCols+` FROM cap_feeds ORDER BY name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("store: cap feeds: %w", err)
	}
	out := []CAPFeed{}
	for rows.Next() {
		f, err := scanCAPFeed(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: cap feeds: %w", err)
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: cap feeds: %w", err)
	}
	for i := range out {
		if out[i].Areas, err = s.capAreas(ctx, out[i].ID); err != nil {
			return nil, fmt.Errorf("store: cap feeds: %w", err)
		}
	}
	return out, nil
}

// DueCAPFeeds lists the ids of the feeds whose next poll is at or before now.
func (s *Store) DueCAPFeeds(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM cap_feeds WHERE julianday(next_poll_at) <= julianday(?) ORDER BY next_poll_at`, fmtTime(now))
	if err != nil {
		return nil, fmt.Errorf("store: due cap feeds: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: due cap feeds: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func writeCAPAreas(ctx context.Context, tx *sql.Tx, id int64, areas []CAPArea) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM cap_feed_areas WHERE feed_id = ?`, id); err != nil {
		return err
	}
	for _, a := range areas {
		_, err := tx.ExecContext(ctx, `INSERT INTO cap_feed_areas (feed_id, kind, name, value, group_id) VALUES (?, ?, ?, ?, ?)`, id, a.Kind, a.Name, a.Value, a.GroupID)
		if isForeignKey(err) {
			return &ConflictError{Code: "unknown_group", Msg: fmt.Sprintf("group %d does not exist", a.GroupID), Params: map[string]any{"group": a.GroupID}}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func capFeedDetail(f CAPFeed) map[string]any {
	return map[string]any{"name": f.Name, "url": f.URL, "interval_s": f.Interval, "auto_publish": f.AutoPublish,
		"min_severity": f.MinSeverity, "min_urgency": f.MinUrgency, "min_certainty": f.MinCertainty,
		"languages": f.Languages, "match_points": f.MatchPoints, "default_minutes": f.DefaultMinutes, "areas": len(f.Areas)}
}

// CreateCAPFeed adds a feed, due for a poll at once.
func (s *Store) CreateCAPFeed(ctx context.Context, who Actor, f CAPFeed) (CAPFeed, error) {
	id, err := s.change(ctx, who, "cap_feed.create", "cap_feed", func(tx *sql.Tx) (int64, map[string]any, error) {
		now := s.stamp()
		id, err := insertID(ctx, tx, `INSERT INTO cap_feeds (name, url, interval_s, min_severity, min_urgency, min_certainty, auto_publish, languages,
			match_points, default_minutes, unit_id, next_poll_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.Name, f.URL, f.Interval, f.MinSeverity, f.MinUrgency, f.MinCertainty, f.AutoPublish, strings.Join(f.Languages, ","),
			f.MatchPoints, f.DefaultMinutes, f.UnitID, now, nullInt(f.CreatedBy), now)
		if isUnique(err) {
			return 0, nil, &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a feed named %q exists", f.Name), Params: map[string]any{"name": f.Name}}
		}
		if err != nil {
			return 0, nil, err
		}
		return id, capFeedDetail(f), writeCAPAreas(ctx, tx, id, f.Areas)
	})
	if err != nil {
		return CAPFeed{}, fmt.Errorf("store: create cap feed: %w", err)
	}
	return s.CAPFeed(ctx, id)
}

// UpdateCAPFeed replaces a feed's settings and areas; its poll state stays,
// except that a new URL forgets the ETag and Last-Modified and is polled
// at once.
func (s *Store) UpdateCAPFeed(ctx context.Context, who Actor, f CAPFeed) (CAPFeed, error) {
	_, err := s.change(ctx, who, "cap_feed.update", "cap_feed", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE cap_feeds SET name = ?, interval_s = ?, min_severity = ?, min_urgency = ?, min_certainty = ?,
			auto_publish = ?, languages = ?, match_points = ?, default_minutes = ?,
			etag = CASE WHEN url = ? THEN etag ELSE '' END, last_modified = CASE WHEN url = ? THEN last_modified ELSE '' END,
			next_poll_at = CASE WHEN url = ? THEN next_poll_at ELSE ? END, url = ? WHERE id = ?`,
			f.Name, f.Interval, f.MinSeverity, f.MinUrgency, f.MinCertainty, f.AutoPublish, strings.Join(f.Languages, ","), f.MatchPoints,
			f.DefaultMinutes, f.URL, f.URL, f.URL, s.stamp(), f.URL, f.ID)
		if isUnique(err) {
			return 0, nil, &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a feed named %q exists", f.Name), Params: map[string]any{"name": f.Name}}
		}
		if err := affected(res, err); err != nil {
			return 0, nil, err
		}
		return f.ID, capFeedDetail(f), writeCAPAreas(ctx, tx, f.ID, f.Areas)
	})
	if err != nil {
		return CAPFeed{}, fmt.Errorf("store: update cap feed %d: %w", f.ID, err)
	}
	return s.CAPFeed(ctx, f.ID)
}

// DeleteCAPFeed removes a feed; the alerts it brought stay, without it.
func (s *Store) DeleteCAPFeed(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "cap_feed.delete", "cap_feed", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM cap_feeds WHERE id = ?`, id)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete cap feed %d: %w", id, err)
	}
	return nil
}

// CAPPoll is the outcome of one poll of a feed.
type CAPPoll struct {
	At           time.Time
	Result       string // PollOK, PollNotModified or PollError
	ErrorCode    string
	Error        string
	ETag         string // kept for the next conditional GET (ok only)
	LastModified string
	Next         time.Time
}

// RecordCAPPoll stores a poll's outcome (not audited: it is the
// controller's routine; what it sends is).
func (s *Store) RecordCAPPoll(ctx context.Context, id int64, p CAPPoll) error {
	q := `UPDATE cap_feeds SET last_poll_at = ?, last_result = ?, last_error_code = ?, last_error = ?, next_poll_at = ?`
	args := []any{fmtTime(p.At), p.Result, p.ErrorCode, p.Error, fmtTime(p.Next)}
	if p.Result == PollOK {
		q += `, etag = ?, last_modified = ?`
		args = append(args, p.ETag, p.LastModified)
	}
	res, err := s.w.ExecContext(ctx, q+` WHERE id = ?`, append(args, id)...)
	if err := affected(res, err); err != nil {
		return fmt.Errorf("store: cap feed %d poll: %w", id, err)
	}
	return nil
}

// PollCAPFeedSoon makes a feed due now.
func (s *Store) PollCAPFeedSoon(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, `UPDATE cap_feeds SET next_poll_at = ? WHERE id = ?`, s.stamp(), id)
	if err := affected(res, err); err != nil {
		return fmt.Errorf("store: cap feed %d: %w", id, err)
	}
	return nil
}

// GeoDisplay is a display's place, for matching alert areas.
type GeoDisplay struct {
	ID       int64
	GroupID  *int64
	Lat, Lon float64
}

// DisplaysWithSite lists the displays that have coordinates.
func (s *Store) DisplaysWithSite(ctx context.Context) ([]GeoDisplay, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, group_id, latitude, longitude FROM displays WHERE latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: displays with a site: %w", err)
	}
	defer rows.Close()
	var out []GeoDisplay
	for rows.Next() {
		var d GeoDisplay
		var g sql.NullInt64
		if err := rows.Scan(&d.ID, &g, &d.Lat, &d.Lon); err != nil {
			return nil, fmt.Errorf("store: displays with a site: %w", err)
		}
		d.GroupID = ptrInt(g)
		out = append(out, d)
	}
	return out, rows.Err()
}
