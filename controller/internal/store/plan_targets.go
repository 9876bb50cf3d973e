package store

import (
	"context"
	"fmt"
)

// scheduledDisplays joins each schedule (s) to the displays it reaches (d):
// its display, or its group's displays.
const scheduledDisplays = `SELECT DISTINCT d.id FROM schedules s
	JOIN displays d ON d.id = s.display_id OR (s.group_id IS NOT NULL AND d.group_id = s.group_id)`

// DisplaysReachedBy lists the displays whose plans an object (by the audit's
// object type and id) reaches as the store holds it now: a display itself,
// a group's displays, the displays a schedule targets, those scheduled a
// playlist, a media in an approved playlist, a campaign's playlists or
// media, and an urgent notice's targets. ok is false for an object type
// it cannot map (the caller recompiles every plan). What the object
// reached before the change (a schedule moved to another group, a deleted
// playlist) is for the caller to know: the rows are gone.
func (s *Store) DisplaysReachedBy(ctx context.Context, objectType string, id int64) (ids []int64, ok bool, err error) {
	var q string
	args := []any{id}
	switch objectType {
	case "display":
		return []int64{id}, true, nil
	case "group":
		q = `SELECT id FROM displays WHERE group_id = ?`
	case "schedule":
		q = scheduledDisplays + ` WHERE s.id = ?`
	case "playlist":
		q = scheduledDisplays + ` WHERE s.playlist_id = ?`
	case "media":
		q = scheduledDisplays + ` JOIN playlists p ON p.id = s.playlist_id
			JOIN playlist_items i ON i.revision_id = p.approved_revision_id WHERE i.media_id = ?`
	case "campaign":
		q = scheduledDisplays + ` JOIN playlists p ON p.id = s.playlist_id
			LEFT JOIN playlist_items i ON i.revision_id = p.approved_revision_id
			LEFT JOIN media m ON m.id = i.media_id
			WHERE p.campaign_id = ? OR m.campaign_id = ?`
		args = append(args, id)
	case "urgent_notice":
		q = `SELECT d.id FROM displays d, urgent_notices u WHERE u.id = ? AND (u.every_display = 1
			OR EXISTS (SELECT 1 FROM urgent_targets t WHERE t.urgent_id = u.id AND (t.display_id = d.id OR t.group_id = d.group_id)))`
	default:
		return nil, false, nil
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("store: displays reached by %s %d: %w", objectType, id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, false, fmt.Errorf("store: displays reached by %s %d: %w", objectType, id, err)
		}
		ids = append(ids, d)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: displays reached by %s %d: %w", objectType, id, err)
	}
	return ids, true, nil
}
