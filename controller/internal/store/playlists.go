package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PlaylistItem is one slot of a rotation: which media, for how long.
type PlaylistItem struct {
	MediaID    int64 `json:"media_id"`
	DurationMS int64 `json:"duration_ms"`
}

// PlaylistRevision is one version of a rotation.
type PlaylistRevision struct {
	ID           int64          `json:"id"`
	Number       int            `json:"number"`
	Status       string         `json:"status"`
	RejectReason string         `json:"reject_reason"`
	Name         string         `json:"name"`
	Items        []PlaylistItem `json:"items"`
	CreatedBy    *int64         `json:"created_by"`
	CreatedAt    time.Time      `json:"created_at"`
	DecidedBy    *int64         `json:"decided_by"`
	DecidedAt    *time.Time     `json:"decided_at"`
}

// Playlist is a rotation with its newest revision and the approved one that
// schedules play.
type Playlist struct {
	ID         int64             `json:"id"`
	UnitID     int64             `json:"unit_id"`
	CampaignID *int64            `json:"campaign_id"`
	CreatedBy  *int64            `json:"created_by"`
	CreatedAt  time.Time         `json:"created_at"`
	Status     string            `json:"status"`
	Name       string            `json:"name"`
	Current    PlaylistRevision  `json:"current"`
	Approved   *PlaylistRevision `json:"approved"`
}

// NewPlaylist is what creating a playlist takes.
type NewPlaylist struct {
	UnitID     int64
	CampaignID *int64
	CreatedBy  int64
	Name       string
	Items      []PlaylistItem
}

