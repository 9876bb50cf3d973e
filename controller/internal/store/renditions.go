package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Rendition states. The rows are also the pipeline's job queue: queued
// and processing rows are work to do.
const (
	RenditionQueued     = "queued"
	RenditionProcessing = "processing"
	RenditionReady      = "ready"
	RenditionFailed     = "failed"
)

// Rendition is one media revision made for one panel geometry: the exact
// pixels that geometry shows, stored in the asset store under SHA256.
type Rendition struct {
	ID              int64     `json:"id"`
	MediaRevisionID int64     `json:"media_revision_id"`
	Width           int       `json:"width"` // the panel's
	Height          int       `json:"height"`
	Fit             string    `json:"fit"`
	Status          string    `json:"status"`
	Progress        int       `json:"progress"` // 0–100
	Error           string    `json:"error"`    // why it failed, for people
	SHA256          string    `json:"sha256"`   // of the file; "" until ready
	Kind            string    `json:"kind"`     // image (PNG) or video (frames ZIP)
	MIME            string    `json:"mime"`
	Bytes           int64     `json:"bytes"`
	FileWidth       int       `json:"file_width"` // a ticker strip is wider than the panel
	FileHeight      int       `json:"file_height"`
	FPS             int       `json:"fps"`         // video
	Frames          int       `json:"frames"`      // video
	DurationMS      int64     `json:"duration_ms"` // video; a ticker's loop
	TickerPPS       int       `json:"ticker_pixels_per_second"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Geometry is a panel size and fit mode, as displays have them.
type Geometry struct {
	Width, Height int
	Fit           string
}

const renditionCols = `id, media_revision_id, width, height, fit, status, progress, error, sha256, kind, mime, bytes,
	file_width, file_height, fps, frames, duration_ms, ticker_pps, created_at, updated_at`

func scanRendition(sc interface{ Scan(...any) error }) (Rendition, error) {
	var r Rendition
	var c, u string
	err := sc.Scan(&r.ID, &r.MediaRevisionID, &r.Width, &r.Height, &r.Fit, &r.Status, &r.Progress, &r.Error, &r.SHA256, &r.Kind,
		&r.MIME, &r.Bytes, &r.FileWidth, &r.FileHeight, &r.FPS, &r.Frames, &r.DurationMS, &r.TickerPPS, &c, &u)
	r.CreatedAt, r.UpdatedAt = parseTime(c), parseTime(u)
	return r, err
}

func (s *Store) renditionsOf(ctx context.Context, revisionID int64) ([]Rendition, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+renditionCols+` FROM renditions WHERE media_revision_id = ?
		ORDER BY width, height, fit`, revisionID)
	if err != nil {
		return nil, fmt.Errorf("renditions of revision %d: %w", revisionID, err)
	}
	defer rows.Close()
	out := []Rendition{}
	for rows.Next() {
		r, err := scanRendition(rows)
		if err != nil {
			return nil, fmt.Errorf("renditions of revision %d: %w", revisionID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RenditionFor returns the ready rendition of a media revision for a panel
// geometry; one that is missing, queued, processing or failed is
// ErrNotFound. The plan compiler calls it for every item and display.
func (s *Store) RenditionFor(ctx context.Context, revisionID int64, w, h int, fit string) (Rendition, error) {
	r, err := scanRendition(s.r.QueryRowContext(ctx, `SELECT `+renditionCols+` FROM renditions
		WHERE media_revision_id = ? AND width = ? AND height = ? AND fit = ? AND status = 'ready'`, revisionID, w, h, fit))
	if errors.Is(err, sql.ErrNoRows) {
		return Rendition{}, fmt.Errorf("store: rendition of revision %d for %d×%d %s: %w", revisionID, w, h, fit, ErrNotFound)
	}
	if err != nil {
		return Rendition{}, fmt.Errorf("store: rendition of revision %d: %w", revisionID, err)
	}
	return r, nil
}

// Rendition returns one rendition by id, whatever its state.
func (s *Store) Rendition(ctx context.Context, id int64) (Rendition, error) {
	r, err := scanRendition(s.r.QueryRowContext(ctx, `SELECT `+renditionCols+` FROM renditions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Rendition{}, fmt.Errorf("store: rendition %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Rendition{}, fmt.Errorf("store: rendition %d: %w", id, err)
	}
	return r, nil
}

