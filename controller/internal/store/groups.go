package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Group is a set of screens scheduled together.
type Group struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Displays  int       `json:"displays"`
	CreatedAt time.Time `json:"created_at"`
}

const groupSelect = `SELECT g.id, g.name, g.created_at, (SELECT count(*) FROM displays d WHERE d.group_id = g.id) FROM display_groups g`

func scanGroup(sc interface{ Scan(...any) error }) (Group, error) {
	var g Group
	var at string
	err := sc.Scan(&g.ID, &g.Name, &at, &g.Displays)
	g.CreatedAt = parseTime(at)
	return g, err
}

// CreateGroup adds a display group; a duplicate name is ErrConflict.
func (s *Store) CreateGroup(ctx context.Context, who Actor, name string) (Group, error) {
	id, err := s.change(ctx, who, "group.create", "group", func(tx *sql.Tx) (int64, map[string]any, error) {
		id, err := insertID(ctx, tx, `INSERT INTO display_groups (name, created_at) VALUES (?, ?)`, name, s.stamp())
		if isUnique(err) {
			return 0, nil, &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a group named %q exists", name), Params: map[string]any{"name": name}}
		}
		if err != nil {
			return 0, nil, err
		}
		return id, map[string]any{"name": name}, err
	})
	if err != nil {
		return Group{}, fmt.Errorf("store: create group: %w", err)
	}
	return s.Group(ctx, id)
}

// Group returns one group.
func (s *Store) Group(ctx context.Context, id int64) (Group, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, groupSelect+` WHERE g.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Group{}, fmt.Errorf("store: group %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Group{}, fmt.Errorf("store: group %d: %w", id, err)
	}
	return g, nil
}

// Groups lists groups by name; q filters by name.
func (s *Store) Groups(ctx context.Context, q string) ([]Group, error) {
	rows, err := s.r.QueryContext(ctx, groupSelect+` WHERE instr(lower(g.name), lower(?)) > 0 ORDER BY g.name`, q)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	defer rows.Close()
	out := []Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	return out, nil
}

// RenameGroup renames a group.
func (s *Store) RenameGroup(ctx context.Context, who Actor, id int64, name string) (Group, error) {
	_, err := s.change(ctx, who, "group.update", "group", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE display_groups SET name = ? WHERE id = ?`, name, id)
		if isUnique(err) {
			return 0, nil, &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a group named %q exists", name), Params: map[string]any{"name": name}}
		}
		return id, map[string]any{"name": name}, affected(res, err)
	})
	if err != nil {
		return Group{}, fmt.Errorf("store: update group %d: %w", id, err)
	}
	return s.Group(ctx, id)
}

// DeleteGroup removes a group; its screens stay, in no group, and its
// schedules go.
func (s *Store) DeleteGroup(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "group.delete", "group", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM display_groups WHERE id = ?`, id)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete group %d: %w", id, err)
	}
	return nil
}