func insertItems(ctx context.Context, tx *sql.Tx, rev int64, items []PlaylistItem) error {
	for i, it := range items {
		_, err := tx.ExecContext(ctx, `INSERT INTO playlist_items (revision_id, position, media_id, duration_ms) VALUES (?, ?, ?, ?)`,
			rev, i, it.MediaID, it.DurationMS)
		if isForeignKey(err) {
			return &ConflictError{Code: "unknown_media", Msg: fmt.Sprintf("item %d: media %d does not exist", i+1, it.MediaID),
				Params: map[string]any{"item": i + 1, "media": it.MediaID}}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// CreatePlaylist adds a playlist with a first, draft revision.
func (s *Store) CreatePlaylist(ctx context.Context, who Actor, p NewPlaylist) (Playlist, error) {
	id, err := s.change(ctx, who, "playlist.create", "playlist", func(tx *sql.Tx) (int64, map[string]any, error) {
		if err := checkCampaignTheme(ctx, tx, p.CampaignID, nil); err != nil {
			return 0, nil, err
		}
		now := s.stamp()
		id, err := insertID(ctx, tx, `INSERT INTO playlists (unit_id, campaign_id, created_by, created_at) VALUES (?, ?, ?, ?)`,
			p.UnitID, nullInt(p.CampaignID), nullInt(&p.CreatedBy), now)
		if isForeignKey(err) {
			return 0, nil, fmt.Errorf("unit %d: %w", p.UnitID, ErrNotFound)
		}
		if err != nil {
			return 0, nil, err
		}
		rev, err := insertID(ctx, tx, `INSERT INTO playlist_revisions (playlist_id, number, status, name, created_by, created_at) VALUES (?, 1, 'draft', ?, ?, ?)`,
			id, p.Name, nullInt(&p.CreatedBy), now)
		if err != nil {
			return 0, nil, err
		}
		if err := insertItems(ctx, tx, rev, p.Items); err != nil {
			return 0, nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE playlists SET current_revision_id = ? WHERE id = ?`, rev, id); err != nil {
			return 0, nil, err
		}
		if err := addAuthors(ctx, tx, "playlists", rev, p.CreatedBy, who.UserID); err != nil {
			return 0, nil, err
		}
		return id, map[string]any{"name": p.Name, "unit_id": p.UnitID, "items": len(p.Items)}, nil
	})
	if err != nil {
		return Playlist{}, fmt.Errorf("store: create playlist: %w", err)
	}
	return s.Playlist(ctx, id)
}

func (s *Store) playlistRev(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, id int64) (PlaylistRevision, error) {
	var r PlaylistRevision
	var at string
	var by, dby sql.NullInt64
	var dat sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, number, status, reject_reason, name, created_by, created_at, decided_by, decided_at
		FROM playlist_revisions WHERE id = ?`, id).Scan(&r.ID, &r.Number, &r.Status, &r.RejectReason, &r.Name, &by, &at, &dby, &dat)
	if err != nil {
		return r, err
	}
	r.CreatedBy, r.CreatedAt, r.DecidedBy, r.DecidedAt = ptrInt(by), parseTime(at), ptrInt(dby), parseNullTime(dat)
	rows, err := q.QueryContext(ctx, `SELECT media_id, duration_ms FROM playlist_items WHERE revision_id = ? ORDER BY position`, id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	r.Items = []PlaylistItem{}
	for rows.Next() {
		var it PlaylistItem
		if err := rows.Scan(&it.MediaID, &it.DurationMS); err != nil {
			return r, err
		}
		r.Items = append(r.Items, it)
	}
	return r, rows.Err()
}

// Playlist returns one playlist with its current and approved revisions.
func (s *Store) Playlist(ctx context.Context, id int64) (Playlist, error) {
	var p Playlist
	var cid, by, cur, appr sql.NullInt64
	var at string
	err := s.r.QueryRowContext(ctx, `SELECT id, unit_id, campaign_id, created_by, created_at, current_revision_id, approved_revision_id
		FROM playlists WHERE id = ?`, id).Scan(&p.ID, &p.UnitID, &cid, &by, &at, &cur, &appr)
	if errors.Is(err, sql.ErrNoRows) {
		return Playlist{}, fmt.Errorf("store: playlist %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Playlist{}, fmt.Errorf("store: playlist %d: %w", id, err)
	}
	p.CampaignID, p.CreatedBy, p.CreatedAt = ptrInt(cid), ptrInt(by), parseTime(at)
	if p.Current, err = s.playlistRev(ctx, s.r, cur.Int64); err != nil {
		return Playlist{}, fmt.Errorf("store: playlist %d: current revision: %w", id, err)
	}
	if appr.Valid {
		a, err := s.playlistRev(ctx, s.r, appr.Int64)
		if err != nil {
			return Playlist{}, fmt.Errorf("store: playlist %d: approved revision: %w", id, err)
		}
		p.Approved = &a
	}
	p.Status, p.Name = p.Current.Status, p.Current.Name
	return p, nil
}

// PlaylistFilter selects playlists; see MediaFilter.
type PlaylistFilter struct {
	UnitIDs    []int64
	Status     string
	CampaignID int64
	Q          string
	Sort       string
	Desc       bool
	Limit      int
	Offset     int
}

// PlaylistSorts is the ORDER BY whitelist for playlists.
var PlaylistSorts = map[string]string{
	"id":         "p.id",
	"created_at": "p.created_at",
	"name":       "c.name COLLATE NOCASE",
	"status":     "c.status",
}

// ListPlaylists returns one page of playlists and the number that match.
func (s *Store) ListPlaylists(ctx context.Context, f PlaylistFilter) ([]Playlist, int, error) {
	where := []string{"instr(lower(c.name), lower(?)) > 0"}
	args := []any{f.Q}
	if f.UnitIDs != nil {
		where = append(where, "p.unit_id IN ("+placeholders(len(f.UnitIDs))+")")
		for _, u := range f.UnitIDs {
			args = append(args, u)
		}
	}
	if f.Status != "" {
		where, args = append(where, "c.status = ?"), append(args, f.Status)
	}
	if f.CampaignID != 0 {
		where, args = append(where, "p.campaign_id = ?"), append(args, f.CampaignID)
	}
	from := ` FROM playlists p JOIN playlist_revisions c ON c.id = p.current_revision_id WHERE ` + strings.Join(where, " AND ")
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: list playlists: %w", err)
	}
	ids, err := s.pageIDs(ctx, `SELECT p.id`+from, args, PlaylistSorts, f.Sort, "p.id", f.Desc, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list playlists: %w", err)
	}
	out := make([]Playlist, 0, len(ids))
	for _, id := range ids {
		p, err := s.Playlist(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, nil
}

// PlaylistEdit is what an edit may change; nil fields stay.
type PlaylistEdit struct {
	Name  *string
	Items *[]PlaylistItem
	// CampaignID files the playlist under a campaign (a nil inner pointer
	// clears it); like a media's campaign it is not part of a revision.
	CampaignID **int64
}

// EditPlaylist changes a playlist's name or items under the revision rule
// of EditMedia: an approved playlist gets a new pending revision and the
// approved one keeps being scheduled.
func (s *Store) EditPlaylist(ctx context.Context, who Actor, id int64, e PlaylistEdit) (Playlist, error) {
	_, err := s.change(ctx, who, "playlist.update", "playlist", func(tx *sql.Tx) (int64, map[string]any, error) {
		var cur int64
		err := tx.QueryRowContext(ctx, `SELECT current_revision_id FROM playlists WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, ErrNotFound
		}
		if err != nil {
			return 0, nil, err
		}
		detail := map[string]any{}
		if e.CampaignID != nil {
			if err := checkCampaignTheme(ctx, tx, *e.CampaignID, nil); err != nil {
				return 0, nil, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE playlists SET campaign_id = ? WHERE id = ?`, nullInt(*e.CampaignID), id); err != nil {
				return 0, nil, err
			}
			detail["campaign_id"] = *e.CampaignID
		}
		if e.Name == nil && e.Items == nil {
			return id, detail, nil
		}
		r, err := s.playlistRev(ctx, tx, cur)
		if err != nil {
			return 0, nil, err
		}
		if e.Name != nil {
			r.Name = *e.Name
		}
		if e.Items != nil {
			r.Items = *e.Items
		}
		inPlace, status := reviseStatus(r.Status)
		rev, number := cur, r.Number
		if inPlace {
			if _, err := tx.ExecContext(ctx, `UPDATE playlist_revisions SET name = ?, status = ?, reject_reason = '' WHERE id = ?`, r.Name, status, cur); err != nil {
				return 0, nil, err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM playlist_items WHERE revision_id = ?`, cur); err != nil {
				return 0, nil, err
			}
		} else {
			number++
			if rev, err = insertID(ctx, tx, `INSERT INTO playlist_revisions (playlist_id, number, status, name, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				id, number, status, r.Name, nullInt(&who.UserID), s.stamp()); err != nil {
				return 0, nil, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE playlists SET current_revision_id = ? WHERE id = ?`, rev, id); err != nil {
				return 0, nil, err
			}
		}
		if err := insertItems(ctx, tx, rev, r.Items); err != nil {
			return 0, nil, err
		}
		if err := addAuthors(ctx, tx, "playlists", rev, who.UserID); err != nil {
			return 0, nil, err
		}
		detail["name"], detail["revision"], detail["status"], detail["items"] = r.Name, number, status, len(r.Items)
		return id, detail, nil
	})
	if err != nil {
		return Playlist{}, fmt.Errorf("store: edit playlist %d: %w", id, err)
	}
	return s.Playlist(ctx, id)
}

// SubmitPlaylist sends a draft or rejected playlist with items for approval.
func (s *Store) SubmitPlaylist(ctx context.Context, who Actor, id int64) (Playlist, error) {
	return s.playlistDecision(ctx, who, id, "playlist.submit", []string{StatusDraft, StatusRejected}, StatusPending, "")
}

// ApprovePlaylist approves the pending revision; every media in it must
// have an approved revision.
func (s *Store) ApprovePlaylist(ctx context.Context, who Actor, id int64) (Playlist, error) {
	return s.playlistDecision(ctx, who, id, "playlist.approve", []string{StatusPending}, StatusApproved, "")
}

// RejectPlaylist rejects the pending revision with a reason.
func (s *Store) RejectPlaylist(ctx context.Context, who Actor, id int64, reason string) (Playlist, error) {
	return s.playlistDecision(ctx, who, id, "playlist.reject", []string{StatusPending}, StatusRejected, reason)
}

// WithdrawPlaylist takes a pending playlist back to draft, so its writer
// can change it before an approver decides. An approved revision it
// would replace keeps playing. The decision fields stay empty: nobody
// decided.
func (s *Store) WithdrawPlaylist(ctx context.Context, who Actor, id int64) (Playlist, error) {
	return s.playlistDecision(ctx, who, id, "playlist.withdraw", []string{StatusPending}, StatusDraft, "")
}

// unapprovedMedia returns the first media of a playlist revision that has no
// approved revision, or 0.
func unapprovedMedia(ctx context.Context, tx *sql.Tx, rev int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT i.media_id FROM playlist_items i JOIN media m ON m.id = i.media_id
		WHERE i.revision_id = ? AND m.approved_revision_id IS NULL ORDER BY i.position LIMIT 1`, rev).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

func (s *Store) playlistDecision(ctx context.Context, who Actor, id int64, action string, from []string, to, reason string) (Playlist, error) {
	_, err := s.change(ctx, who, action, "playlist", func(tx *sql.Tx) (int64, map[string]any, error) {
		var cur int64
		err := tx.QueryRowContext(ctx, `SELECT current_revision_id FROM playlists WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, ErrNotFound
		}
		if err != nil {
			return 0, nil, err
		}
		if to == StatusPending || to == StatusApproved {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM playlist_items WHERE revision_id = ?`, cur).Scan(&n); err != nil {
				return 0, nil, err
			}
			if n == 0 {
				return 0, nil, &StateError{Code: "playlist_empty", Msg: "the playlist has no items; add media first"}
			}
		}
		if to == StatusApproved {
			m, err := unapprovedMedia(ctx, tx, cur)
			if err != nil {
				return 0, nil, err
			}
			if m != 0 {
				return 0, nil, &StateError{Code: "media_not_approved", Msg: fmt.Sprintf("media %d in it is not approved; approve it first", m),
					Params: map[string]any{"media": m}}
			}
		}
		rev, _, err := s.decide(ctx, tx, who, "playlists", id, from, to, reason)
		if err != nil {
			return 0, nil, err
		}
		d := map[string]any{"revision_id": rev}
		if reason != "" {
			d["reason"] = reason
		}
		return id, d, nil
	})
	if err != nil {
		return Playlist{}, fmt.Errorf("store: playlist %d: %w", id, err)
	}
	return s.Playlist(ctx, id)
}

// DeletePlaylist removes a playlist that no schedule uses.
func (s *Store) DeletePlaylist(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "playlist.delete", "playlist", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM playlists WHERE id = ?`, id)
		if isForeignKey(err) {
			return 0, nil, &ConflictError{Code: "playlist_in_use", Msg: "a schedule uses this playlist; delete the schedule first"}
		}
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete playlist %d: %w", id, err)
	}
	return nil
}

// PlayableItem is one slot of what screens play for a playlist: the
// approved revision of the playlist, with the approved revision of each
// media.
type PlayableItem struct {
	MediaID    int64  `json:"media_id"`
	RevisionID int64  `json:"revision_id"`
	Title      string `json:"title"`
	Kind       string `json:"kind"`
	Body       string `json:"body"`
	SHA256     string `json:"sha256"`
	DurationMS int64  `json:"duration_ms"`
}

// Playable returns what a schedule of this playlist plays now. Pending
// edits of the playlist or of its media are not in it until approved.
func (s *Store) Playable(ctx context.Context, playlistID int64) ([]PlayableItem, error) {
	var appr sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT approved_revision_id FROM playlists WHERE id = ?`, playlistID).Scan(&appr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: playable %d: %w", playlistID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: playable %d: %w", playlistID, err)
	}
	if !appr.Valid {
		return nil, fmt.Errorf("store: playable %d: %w", playlistID, &StateError{Code: "playlist_not_approved", Msg: "the playlist has no approved revision",
			Params: map[string]any{"playlist": playlistID}})
	}
	rows, err := s.r.QueryContext(ctx, `SELECT i.media_id, r.id, r.title, r.kind, r.body, r.sha256, i.duration_ms
		FROM playlist_items i JOIN media m ON m.id = i.media_id JOIN media_revisions r ON r.id = m.approved_revision_id
		WHERE i.revision_id = ? ORDER BY i.position`, appr.Int64)
	if err != nil {
		return nil, fmt.Errorf("store: playable %d: %w", playlistID, err)
	}
	defer rows.Close()
	out := []PlayableItem{}
	for rows.Next() {
		var it PlayableItem
		if err := rows.Scan(&it.MediaID, &it.RevisionID, &it.Title, &it.Kind, &it.Body, &it.SHA256, &it.DurationMS); err != nil {
			return nil, fmt.Errorf("store: playable %d: %w", playlistID, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: playable %d: %w", playlistID, err)
	}
	return out, nil
}