// AnyReadyRendition returns a ready rendition of the revision, the
// largest first (a video's thumbnail is taken from its poster frame).
func (s *Store) AnyReadyRendition(ctx context.Context, revisionID int64) (Rendition, error) {
	r, err := scanRendition(s.r.QueryRowContext(ctx, `SELECT `+renditionCols+` FROM renditions
		WHERE media_revision_id = ? AND status = 'ready' ORDER BY width * height DESC, id LIMIT 1`, revisionID))
	if errors.Is(err, sql.ErrNoRows) {
		return Rendition{}, fmt.Errorf("store: rendition of revision %d: %w", revisionID, ErrNotFound)
	}
	if err != nil {
		return Rendition{}, fmt.Errorf("store: rendition of revision %d: %w", revisionID, err)
	}
	return r, nil
}

// AssetBySHA reports whether a ready rendition or a compiled program has
// this hash (agents may fetch only those) and its media type.
func (s *Store) AssetBySHA(ctx context.Context, sha string) (exists bool, mime string, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT mime FROM renditions WHERE sha256 = ? AND status = 'ready'
		UNION ALL SELECT 'application/json' FROM program_files WHERE sha256 = ? LIMIT 1`, sha, sha).Scan(&mime)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("store: asset %s: %w", sha, err)
	}
	return true, mime, nil
}

// SHAInUse reports whether any media revision or rendition names this
// hash: a file that none names may be removed from the asset store.
func (s *Store) SHAInUse(ctx context.Context, sha string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM media_revisions WHERE sha256 = ?) +
		(SELECT count(*) FROM renditions WHERE sha256 = ?) + (SELECT count(*) FROM program_files WHERE sha256 = ?)`, sha, sha, sha).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: sha in use %s: %w", sha, err)
	}
	return n > 0, nil
}

// Geometries returns the distinct panel geometries of the displays.
func (s *Store) Geometries(ctx context.Context) ([]Geometry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT width, height, fit FROM displays ORDER BY width, height, fit`)
	if err != nil {
		return nil, fmt.Errorf("store: geometries: %w", err)
	}
	defer rows.Close()
	var out []Geometry
	for rows.Next() {
		var g Geometry
		if err := rows.Scan(&g.Width, &g.Height, &g.Fit); err != nil {
			return nil, fmt.Errorf("store: geometries: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// previewGeometry is the one geometry a draft video is rendered for: the
// one most displays have (ties: the smallest). The dashboard plays it and
// shows its first frame scaled for the other panels.
const previewGeometry = `(SELECT width, height, fit FROM displays GROUP BY width, height, fit
	ORDER BY count(*) DESC, width * height, width, height, fit LIMIT 1)`

// neededRenditions selects (revision, width, height, fit) of every
// rendition some live revision needs: a revision that is current or
// approved and not failed, for every geometry in use (the distinct
// geometries of the displays), except that a video nobody has submitted
// (a draft, or a rejected revision that is not the approved one) needs
// only the preview geometry: a video rendition is the big one (a 20 s
// noise video is tens of MB per panel), and an unsubmitted one may never
// play.
const neededRenditions = `SELECT r.id AS rev, g.width, g.height, g.fit
	FROM (SELECT current_revision_id AS id FROM media
		UNION SELECT approved_revision_id FROM media WHERE approved_revision_id IS NOT NULL) live
	JOIN media_revisions r ON r.id = live.id
	CROSS JOIN (SELECT DISTINCT width, height, fit FROM displays) g
	WHERE r.processing != 'failed' AND (r.kind = 'text' OR r.sha256 != '')
		AND (r.kind != 'video' OR r.status IN ('pending', 'approved')
			OR r.id IN (SELECT approved_revision_id FROM media WHERE approved_revision_id IS NOT NULL)
			OR (g.width, g.height, g.fit) = ` + previewGeometry + `)`

// EnqueueRenditions queues every rendition a live revision needs (see
// neededRenditions) where none exists yet; a video revision that was
// ready and now has work queued (it was submitted, or a display of a new
// geometry came) is processing again until that is done, so that nobody
// approves what some panels cannot show yet. It is idempotent; it returns
// how many it queued.
func (s *Store) EnqueueRenditions(ctx context.Context) (int64, error) {
	now := s.stamp()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue renditions: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO renditions (media_revision_id, width, height, fit, created_at, updated_at)
		SELECT rev, width, height, fit, ?, ? FROM (`+neededRenditions+`) AS needed
		WHERE true ON CONFLICT DO NOTHING`, now, now)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue renditions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: enqueue renditions: %w", err)
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE media_revisions SET processing = 'processing', processing_progress =
				(SELECT coalesce(CAST(sum(progress) AS INTEGER) / count(*), 0) FROM renditions WHERE media_revision_id = media_revisions.id)
			WHERE kind = 'video' AND processing = 'ready'
				AND id IN (SELECT media_revision_id FROM renditions WHERE status = 'queued')`); err != nil {
			return 0, fmt.Errorf("store: enqueue renditions: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: enqueue renditions: commit: %w", err)
	}
	return n, nil
}

// RequeueRenditions puts renditions left processing (by a controller that
// stopped) back in the queue; the pipeline calls it once at start.
func (s *Store) RequeueRenditions(ctx context.Context) (int64, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE renditions SET status = 'queued', progress = 0, updated_at = ? WHERE status = 'processing'`, s.stamp())
	if err != nil {
		return 0, fmt.Errorf("store: requeue renditions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: requeue renditions: %w", err)
	}
	return n, nil
}

