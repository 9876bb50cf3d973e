package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Unit is an organization that contributes content: an office, the
// Fatherland Front, a school, a neighbourhood block.
type Unit struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Lead marks the unit that coordinates and reports (the ward's culture
	// office): its editors and viewers see every unit's proof of play.
	Lead      bool      `json:"lead"`
	CreatedAt time.Time `json:"created_at"`
	// StorageQuotaMiB is what the unit's media may take in the asset store
	// (originals and renditions); nil: the site's default.
	StorageQuotaMiB *int64 `json:"storage_quota_mib"`
}

// CreateUnit adds a unit; a duplicate name is ErrConflict.
func (s *Store) CreateUnit(ctx context.Context, who Actor, u Unit) (Unit, error) {
	id, err := s.change(ctx, who, "unit.create", "unit", func(tx *sql.Tx) (int64, map[string]any, error) {
		id, err := insertID(ctx, tx, `INSERT INTO units (name, kind, lead, created_at) VALUES (?, ?, ?, ?)`, u.Name, u.Kind, u.Lead, s.stamp())
		if isUnique(err) {
			return 0, nil, &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a unit named %q exists", u.Name), Params: map[string]any{"name": u.Name}}
		}
		if err != nil {
			return 0, nil, err
		}
		return id, map[string]any{"name": u.Name, "lead": u.Lead}, err
	})
	if err != nil {
		return Unit{}, fmt.Errorf("store: create unit: %w", err)
	}
	return s.Unit(ctx, id)
}

const unitCols = `id, name, kind, lead, created_at, storage_quota_mib`

func scanUnit(sc interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	var at string
	var quota sql.NullInt64
	err := sc.Scan(&u.ID, &u.Name, &u.Kind, &u.Lead, &at, &quota)
	u.CreatedAt = parseTime(at)
	if quota.Valid {
		u.StorageQuotaMiB = &quota.Int64
	}
	return u, err
}

// Unit returns one unit.
func (s *Store) Unit(ctx context.Context, id int64) (Unit, error) {
	u, err := scanUnit(s.r.QueryRowContext(ctx, `SELECT `+unitCols+` FROM units WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, fmt.Errorf("store: unit %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("store: unit %d: %w", id, err)
	}
	return u, nil
}

// UnitByName returns the unit of that name (case-insensitive).
func (s *Store) UnitByName(ctx context.Context, name string) (Unit, error) {
	u, err := scanUnit(s.r.QueryRowContext(ctx, `SELECT `+unitCols+` FROM units WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, fmt.Errorf("store: unit %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("store: unit %q: %w", name, err)
	}
	return u, nil
}

// Units lists units by name; q filters by a substring of the name.
func (s *Store) Units(ctx context.Context, q string) ([]Unit, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+unitCols+` FROM units WHERE instr(lower(name), lower(?)) > 0 ORDER BY name`, q)
	if err != nil {
		return nil, fmt.Errorf("store: list units: %w", err)
	}
	defer rows.Close()
	out := []Unit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list units: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list units: %w", err)
	}
	return out, nil
}

// UpdateUnit renames a unit or changes its kind or lead flag.
func (s *Store) UpdateUnit(ctx context.Context, who Actor, u Unit) (Unit, error) {
	_, err := s.change(ctx, who, "unit.update", "unit", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE units SET name = ?, kind = ?, lead = ?, storage_quota_mib = ? WHERE id = ?`,
			u.Name, u.Kind, u.Lead, nullInt(u.StorageQuotaMiB), u.ID)
		if isUnique(err) {
			return 0, nil, &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a unit named %q exists", u.Name), Params: map[string]any{"name": u.Name}}
		}
		if err := affected(res, err); err != nil {
			return 0, nil, err
		}
		return u.ID, map[string]any{"name": u.Name, "kind": u.Kind, "lead": u.Lead, "storage_quota_mib": u.StorageQuotaMiB}, nil
	})
	if err != nil {
		return Unit{}, fmt.Errorf("store: update unit %d: %w", u.ID, err)
	}
	return s.Unit(ctx, u.ID)
}

// DeleteUnit removes a unit that nothing refers to any more.
func (s *Store) DeleteUnit(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "unit.delete", "unit", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM units WHERE id = ?`, id)
		if isForeignKey(err) {
			return 0, nil, &ConflictError{Code: "unit_in_use", Msg: "the unit still has users, media, playlists or campaigns; move or delete them first"}
		}
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete unit %d: %w", id, err)
	}
	return nil
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
