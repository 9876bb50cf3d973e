package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Approval states of a media or playlist revision.
const (
	StatusDraft    = "draft"
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
)

// Media kinds and processing states.
const (
	KindImage = "image"
	KindVideo = "video"
	KindText  = "text"
	// KindProgram is a layout of windows (ProgramLayouts) showing other
	// media and live clocks, dates, countdowns and tickers.
	KindProgram = "program"

	ProcessingProcessing = "processing"
	ProcessingReady      = "ready"
	ProcessingFailed     = "failed"
)

// MediaRevision is one version of a media's content. A file's bytes live in
// the content-addressed asset store under SHA256; text notices carry Body.
type MediaRevision struct {
	ID                 int64        `json:"id"`
	Number             int          `json:"number"`
	Status             string       `json:"status"`
	RejectReason       string       `json:"reject_reason"`
	Title              string       `json:"title"`
	Kind               string       `json:"kind"`
	Body               string       `json:"body"`
	SHA256             string       `json:"sha256"`
	MIME               string       `json:"mime"`
	Bytes              int64        `json:"bytes"`
	Width              int          `json:"width"`
	Height             int          `json:"height"`
	DurationMS         int64        `json:"duration_ms"`
	OriginalName       string       `json:"original_name"`
	Processing         string       `json:"processing"`
	ProcessingProgress int          `json:"processing_progress"`
	Notice             *NoticeStyle `json:"notice"` // text notices only
	// Program is a program's layouts (programs only).
	Program *ProgramLayouts `json:"program,omitempty"`
	// Renditions are this revision's renditions made so far or queued,
	// one per panel geometry (filled by Media and ListMedia).
	Renditions []Rendition `json:"renditions"`
	CreatedBy  *int64      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	DecidedBy  *int64      `json:"decided_by"`
	DecidedAt  *time.Time  `json:"decided_at"`
}

