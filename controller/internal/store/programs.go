package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pano-signage/pano/protocol"
)

// ProgramLayouts are a program's layouts: the first is the template,
// designed for its own panel size and scaled to a display of another; a
// later one is used as it is on displays of exactly its size. Stored as
// JSON in media_revisions.program.
type ProgramLayouts struct {
	Layouts []ProgramLayout `json:"layouts"`
}

// ProgramLayout is a program for one panel size.
type ProgramLayout struct {
	Width      int             `json:"width"`
	Height     int             `json:"height"`
	Background string          `json:"background,omitempty"`
	Windows    []ProgramWindow `json:"windows"`
}

// ProgramWindow is a window of a layout: a protocol window whose media
// window names a media (its approved revision plays, fitted as Fit says)
// rather than an asset.
type ProgramWindow struct {
	protocol.ProgramWindow
	MediaID int64 `json:"media_id,omitempty"`
	// PlaylistID makes a media window play a rotation of its own (its
	// approved revision's items, each for its duration) instead of MediaID.
	PlaylistID int64  `json:"playlist_id,omitempty"`
	Fit        string `json:"fit,omitempty"` // media windows: contain (default), cover or stretch
	// Source "notices" feeds a ticker from the notice list (NoticeTexts),
	// its Text shown only when the list is empty; "" shows Text.
	Source string `json:"source,omitempty"`
}

// Ticker sources.
const SourceNotices = "notices"

// For returns the layout for a w×h panel: the one made for that size, or
// the template scaled to it (window edges rounded to whole lamps, so
// windows that touched still touch).
func (p *ProgramLayouts) For(w, h int) ProgramLayout {
	for _, l := range p.Layouts[1:] {
		if l.Width == w && l.Height == h {
			return l
		}
	}
	t := p.Layouts[0]
	if t.Width == w && t.Height == h {
		return t
	}
	sx := func(x int) int { return (x*w + t.Width/2) / t.Width }
	sy := func(y int) int { return (y*h + t.Height/2) / t.Height }
	out := ProgramLayout{Width: w, Height: h, Background: t.Background}
	for _, win := range t.Windows {
		x0, y0, x1, y1 := sx(win.X), sy(win.Y), sx(win.X+win.W), sy(win.Y+win.H)
		if x1 <= x0 || y1 <= y0 {
			continue // too small to keep a lamp at this size
		}
		win.X, win.Y, win.W, win.H = x0, y0, x1-x0, y1-y0
		out.Windows = append(out.Windows, win)
	}
	return out
}

func programJSON(p *ProgramLayouts) string {
	if p == nil {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// AddProgramFile records a compiled program's file (already in the asset
// store) so agents may fetch it.
func (s *Store) AddProgramFile(ctx context.Context, sha string, bytes int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO program_files (sha256, bytes, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, sha, bytes, s.stamp())
	if err != nil {
		return fmt.Errorf("store: program file %s: %w", sha, err)
	}
	return nil
}

// Revision returns one media revision (without its renditions).
func (s *Store) Revision(ctx context.Context, id int64) (MediaRevision, error) {
	r, err := scanMediaRev(s.r.QueryRowContext(ctx, `SELECT `+mediaRevCols+` FROM media_revisions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: revision %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: revision %d: %w", id, err)
	}
	return r, nil
}

// RevisionUnit is the unit of the media a revision belongs to.
func (s *Store) RevisionUnit(ctx context.Context, revisionID int64) (int64, error) {
	var unit int64
	err := s.r.QueryRowContext(ctx, `SELECT m.unit_id FROM media m JOIN media_revisions r ON r.media_id = m.id WHERE r.id = ?`, revisionID).Scan(&unit)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: revision %d: %w", revisionID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: revision %d: %w", revisionID, err)
	}
	return unit, nil
}

// EnqueueRendition queues a rendition of a revision for a w×h window of a
// program, unless one exists (made, queued or failed).
func (s *Store) EnqueueRendition(ctx context.Context, revisionID int64, w, h int, fit string) error {
	now := s.stamp()
	_, err := s.w.ExecContext(ctx, `INSERT INTO renditions (media_revision_id, width, height, fit, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, revisionID, w, h, fit, now, now)
	if err != nil {
		return fmt.Errorf("store: enqueue rendition %d %dx%d: %w", revisionID, w, h, err)
	}
	return nil
}

// NoticeTexts are the lines a ticker window fed by the notice list shows
// (Source "notices"): the approved text notices of the program's unit —
// of its campaign, when the program has one — that are valid on day
// (YYYY-MM-DD), oldest first, each as "title: body" (the body alone when
// the notice hides its title on screens). Notices made for an urgent
// notice are not in the list.
func (s *Store) NoticeTexts(ctx context.Context, programRevisionID int64, day string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT r.title, r.body, r.notice FROM media m
		JOIN media_revisions r ON r.id = m.approved_revision_id
		JOIN media p ON p.id = (SELECT media_id FROM media_revisions WHERE id = ?)
		WHERE r.kind = 'text' AND m.made_for = '' AND m.unit_id = p.unit_id
			AND (p.campaign_id IS NULL OR m.campaign_id = p.campaign_id)
			AND (m.valid_from = '' OR m.valid_from <= ?) AND (m.valid_until = '' OR m.valid_until >= ?)
		ORDER BY m.id`, programRevisionID, day, day)
	if err != nil {
		return nil, fmt.Errorf("store: notice texts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var title, body, notice string
		if err := rows.Scan(&title, &body, &notice); err != nil {
			return nil, fmt.Errorf("store: notice texts: %w", err)
		}
		var st NoticeStyle
		if notice != "" {
			json.Unmarshal([]byte(notice), &st) // a bad style only shows the title
		}
		line := strings.Join(strings.Fields(body), " ")
		if t := strings.TrimSpace(title); t != "" && !st.HideTitle {
			line = t + ": " + line
		}
		out = append(out, line)
	}
	return out, rows.Err()
}