// RenditionJob is a claimed rendition with the revision it renders.
type RenditionJob struct {
	Rendition Rendition
	Revision  MediaRevision
}

// ClaimRendition takes the oldest queued rendition and marks it
// processing; with none queued it returns ErrNotFound.
func (s *Store) ClaimRendition(ctx context.Context) (RenditionJob, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return RenditionJob{}, fmt.Errorf("store: claim rendition: %w", err)
	}
	defer tx.Rollback()
	var j RenditionJob
	j.Rendition, err = scanRendition(tx.QueryRowContext(ctx, `SELECT `+renditionCols+` FROM renditions WHERE status = 'queued' ORDER BY id LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return RenditionJob{}, fmt.Errorf("store: claim rendition: %w", ErrNotFound)
	}
	if err != nil {
		return RenditionJob{}, fmt.Errorf("store: claim rendition: %w", err)
	}
	j.Revision, err = scanMediaRev(tx.QueryRowContext(ctx, `SELECT `+mediaRevCols+` FROM media_revisions WHERE id = ?`, j.Rendition.MediaRevisionID))
	if err != nil {
		return RenditionJob{}, fmt.Errorf("store: claim rendition %d: %w", j.Rendition.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE renditions SET status = 'processing', progress = 0, claimed_by = ?, updated_at = ? WHERE id = ?`, s.claimer, s.stamp(), j.Rendition.ID); err != nil {
		return RenditionJob{}, fmt.Errorf("store: claim rendition %d: %w", j.Rendition.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return RenditionJob{}, fmt.Errorf("store: claim rendition %d: commit: %w", j.Rendition.ID, err)
	}
	j.Rendition.Status = RenditionProcessing
	return j, nil
}

// SetRenditionProgress records a processing rendition's percent done and
// the progress of its revision if that is still processing.
func (s *Store) SetRenditionProgress(ctx context.Context, id int64, pct int) error {
	return s.settle(ctx, id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE renditions SET progress = ?, updated_at = ? WHERE id = ? AND status = 'processing' AND claimed_by = ?`,
			min(max(pct, 0), 100), s.stamp(), id, s.claimer)
		return err
	})
}

// FinishRendition records a made rendition as ready with its file's
// description (r's file fields).
func (s *Store) FinishRendition(ctx context.Context, id int64, r Rendition) error {
	return s.settle(ctx, id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE renditions SET status = 'ready', progress = 100, error = '', sha256 = ?, kind = ?, mime = ?, bytes = ?,
			file_width = ?, file_height = ?, fps = ?, frames = ?, duration_ms = ?, ticker_pps = ?, updated_at = ? WHERE id = ? AND claimed_by = ?`,
			r.SHA256, r.Kind, r.MIME, r.Bytes, r.FileWidth, r.FileHeight, r.FPS, r.Frames, r.DurationMS, r.TickerPPS, s.stamp(), id, s.claimer)
		return err
	})
}