// Media is a slide: its newest revision (Current, whose status is the
// media's status) and the revision screens play (Approved, nil until one is
// approved).
type Media struct {
	ID         int64  `json:"id"`
	UnitID     int64  `json:"unit_id"`
	CampaignID *int64 `json:"campaign_id"`
	ThemeID    *int64 `json:"theme_id"`
	// ValidFrom and ValidUntil bound the days the media may play
	// (YYYY-MM-DD, inclusive, in the controller's zone; "" = open).
	ValidFrom  string         `json:"valid_from"`
	ValidUntil string         `json:"valid_until"`
	CreatedBy  *int64         `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	Status     string         `json:"status"`
	Title      string         `json:"title"`
	Kind       string         `json:"kind"`
	Current    MediaRevision  `json:"current"`
	Approved   *MediaRevision `json:"approved"`
	// MadeFor is "urgent" for a text notice composed for one urgent
	// notice (kept out of the content list), else "".
	MadeFor string `json:"made_for"`
}

// NoticeStyle is how a text notice is drawn (see assets.Notice); stored as
// JSON in media_revisions.notice. The media's title is drawn in bold above
// the body unless HideTitle.
type NoticeStyle struct {
	Color      string `json:"color"`       // "#rrggbb", default white
	TitleColor string `json:"title_color"` // default amber
	Background string `json:"background"`  // default black
	Align      string `json:"align"`       // left, center (default), right
	HideTitle  bool   `json:"hide_title"`
	// Ticker asks for a scrolling line; TickerPPS is its speed (0: the
	// default, twice the panel height per second).
	Ticker    bool `json:"ticker"`
	TickerPPS int  `json:"ticker_pixels_per_second"`
}

func noticeJSON(n *NoticeStyle) string {
	if n == nil {
		return ""
	}
	b, _ := json.Marshal(n) // a struct of strings, ints and bools cannot fail
	return string(b)
}

const mediaRevCols = `id, number, status, reject_reason, title, kind, body, sha256, mime, bytes, width, height,
	duration_ms, original_name, processing, processing_progress, notice, program, created_by, created_at, decided_by, decided_at`

func scanMediaRev(sc interface{ Scan(...any) error }) (MediaRevision, error) {
	var r MediaRevision
	var at string
	var by, dby sql.NullInt64
	var dat sql.NullString
	var notice, program string
	err := sc.Scan(&r.ID, &r.Number, &r.Status, &r.RejectReason, &r.Title, &r.Kind, &r.Body, &r.SHA256, &r.MIME, &r.Bytes,
		&r.Width, &r.Height, &r.DurationMS, &r.OriginalName, &r.Processing, &r.ProcessingProgress, &notice, &program, &by, &at, &dby, &dat)
	r.CreatedBy, r.CreatedAt, r.DecidedBy, r.DecidedAt = ptrInt(by), parseTime(at), ptrInt(dby), parseNullTime(dat)
	if err == nil && program != "" {
		r.Program = &ProgramLayouts{}
		if err := json.Unmarshal([]byte(program), r.Program); err != nil {
			return r, fmt.Errorf("revision %d program: %w", r.ID, err)
		}
	}
	if err == nil && notice != "" {
		r.Notice = &NoticeStyle{}
		if err := json.Unmarshal([]byte(notice), r.Notice); err != nil {
			return r, fmt.Errorf("revision %d notice: %w", r.ID, err)
		}
	}
	return r, err
}

// NewMedia is what creating a media takes: a text notice (Kind text, Body)
// or a file already ingested by the content pipeline (SHA256 and the rest).
type NewMedia struct {
	UnitID             int64
	CampaignID         *int64
	ThemeID            *int64
	ValidFrom          string // YYYY-MM-DD or ""
	ValidUntil         string
	CreatedBy          int64
	Title              string
	Kind               string
	Body               string
	SHA256             string
	MIME               string
	Bytes              int64
	Width, Height      int
	DurationMS         int64
	OriginalName       string
	Processing         string // empty means ready
	ProcessingProgress int
	Notice             *NoticeStyle // text notices
	Program            *ProgramLayouts
}

// checkCampaignTheme refuses a theme without its campaign or of another one.
func checkCampaignTheme(ctx context.Context, tx *sql.Tx, campaignID, themeID *int64) error {
	if campaignID != nil {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM campaigns WHERE id = ?`, *campaignID).Scan(&one); err != nil {
			return &ConflictError{Code: "unknown_campaign", Msg: fmt.Sprintf("campaign %d does not exist", *campaignID), Params: map[string]any{"campaign": *campaignID}}
		}
	}
	if themeID != nil {
		var cid int64
		err := tx.QueryRowContext(ctx, `SELECT campaign_id FROM campaign_themes WHERE id = ?`, *themeID).Scan(&cid)
		if err != nil || campaignID == nil || cid != *campaignID {
			return &ConflictError{Code: "theme_not_in_campaign", Msg: fmt.Sprintf("theme %d is not a theme of the media's campaign", *themeID), Params: map[string]any{"theme": *themeID}}
		}
	}
	return nil
}

