package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pano-signage/pano/protocol"
)

// UnitStorageBytes is what a unit's media take in the asset store: the
// distinct originals of all their revisions and their ready renditions.
// A file two units share counts for each.
func (s *Store) UnitStorageBytes(ctx context.Context, unitID int64) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(bytes), 0) FROM (
			SELECT r.sha256, max(r.bytes) AS bytes FROM media_revisions r JOIN media m ON m.id = r.media_id
			WHERE m.unit_id = ? AND r.sha256 != '' GROUP BY r.sha256
		UNION
			SELECT x.sha256, max(x.bytes) FROM renditions x JOIN media_revisions r ON r.id = x.media_revision_id JOIN media m ON m.id = r.media_id
			WHERE m.unit_id = ? AND x.status = 'ready' AND x.sha256 != '' GROUP BY x.sha256) AS files`, unitID, unitID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: storage of unit %d: %w", unitID, err)
	}
	return n, nil
}

// UnneededRenditions returns the renditions no live revision needs (see
// neededRenditions): of a revision no longer current or approved, for a
// geometry no display has, or a draft video's beyond its preview. keep is
// a geometry kept for every live revision besides (the dashboard's
// thumbnails). Renditions being made are never returned, nor a live
// revision's failed ones (no file; their error tells the editor why).
func (s *Store) UnneededRenditions(ctx context.Context, keep Geometry) ([]Rendition, error) {
	const live = `(SELECT current_revision_id FROM media UNION SELECT approved_revision_id FROM media WHERE approved_revision_id IS NOT NULL)`
	rows, err := s.r.QueryContext(ctx, `SELECT `+renditionCols+` FROM renditions x
		WHERE x.status != 'processing'
		AND NOT EXISTS (SELECT 1 FROM (`+neededRenditions+`) n
			WHERE n.rev = x.media_revision_id AND n.width = x.width AND n.height = x.height AND n.fit = x.fit)
		AND NOT (x.status = 'failed' AND x.media_revision_id IN `+live+`)
		AND NOT (x.width = ? AND x.height = ? AND x.fit = ? AND x.status = 'ready' AND x.media_revision_id IN `+live+`)
		ORDER BY x.id`, keep.Width, keep.Height, keep.Fit)
	if err != nil {
		return nil, fmt.Errorf("store: unneeded renditions: %w", err)
	}
	defer rows.Close()
	var out []Rendition
	for rows.Next() {
		r, err := scanRendition(rows)
		if err != nil {
			return nil, fmt.Errorf("store: unneeded renditions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteRendition removes a rendition row that is not being made; its
// file stays until nothing names it (see ReferencedSHAs). It reports
// whether a row went.
func (s *Store) DeleteRendition(ctx context.Context, id int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM renditions WHERE id = ? AND status != 'processing'`, id)
	if err != nil {
		return false, fmt.Errorf("store: delete rendition %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: delete rendition %d: %w", id, err)
	}
	return n > 0, nil
}

// ReferencedSHAs returns every hash the database names: originals of
// media revisions, renditions, and the assets of the displays' stored
// plans (what agents hold or are fetching). A file of the asset store
// whose hash is not among them is garbage.
func (s *Store) ReferencedSHAs(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	rows, err := s.r.QueryContext(ctx, `SELECT sha256 FROM media_revisions WHERE sha256 != ''
		UNION SELECT sha256 FROM renditions WHERE sha256 != ''`)
	if err != nil {
		return nil, fmt.Errorf("store: referenced hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return nil, fmt.Errorf("store: referenced hashes: %w", err)
		}
		out[sha] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: referenced hashes: %w", err)
	}
	plans, err := s.PlanAssetSHAs(ctx)
	if err != nil {
		return nil, err
	}
	for sha := range plans {
		out[sha] = true
	}
	return out, nil
}

// PlanAssetSHAs returns the hashes of the assets the displays' stored
// plans name.
func (s *Store) PlanAssetSHAs(ctx context.Context) (map[string]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT p.display_id, `+planText+` FROM display_plans p`)
	if err != nil {
		return nil, fmt.Errorf("store: plan assets: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("store: plan assets: %w", err)
		}
		var p struct {
			Assets []protocol.Asset `json:"assets"`
		}
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return nil, fmt.Errorf("store: plan assets of display %d: %w", id, err)
		}
		for _, a := range p.Assets {
			out[a.SHA256] = true
		}
	}
	return out, rows.Err()
}
