package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AgentLeft records that an agent's link closed at time at, so a display
// that goes dark keeps when it was last seen: in memory at once, in the
// database by the next flush (see writebehind.go).
func (s *Store) AgentLeft(_ context.Context, name string, at time.Time) error {
	s.record(func(f *facts) { f.leave(name, at) })
	return nil
}

// DisplayActivity is when a display was last heard of.
type DisplayActivity struct {
	// LastSeen is the later of its agents' last connect or disconnect and
	// its last health report; nil when no agent ever connected for it.
	// Agents count by the display they enrolled for, not by name: a display
	// keeps its history when renamed, and a new one that reuses a deleted
	// display's name starts without it.
	LastSeen     *time.Time
	ScreenshotAt *time.Time // its latest screenshot; nil: none yet
}

// DisplayActivities returns the activity of every display that has any,
// by display id; of display only, when it is not 0 (one card's refresh
// need not read every display's).
func (s *Store) DisplayActivities(ctx context.Context, display int64) (map[int64]DisplayActivity, error) {
	pending, shots := s.pendingAgents(), s.pendingShotTimes()
	rows, err := s.r.QueryContext(ctx, `
		SELECT d.id, a.name, a.last_seen, s.health_at, s.screenshot_at
		FROM displays d
		LEFT JOIN agents a ON a.display_id = d.id
		LEFT JOIN display_status s ON s.display_id = d.id
		WHERE (a.display_id IS NOT NULL OR s.display_id IS NOT NULL) AND (? = 0 OR d.id = ?)`, display, display)
	if err != nil {
		return nil, fmt.Errorf("store: display activity: %w", err)
	}
	defer rows.Close()
	out := map[int64]DisplayActivity{}
	for rows.Next() {
		var id int64
		var name, seen, health, shot sql.NullString
		if err := rows.Scan(&id, &name, &seen, &health, &shot); err != nil {
			return nil, fmt.Errorf("store: display activity: %w", err)
		}
		p, ok := pending.seen[name.String]
		moved := ok && name.Valid && p.DisplayID != id
		if moved {
			seen = sql.NullString{} // the row is being taken over by another display
		}
		// A display renamed since its agent last connected has a row per
		// name it had: the latest counts.
		a := out[id]
		a.ScreenshotAt = parseNullTime(shot)
		for _, t := range []*time.Time{parseNullTime(seen), parseNullTime(health)} {
			if t != nil && (a.LastSeen == nil || t.After(*a.LastSeen)) {
				a.LastSeen = t
			}
		}
		out[id] = a
		if name.Valid && !moved {
			later(out, id, pending.left[name.String])
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: display activity: %w", err)
	}
	for id, at := range shots { // screenshots not yet stored
		if display == 0 || id == display {
			a := out[id]
			a.ScreenshotAt = &at
			out[id] = a
		}
	}
	for name, p := range pending.seen { // hellos and departures not yet stored
		if p.DisplayID != 0 && (display == 0 || p.DisplayID == display) {
			later(out, p.DisplayID, p.LastSeen)
			later(out, p.DisplayID, pending.left[name])
		}
	}
	return out, nil
}

// later moves a display's LastSeen to at if at is later.
func later(out map[int64]DisplayActivity, id int64, at time.Time) {
	if at.IsZero() {
		return
	}
	a := out[id]
	if a.LastSeen == nil || at.After(*a.LastSeen) {
		a.LastSeen = &at
	}
	out[id] = a
}

// LastSeen returns when each display was last heard of, for the displays
// ever heard of.
func (s *Store) LastSeen(ctx context.Context) (map[int64]time.Time, error) {
	act, err := s.DisplayActivities(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]time.Time, len(act))
	for id, a := range act {
		if a.LastSeen != nil {
			out[id] = *a.LastSeen
		}
	}
	return out, nil
}

// NowPlayingNames returns the title of a media and the name of a playlist
// as they were approved (or, before that, as last edited); a missing one
// is "".
func (s *Store) NowPlayingNames(ctx context.Context, mediaID, playlistID int64) (title, playlist string, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT COALESCE(a.title, c.title, '') FROM media m
		LEFT JOIN media_revisions a ON a.id = m.approved_revision_id
		LEFT JOIN media_revisions c ON c.id = m.current_revision_id
		WHERE m.id = ?`, mediaID).Scan(&title)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("store: title of media %d: %w", mediaID, err)
	}
	if playlistID <= 0 {
		return title, "", nil
	}
	err = s.r.QueryRowContext(ctx, `SELECT COALESCE(a.name, c.name, '') FROM playlists p
		LEFT JOIN playlist_revisions a ON a.id = p.approved_revision_id
		LEFT JOIN playlist_revisions c ON c.id = p.current_revision_id
		WHERE p.id = ?`, playlistID).Scan(&playlist)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("store: name of playlist %d: %w", playlistID, err)
	}
	return title, playlist, nil
}