// CreateMedia adds a media with a first, draft revision.
func (s *Store) CreateMedia(ctx context.Context, who Actor, m NewMedia) (Media, error) {
	if m.Processing == "" {
		m.Processing, m.ProcessingProgress = ProcessingReady, 100
	}
	id, err := s.change(ctx, who, "media.create", "media", func(tx *sql.Tx) (int64, map[string]any, error) {
		if err := checkCampaignTheme(ctx, tx, m.CampaignID, m.ThemeID); err != nil {
			return 0, nil, err
		}
		now := s.stamp()
		id, err := insertID(ctx, tx, `INSERT INTO media (unit_id, campaign_id, theme_id, created_by, created_at, valid_from, valid_until) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.UnitID, nullInt(m.CampaignID), nullInt(m.ThemeID), nullInt(&m.CreatedBy), now, m.ValidFrom, m.ValidUntil)
		if isForeignKey(err) {
			return 0, nil, fmt.Errorf("unit %d: %w", m.UnitID, ErrNotFound)
		}
		if err != nil {
			return 0, nil, err
		}
		rev, err := insertID(ctx, tx, `INSERT INTO media_revisions (media_id, number, status, title, kind, body, sha256, mime, bytes,
			width, height, duration_ms, original_name, processing, processing_progress, notice, program, created_by, created_at)
			VALUES (?, 1, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, m.Title, m.Kind, m.Body, m.SHA256, m.MIME, m.Bytes, m.Width, m.Height, m.DurationMS, m.OriginalName,
			m.Processing, m.ProcessingProgress, noticeJSON(m.Notice), programJSON(m.Program), nullInt(&m.CreatedBy), now)
		if err != nil {
			return 0, nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE media SET current_revision_id = ? WHERE id = ?`, rev, id); err != nil {
			return 0, nil, err
		}
		if err := addAuthors(ctx, tx, "media", rev, m.CreatedBy, who.UserID); err != nil {
			return 0, nil, err
		}
		detail := map[string]any{"title": m.Title, "kind": m.Kind, "unit_id": m.UnitID, "sha256": m.SHA256}
		if m.ValidFrom != "" || m.ValidUntil != "" {
			detail["valid_from"], detail["valid_until"] = m.ValidFrom, m.ValidUntil
		}
		return id, detail, nil
	})
	if err != nil {
		return Media{}, fmt.Errorf("store: create media: %w", err)
	}
	return s.Media(ctx, id)
}

// Media returns one media with its current and approved revisions.
func (s *Store) Media(ctx context.Context, id int64) (Media, error) {
	var m Media
	var cid, tid, by, cur, appr sql.NullInt64
	var at string
	err := s.r.QueryRowContext(ctx, `SELECT id, unit_id, campaign_id, theme_id, created_by, created_at, current_revision_id, approved_revision_id,
		valid_from, valid_until, made_for FROM media WHERE id = ?`, id).Scan(&m.ID, &m.UnitID, &cid, &tid, &by, &at, &cur, &appr, &m.ValidFrom, &m.ValidUntil, &m.MadeFor)
	if errors.Is(err, sql.ErrNoRows) {
		return Media{}, fmt.Errorf("store: media %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Media{}, fmt.Errorf("store: media %d: %w", id, err)
	}
	m.CampaignID, m.ThemeID, m.CreatedBy, m.CreatedAt = ptrInt(cid), ptrInt(tid), ptrInt(by), parseTime(at)
	m.Current, err = scanMediaRev(s.r.QueryRowContext(ctx, `SELECT `+mediaRevCols+` FROM media_revisions WHERE id = ?`, cur.Int64))
	if err != nil {
		return Media{}, fmt.Errorf("store: media %d: current revision: %w", id, err)
	}
	if appr.Valid {
		a, err := scanMediaRev(s.r.QueryRowContext(ctx, `SELECT `+mediaRevCols+` FROM media_revisions WHERE id = ?`, appr.Int64))
		if err != nil {
			return Media{}, fmt.Errorf("store: media %d: approved revision: %w", id, err)
		}
		m.Approved = &a
	}
	if m.Current.Renditions, err = s.renditionsOf(ctx, m.Current.ID); err != nil {
		return Media{}, fmt.Errorf("store: media %d: %w", id, err)
	}
	if m.Approved != nil {
		if m.Approved.Renditions, err = s.renditionsOf(ctx, m.Approved.ID); err != nil {
			return Media{}, fmt.Errorf("store: media %d: %w", id, err)
		}
	}
	m.Status, m.Title, m.Kind = m.Current.Status, m.Current.Title, m.Current.Kind
	return m, nil
}

// MediaFilter selects media; zero fields do not filter. Sort must be one of
// MediaSorts.
type MediaFilter struct {
	UnitIDs    []int64 // any of these units; nil means every unit
	Status     string
	Kind       string
	CampaignID int64
	Q          string // substring of the title
	Sort       string
	Desc       bool
	Limit      int
	Offset     int
}

// MediaSorts maps the sort keys the API accepts to columns: ORDER BY comes
// from this whitelist, never from the request.
var MediaSorts = map[string]string{
	"id":         "m.id",
	"created_at": "m.created_at",
	"title":      "c.title COLLATE NOCASE",
	"status":     "c.status",
}

// ListMedia returns one page of media and the number that match in all.
func (s *Store) ListMedia(ctx context.Context, f MediaFilter) ([]Media, int, error) {
	// Media made for one urgent notice are not content to reuse.
	where := []string{"instr(lower(c.title), lower(?)) > 0", "m.made_for = ''"}
	args := []any{f.Q}
	if f.UnitIDs != nil {
		where = append(where, "m.unit_id IN ("+placeholders(len(f.UnitIDs))+")")
		for _, u := range f.UnitIDs {
			args = append(args, u)
		}
	}
	if f.Status != "" {
		where, args = append(where, "c.status = ?"), append(args, f.Status)
	}
	if f.Kind != "" {
		where, args = append(where, "c.kind = ?"), append(args, f.Kind)
	}
	if f.CampaignID != 0 {
		where, args = append(where, "m.campaign_id = ?"), append(args, f.CampaignID)
	}
	from := ` FROM media m JOIN media_revisions c ON c.id = m.current_revision_id WHERE ` + strings.Join(where, " AND ")
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: list media: %w", err)
	}
	ids, err := s.pageIDs(ctx, `SELECT m.id`+from, args, MediaSorts, f.Sort, "m.id", f.Desc, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list media: %w", err)
	}
	out := make([]Media, 0, len(ids))
	for _, id := range ids {
		m, err := s.Media(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, nil
}

func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// pageIDs runs a SELECT of ids with ORDER BY from the sorts whitelist (an
// unknown key falls back to def; the API refuses unknown keys before) and
// bound LIMIT and OFFSET.
func (s *Store) pageIDs(ctx context.Context, q string, args []any, sorts map[string]string, key, def string, desc bool, limit, offset int) ([]int64, error) {
	col, ok := sorts[key]
	if !ok {
		col = def
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	q += " ORDER BY " + col + dir + ", " + def + dir + " LIMIT ? OFFSET ?"
	rows, err := s.r.QueryContext(ctx, q, append(args, clampLimit(limit), max(offset, 0))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// MediaFile is a newly ingested file that replaces a media's image or
// video, as the content pipeline describes it.
type MediaFile struct {
	Kind               string // image or video
	SHA256             string
	MIME               string
	Bytes              int64
	Width, Height      int
	DurationMS         int64
	OriginalName       string
	Processing         string // empty means ready
	ProcessingProgress int
}

// MediaEdit is what an edit may change; nil fields stay.
type MediaEdit struct {
	Title      *string
	Body       *string
	Notice     *NoticeStyle    // text notices only
	Program    *ProgramLayouts // programs only
	File       *MediaFile      // a new upload for an image or video
	CampaignID **int64
	ThemeID    **int64
	// ValidFrom and ValidUntil change the validity dates ("" clears); like
	// the campaign they belong to the media, not a revision.
	ValidFrom  *string
	ValidUntil *string
}

// revise applies the revision rule shared by media and playlists to an edit
// of content: a draft or pending revision is changed in place (a rejected
// one goes back to draft); an approved one is copied into a new pending
// revision, and the approved one keeps playing until that is decided.
func reviseStatus(status string) (inPlace bool, newStatus string) {
	switch status {
	case StatusApproved:
		return false, StatusPending
	case StatusRejected:
		return true, StatusDraft
	default:
		return true, status
	}
}

// EditMedia changes a media's content or campaign.
func (s *Store) EditMedia(ctx context.Context, who Actor, id int64, e MediaEdit) (Media, error) {
	_, err := s.change(ctx, who, "media.update", "media", func(tx *sql.Tx) (int64, map[string]any, error) {
		var cur int64
		var cid, tid sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT current_revision_id, campaign_id, theme_id FROM media WHERE id = ?`, id).Scan(&cur, &cid, &tid)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, ErrNotFound
		}
		if err != nil {
			return 0, nil, err
		}
		detail := map[string]any{}
		if e.CampaignID != nil || e.ThemeID != nil {
			c, t := ptrInt(cid), ptrInt(tid)
			if e.CampaignID != nil {
				c = *e.CampaignID
			}
			if e.ThemeID != nil {
				t = *e.ThemeID
			}
			if err := checkCampaignTheme(ctx, tx, c, t); err != nil {
				return 0, nil, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE media SET campaign_id = ?, theme_id = ? WHERE id = ?`, nullInt(c), nullInt(t), id); err != nil {
				return 0, nil, err
			}
			detail["campaign_id"], detail["theme_id"] = c, t
		}
		if e.ValidFrom != nil || e.ValidUntil != nil {
			var from, until string
			if err := tx.QueryRowContext(ctx, `SELECT valid_from, valid_until FROM media WHERE id = ?`, id).Scan(&from, &until); err != nil {
				return 0, nil, err
			}
			if e.ValidFrom != nil {
				from = *e.ValidFrom
			}
			if e.ValidUntil != nil {
				until = *e.ValidUntil
			}
			if from != "" && until != "" && until < from {
				return 0, nil, &ConflictError{Code: "valid_until_before_from", Msg: fmt.Sprintf("valid_until %s is before valid_from %s", until, from),
					Params: map[string]any{"valid_from": from, "valid_until": until}}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE media SET valid_from = ?, valid_until = ? WHERE id = ?`, from, until, id); err != nil {
				return 0, nil, err
			}
			detail["valid_from"], detail["valid_until"] = from, until
		}
		if e.Title == nil && e.Body == nil && e.Notice == nil && e.Program == nil && e.File == nil {
			return id, detail, nil
		}
		r, err := scanMediaRev(tx.QueryRowContext(ctx, `SELECT `+mediaRevCols+` FROM media_revisions WHERE id = ?`, cur))
		if err != nil {
			return 0, nil, err
		}
		if (e.Body != nil || e.Notice != nil) && r.Kind != KindText {
			return 0, nil, &StateError{Code: "body_only_text", Msg: "only a text notice has a body; upload a new file to change an image or video"}
		}
		if e.Notice != nil {
			r.Notice = e.Notice
		}
		if e.Program != nil {
			if r.Kind != KindProgram {
				return 0, nil, &StateError{Code: "layout_only_program", Msg: "only a program has a layout"}
			}
			r.Program = e.Program
		}
		if e.Title != nil {
			r.Title = *e.Title
		}
		if e.Body != nil {
			r.Body = *e.Body
		}
		if f := e.File; f != nil {
			if r.Kind == KindProgram {
				return 0, nil, &StateError{Code: "program_has_no_file", Msg: "a program has no file; change its windows instead"}
			}
			if r.Kind == KindText || f.Kind == KindText {
				return 0, nil, &StateError{Code: "text_has_no_file", Msg: "a text notice has no file, and a file cannot become a text notice"}
			}
			if f.Processing == "" {
				f.Processing, f.ProcessingProgress = ProcessingReady, 100
			}
			r.Kind, r.SHA256, r.MIME, r.Bytes, r.Width, r.Height = f.Kind, f.SHA256, f.MIME, f.Bytes, f.Width, f.Height
			r.DurationMS, r.OriginalName, r.Processing, r.ProcessingProgress = f.DurationMS, f.OriginalName, f.Processing, f.ProcessingProgress
			detail["sha256"] = f.SHA256
		}
		inPlace, status := reviseStatus(r.Status)
		if inPlace {
			_, err = tx.ExecContext(ctx, `UPDATE media_revisions SET title = ?, body = ?, kind = ?, sha256 = ?, mime = ?, bytes = ?, width = ?, height = ?,
				duration_ms = ?, original_name = ?, processing = ?, processing_progress = ?, notice = ?, program = ?, status = ?, reject_reason = '' WHERE id = ?`,
				r.Title, r.Body, r.Kind, r.SHA256, r.MIME, r.Bytes, r.Width, r.Height, r.DurationMS, r.OriginalName, r.Processing, r.ProcessingProgress,
				noticeJSON(r.Notice), programJSON(r.Program), status, cur)
			if err == nil && (e.File != nil || r.Kind == KindText && (e.Title != nil || e.Body != nil || e.Notice != nil)) {
				// The revision's content changed in place: its renditions
				// are of the old content. The pipeline makes new ones.
				_, err = tx.ExecContext(ctx, `DELETE FROM renditions WHERE media_revision_id = ?`, cur)
			}
			if err == nil {
				err = addAuthors(ctx, tx, "media", cur, who.UserID)
			}
			detail["revision"] = r.Number
		} else {
			var rev int64
			rev, err = insertID(ctx, tx, `INSERT INTO media_revisions (media_id, number, status, title, kind, body, sha256, mime, bytes,
				width, height, duration_ms, original_name, processing, processing_progress, notice, program, created_by, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, r.Number+1, status, r.Title, r.Kind, r.Body, r.SHA256, r.MIME, r.Bytes, r.Width, r.Height, r.DurationMS,
				r.OriginalName, r.Processing, r.ProcessingProgress, noticeJSON(r.Notice), programJSON(r.Program), nullInt(&who.UserID), s.stamp())
			if err == nil {
				_, err = tx.ExecContext(ctx, `UPDATE media SET current_revision_id = ? WHERE id = ?`, rev, id)
				if err == nil {
					err = addAuthors(ctx, tx, "media", rev, who.UserID)
				}
			}
			detail["revision"] = r.Number + 1
		}
		detail["title"], detail["status"] = r.Title, status
		return id, detail, err
	})
	if err != nil {
		return Media{}, fmt.Errorf("store: edit media %d: %w", id, err)
	}
	return s.Media(ctx, id)
}

// SetMediaProcessing records the content pipeline's progress on the current
// revision. Not audited: the pipeline reports often.
func (s *Store) SetMediaProcessing(ctx context.Context, id int64, state string, progress int) error {
	res, err := s.w.ExecContext(ctx, `UPDATE media_revisions SET processing = ?, processing_progress = ?
		WHERE id = (SELECT current_revision_id FROM media WHERE id = ?)`, state, progress, id)
	if err := affected(res, err); err != nil {
		return fmt.Errorf("store: media %d processing: %w", id, err)
	}
	return nil
}

// decide moves the current revision of a media or playlist (table is the
// object table, a constant) from one of the states in from to to.
func (s *Store) decide(ctx context.Context, tx *sql.Tx, who Actor, table string, id int64, from []string, to, reason string) (int64, string, error) {
	var cur int64
	err := tx.QueryRowContext(ctx, `SELECT current_revision_id FROM `+table+` WHERE id = ?`, id).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	if err != nil {
		return 0, "", err
	}
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM `+revTable(table)+` WHERE id = ?`, cur).Scan(&status); err != nil {
		return 0, "", err
	}
	ok := false
	for _, f := range from {
		ok = ok || f == status
	}
	if !ok {
		return 0, status, &StateError{Code: "wrong_state", Msg: fmt.Sprintf("it is %s; only %s content can be %s", status, strings.Join(from, " or "), pastTense(to)),
			Params: map[string]any{"status": status, "to": to}}
	}
	if to == StatusApproved {
		if err := checkNotOwnWork(ctx, tx, who, table, cur, "this revision"); err != nil {
			return 0, status, err
		}
	}
	if to == StatusPending {
		if err := addAuthors(ctx, tx, table, cur, who.UserID); err != nil {
			return 0, status, err
		}
	}
	if to == StatusPending || to == StatusDraft {
		_, err = tx.ExecContext(ctx, `UPDATE `+revTable(table)+` SET status = ?, reject_reason = '' WHERE id = ?`, to, cur)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE `+revTable(table)+` SET status = ?, reject_reason = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
			to, reason, nullInt(&who.UserID), s.stamp(), cur)
	}
	if err == nil && to == StatusApproved {
		_, err = tx.ExecContext(ctx, `UPDATE `+table+` SET approved_revision_id = ? WHERE id = ?`, cur, id)
	}
	return cur, status, err
}

func revTable(table string) string {
	if table == "media" {
		return "media_revisions"
	}
	return "playlist_revisions"
}

func pastTense(status string) string {
	switch status {
	case StatusPending:
		return "submitted"
	case StatusDraft:
		return "withdrawn"
	}
	return status
}

// SubmitMedia sends a draft or rejected media for approval.
func (s *Store) SubmitMedia(ctx context.Context, who Actor, id int64) (Media, error) {
	return s.mediaDecision(ctx, who, id, "media.submit", []string{StatusDraft, StatusRejected}, StatusPending, "")
}

// WithdrawMedia takes a pending media back to draft, so its editor can
// change it before anyone decides. An earlier approved revision keeps
// playing.
func (s *Store) WithdrawMedia(ctx context.Context, who Actor, id int64) (Media, error) {
	return s.mediaDecision(ctx, who, id, "media.withdraw", []string{StatusPending}, StatusDraft, "")
}

// ApproveMedia approves the pending revision, which then replaces the
// previously approved one on screens.
func (s *Store) ApproveMedia(ctx context.Context, who Actor, id int64) (Media, error) {
	return s.mediaDecision(ctx, who, id, "media.approve", []string{StatusPending}, StatusApproved, "")
}

// RejectMedia rejects the pending revision with a reason for the editor.
// An earlier approved revision keeps playing.
func (s *Store) RejectMedia(ctx context.Context, who Actor, id int64, reason string) (Media, error) {
	return s.mediaDecision(ctx, who, id, "media.reject", []string{StatusPending}, StatusRejected, reason)
}

func (s *Store) mediaDecision(ctx context.Context, who Actor, id int64, action string, from []string, to, reason string) (Media, error) {
	_, err := s.change(ctx, who, action, "media", func(tx *sql.Tx) (int64, map[string]any, error) {
		if to == StatusApproved {
			var processing string
			err := tx.QueryRowContext(ctx, `SELECT r.processing FROM media m JOIN media_revisions r ON r.id = m.current_revision_id WHERE m.id = ?`, id).Scan(&processing)
			if err == nil && processing != ProcessingReady {
				return 0, nil, &StateError{Code: "not_ready", Msg: fmt.Sprintf("its processing is %s; only ready media can be approved", processing),
					Params: map[string]any{"processing": processing}}
			}
		}
		rev, _, err := s.decide(ctx, tx, who, "media", id, from, to, reason)
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
		return Media{}, fmt.Errorf("store: media %d: %w", id, err)
	}
	return s.Media(ctx, id)
}

// DeleteMedia removes a media that no playlist uses.
func (s *Store) DeleteMedia(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "media.delete", "media", func(tx *sql.Tx) (int64, map[string]any, error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM playlist_items WHERE media_id = ?`, id).Scan(&n); err != nil {
			return 0, nil, err
		}
		if n > 0 {
			return 0, nil, &ConflictError{Code: "media_in_use", Msg: "a playlist uses this media (in its current or an earlier revision); remove it from the playlist first"}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM media WHERE id = ?`, id)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete media %d: %w", id, err)
	}
	return nil
}