// FailRendition records why a rendition could not be made.
func (s *Store) FailRendition(ctx context.Context, id int64, msg string) error {
	return s.settle(ctx, id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE renditions SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND claimed_by = ?`, msg, s.stamp(), id, s.claimer)
		return err
	})
}

// RequeueRendition puts one processing rendition back in the queue (its
// work was cancelled by a shutdown). SetRenditionProgress, FinishRendition,
// FailRendition and RequeueRendition change a rendition only while this
// store's claim on it holds: after the lead moved, the new leader's
// Start and claim take it over.
func (s *Store) RequeueRendition(ctx context.Context, id int64) error {
	_, err := s.w.ExecContext(ctx, `UPDATE renditions SET status = 'queued', progress = 0, updated_at = ? WHERE id = ? AND status = 'processing' AND claimed_by = ?`,
		s.stamp(), id, s.claimer)
	if err != nil {
		return fmt.Errorf("store: requeue rendition %d: %w", id, err)
	}
	return nil
}

// PutRendition records a rendition made outside the queue (an image
// rendered while it was uploaded, a text notice while it was created) as
// ready, replacing any row for the same revision and geometry.
func (s *Store) PutRendition(ctx context.Context, r Rendition) error {
	now := s.stamp()
	_, err := s.w.ExecContext(ctx, `INSERT INTO renditions (media_revision_id, width, height, fit, status, progress, sha256, kind, mime, bytes,
		file_width, file_height, fps, frames, duration_ms, ticker_pps, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'ready', 100, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (media_revision_id, width, height, fit) DO UPDATE SET status = 'ready', progress = 100, error = '',
			sha256 = excluded.sha256, kind = excluded.kind, mime = excluded.mime, bytes = excluded.bytes,
			file_width = excluded.file_width, file_height = excluded.file_height, fps = excluded.fps, frames = excluded.frames,
			duration_ms = excluded.duration_ms, ticker_pps = excluded.ticker_pps, updated_at = excluded.updated_at`,
		r.MediaRevisionID, r.Width, r.Height, r.Fit, r.SHA256, r.Kind, r.MIME, r.Bytes, r.FileWidth, r.FileHeight, r.FPS, r.Frames,
		r.DurationMS, r.TickerPPS, now, now)
	if err != nil {
		return fmt.Errorf("store: put rendition of revision %d: %w", r.MediaRevisionID, err)
	}
	return nil
}

// SettleRevision brings a revision that is processing up to date with its
// renditions: failed if one failed, ready when all are (or it has none:
// no display needs it yet), else processing at their mean progress.
func (s *Store) SettleRevision(ctx context.Context, revisionID int64) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: settle revision %d: %w", revisionID, err)
	}
	defer tx.Rollback()
	if err := settleRevision(ctx, tx, revisionID); err != nil {
		return fmt.Errorf("store: settle revision %d: %w", revisionID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: settle revision %d: commit: %w", revisionID, err)
	}
	return nil
}

func settleRevision(ctx context.Context, tx *sql.Tx, revisionID int64) error {
	var total, ready, failed, progress int
	// The mean progress as integer division: CAST(avg(…) AS INTEGER)
	// truncates on SQLite but rounds on PostgreSQL (99.5 → 100).
	err := tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'ready'), count(*) FILTER (WHERE status = 'failed'),
		coalesce(CAST(sum(progress) AS INTEGER) / count(*), 0) FROM renditions WHERE media_revision_id = ?`, revisionID).Scan(&total, &ready, &failed, &progress)
	if err != nil {
		return err
	}
	state := ProcessingProcessing
	switch {
	case failed > 0:
		state = ProcessingFailed
	case ready == total:
		state, progress = ProcessingReady, 100
	}
	_, err = tx.ExecContext(ctx, `UPDATE media_revisions SET processing = ?, processing_progress = ? WHERE id = ? AND processing = 'processing'`,
		state, min(progress, 100), revisionID)
	return err
}

// settle runs fn on rendition id and settles its revision, in one
// transaction.
func (s *Store) settle(ctx context.Context, id int64, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: rendition %d: %w", id, err)
	}
	defer tx.Rollback()
	var rev int64
	err = tx.QueryRowContext(ctx, `SELECT media_revision_id FROM renditions WHERE id = ?`, id).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: rendition %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: rendition %d: %w", id, err)
	}
	if err := fn(tx); err != nil {
		return fmt.Errorf("store: rendition %d: %w", id, err)
	}
	if err := settleRevision(ctx, tx, rev); err != nil {
		return fmt.Errorf("store: rendition %d: settle revision %d: %w", id, rev, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: rendition %d: commit: %w", id, err)
	}
	return nil
}
