package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Settings are the site's settings, changed by an admin.
type Settings struct {
	// TwoPersonRule: nobody approves a revision they created, edited or
	// submitted, nor sends as an urgent notice an approved media whose
	// approved revision they had a hand in (issue 12.6). On by default.
	TwoPersonRule bool `json:"two_person_rule"`
}

// DefaultSettings are the settings of a site nobody changed.
var DefaultSettings = Settings{TwoPersonRule: true}

const settingTwoPersonRule = "two_person_rule"

// rowQuerier is what both *sql.DB and *sql.Tx offer for a query of one row.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func boolSetting(ctx context.Context, q rowQuerier, name string, def bool) (bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM site_settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return def, fmt.Errorf("setting %s: %w", name, err)
	}
	return v == "true", nil
}

// Settings returns the site's settings.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	st := DefaultSettings
	var err error
	if st.TwoPersonRule, err = boolSetting(ctx, s.r, settingTwoPersonRule, DefaultSettings.TwoPersonRule); err != nil {
		return Settings{}, fmt.Errorf("store: %w", err)
	}
	return st, nil
}

// SetSettings replaces the site's settings; the audit record holds the new
// values (the one before holds the old).
func (s *Store) SetSettings(ctx context.Context, who Actor, st Settings) (Settings, error) {
	_, err := s.change(ctx, who, "settings.update", "settings", func(tx *sql.Tx) (int64, map[string]any, error) {
		v := "false"
		if st.TwoPersonRule {
			v = "true"
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO site_settings (name, value, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			settingTwoPersonRule, v, nullInt(&who.UserID), s.stamp())
		return 0, map[string]any{"two_person_rule": st.TwoPersonRule}, err
	})
	if err != nil {
		return Settings{}, fmt.Errorf("store: set settings: %w", err)
	}
	return s.Settings(ctx)
}

// authorsTable is where the authors of table's revisions ("media" or
// "playlists") are kept.
func authorsTable(table string) string {
	if table == "media" {
		return "media_revision_authors"
	}
	return "playlist_revision_authors"
}

// addAuthors records that users had a hand in revision rev of table
// ("media" or "playlists"): created, edited or submitted it. The system
// (user 0) is nobody.
func addAuthors(ctx context.Context, tx *sql.Tx, table string, rev int64, users ...int64) error {
	for _, u := range users {
		if u == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+authorsTable(table)+` (revision_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, rev, u); err != nil {
			return fmt.Errorf("record author %d of revision %d: %w", u, rev, err)
		}
	}
	return nil
}

// errOwnWork refuses an approval (or an urgent notice) by one of the
// revision's authors while the two-person rule is on.
func errOwnWork(what string) error {
	return &StateError{Code: "own_work", Msg: fmt.Sprintf("you created, edited or submitted %s; under the site's two-person rule another approver must approve it", what)}
}

// checkNotOwnWork refuses who when the two-person rule is on and who had
// a hand in revision rev of table.
func checkNotOwnWork(ctx context.Context, tx *sql.Tx, who Actor, table string, rev int64, what string) error {
	if who.UserID == 0 {
		return nil
	}
	on, err := boolSetting(ctx, tx, settingTwoPersonRule, DefaultSettings.TwoPersonRule)
	if err != nil || !on {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+authorsTable(table)+` WHERE revision_id = ? AND user_id = ?`, rev, who.UserID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errOwnWork(what)
	}
	return nil
}
