package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Theme is a content theme of a campaign.
type Theme struct {
	ID       int64  `json:"id"`
	Position int    `json:"position"`
	Title    string `json:"title"`
}

// Campaign is a named period of content with themes and an owner unit.
type Campaign struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	Name      string    `json:"name"`
	StartsOn  string    `json:"starts_on"`
	EndsOn    string    `json:"ends_on"`
	Themes    []Theme   `json:"themes"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateCampaign adds a campaign with its themes in order.
func (s *Store) CreateCampaign(ctx context.Context, who Actor, c Campaign) (Campaign, error) {
	id, err := s.change(ctx, who, "campaign.create", "campaign", func(tx *sql.Tx) (int64, map[string]any, error) {
		id, err := insertID(ctx, tx, `INSERT INTO campaigns (unit_id, name, starts_on, ends_on, created_at) VALUES (?, ?, ?, ?, ?)`,
			c.UnitID, c.Name, c.StartsOn, c.EndsOn, s.stamp())
		if isForeignKey(err) {
			return 0, nil, fmt.Errorf("unit %d: %w", c.UnitID, ErrNotFound)
		}
		if err != nil {
			return 0, nil, err
		}
		for i, t := range c.Themes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_themes (campaign_id, position, title) VALUES (?, ?, ?)`, id, i+1, t.Title); err != nil {
				return 0, nil, err
			}
		}
		return id, map[string]any{"name": c.Name, "unit_id": c.UnitID}, nil
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("store: create campaign: %w", err)
	}
	return s.Campaign(ctx, id)
}

// Campaign returns one campaign with its themes.
func (s *Store) Campaign(ctx context.Context, id int64) (Campaign, error) {
	var c Campaign
	var at string
	err := s.r.QueryRowContext(ctx, `SELECT id, unit_id, name, starts_on, ends_on, created_at FROM campaigns WHERE id = ?`, id).
		Scan(&c.ID, &c.UnitID, &c.Name, &c.StartsOn, &c.EndsOn, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Campaign{}, fmt.Errorf("store: campaign %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("store: campaign %d: %w", id, err)
	}
	c.CreatedAt = parseTime(at)
	rows, err := s.r.QueryContext(ctx, `SELECT id, position, title FROM campaign_themes WHERE campaign_id = ? ORDER BY position`, id)
	if err != nil {
		return Campaign{}, fmt.Errorf("store: campaign %d: themes: %w", id, err)
	}
	defer rows.Close()
	c.Themes = []Theme{}
	for rows.Next() {
		var t Theme
		if err := rows.Scan(&t.ID, &t.Position, &t.Title); err != nil {
			return Campaign{}, fmt.Errorf("store: campaign %d: themes: %w", id, err)
		}
		c.Themes = append(c.Themes, t)
	}
	if err := rows.Err(); err != nil {
		return Campaign{}, fmt.Errorf("store: campaign %d: themes: %w", id, err)
	}
	return c, nil
}

// Campaigns lists campaigns, newest period first; q filters by name.
func (s *Store) Campaigns(ctx context.Context, q string) ([]Campaign, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM campaigns WHERE instr(lower(name), lower(?)) > 0 ORDER BY starts_on DESC, id`, q)
	if err != nil {
		return nil, fmt.Errorf("store: list campaigns: %w", err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("store: list campaigns: %w", err)
	}
	out := make([]Campaign, 0, len(ids))
	for _, id := range ids {
		c, err := s.Campaign(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
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

// UpdateCampaign changes name, period and unit. Themes, when not nil, are
// matched by position: existing ones are renamed (media keep their theme),
// extra ones added, missing ones removed.
func (s *Store) UpdateCampaign(ctx context.Context, who Actor, c Campaign) (Campaign, error) {
	_, err := s.change(ctx, who, "campaign.update", "campaign", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET unit_id = ?, name = ?, starts_on = ?, ends_on = ? WHERE id = ?`,
			c.UnitID, c.Name, c.StartsOn, c.EndsOn, c.ID)
		if isForeignKey(err) {
			return 0, nil, fmt.Errorf("unit %d: %w", c.UnitID, ErrNotFound)
		}
		if err := affected(res, err); err != nil {
			return 0, nil, err
		}
		if c.Themes != nil {
			for i, t := range c.Themes {
				if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_themes (campaign_id, position, title) VALUES (?, ?, ?)
					ON CONFLICT (campaign_id, position) DO UPDATE SET title = excluded.title`, c.ID, i+1, t.Title); err != nil {
					return 0, nil, err
				}
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_themes WHERE campaign_id = ? AND position > ?`, c.ID, len(c.Themes)); err != nil {
				return 0, nil, err
			}
		}
		return c.ID, map[string]any{"name": c.Name, "starts_on": c.StartsOn, "ends_on": c.EndsOn}, nil
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("store: update campaign %d: %w", c.ID, err)
	}
	return s.Campaign(ctx, c.ID)
}

// DeleteCampaign removes a campaign; its media and playlists stay, without
// a campaign.
func (s *Store) DeleteCampaign(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "campaign.delete", "campaign", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM campaigns WHERE id = ?`, id)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete campaign %d: %w", id, err)
	}
	return nil
}
