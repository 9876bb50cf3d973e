package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Roles, from most to least powerful in their own field.
const (
	RoleAdmin      = "admin"
	RoleApprover   = "approver"
	RoleEditor     = "editor"
	RoleTechnician = "technician"
	RoleViewer     = "viewer"
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RoleApprover, RoleEditor, RoleTechnician, RoleViewer}

// ValidRole reports whether r is a role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// User is a person who logs in. PasswordHash never leaves the controller.
type User struct {
	ID           int64     `json:"id"`
	UnitID       int64     `json:"unit_id"`
	UnitName     string    `json:"unit_name"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	PasswordHash string    `json:"-"`
}

const userCols = `u.id, u.unit_id, n.name, u.name, u.role, u.disabled, u.created_at, u.password_hash`
const userFrom = ` FROM users u JOIN units n ON n.id = u.unit_id`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var at string
	err := sc.Scan(&u.ID, &u.UnitID, &u.UnitName, &u.Name, &u.Role, &u.Disabled, &at, &u.PasswordHash)
	u.CreatedAt = parseTime(at)
	return u, err
}

// CreateUser adds a user whose password is already hashed.
func (s *Store) CreateUser(ctx context.Context, who Actor, u User) (User, error) {
	id, err := s.change(ctx, who, "user.create", "user", func(tx *sql.Tx) (int64, map[string]any, error) {
		id, err := insertID(ctx, tx, `INSERT INTO users (unit_id, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.UnitID, u.Name, u.Role, u.PasswordHash, s.stamp())
		if isUnique(err) {
			return 0, nil, &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a user named %q exists", u.Name), Params: map[string]any{"name": u.Name}}
		}
		if isForeignKey(err) {
			return 0, nil, fmt.Errorf("unit %d: %w", u.UnitID, ErrNotFound)
		}
		if err != nil {
			return 0, nil, err
		}
		return id, map[string]any{"name": u.Name, "role": u.Role, "unit_id": u.UnitID}, err
	})
	if err != nil {
		return User{}, fmt.Errorf("store: create user: %w", err)
	}
	return s.User(ctx, id)
}

// User returns one user.
func (s *Store) User(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("store: user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// UserByName returns the user of that name (case-insensitive), for login.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("store: user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: user %q: %w", name, err)
	}
	return u, nil
}

// UserFilter selects users; zero fields do not filter.
type UserFilter struct {
	UnitID int64
	Role   string
	Q      string
}

// Users lists users by name.
func (s *Store) Users(ctx context.Context, f UserFilter) ([]User, error) {
	where := []string{"instr(lower(u.name), lower(?)) > 0"}
	args := []any{f.Q}
	if f.UnitID != 0 {
		where, args = append(where, "u.unit_id = ?"), append(args, f.UnitID)
	}
	if f.Role != "" {
		where, args = append(where, "u.role = ?"), append(args, f.Role)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+userFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY u.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return out, nil
}

// CountUsers counts every user; the demo seed runs only on an empty
// database.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// UpdateUser changes a user's unit, role, disabled flag and, when
// PasswordHash is not empty, password. A new password or a disabled account
// ends the user's sessions.
func (s *Store) UpdateUser(ctx context.Context, who Actor, u User) (User, error) {
	_, err := s.change(ctx, who, "user.update", "user", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE users SET unit_id = ?, role = ?, disabled = ?,
			password_hash = CASE WHEN ? = '' THEN password_hash ELSE ? END WHERE id = ?`,
			u.UnitID, u.Role, u.Disabled, u.PasswordHash, u.PasswordHash, u.ID)
		if isForeignKey(err) {
			return 0, nil, fmt.Errorf("unit %d: %w", u.UnitID, ErrNotFound)
		}
		if err := affected(res, err); err != nil {
			return 0, nil, err
		}
		detail := map[string]any{"unit_id": u.UnitID, "role": u.Role, "disabled": u.Disabled, "password_changed": u.PasswordHash != ""}
		// A new password or a disabled account ends every session and
		// revokes every API token: whoever had the old password may have
		// made one (issue 12.8). Enabling the account again brings none
		// back.
		if u.PasswordHash != "" || u.Disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
				return 0, nil, err
			}
			res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, s.stamp(), u.ID)
			if err != nil {
				return 0, nil, err
			}
			if n, err := res.RowsAffected(); err == nil && n > 0 {
				detail["tokens_revoked"] = n
			}
		}
		return u.ID, detail, nil
	})
	if err != nil {
		return User{}, fmt.Errorf("store: update user %d: %w", u.ID, err)
	}
	return s.User(ctx, u.ID)
}

// DeleteUser removes a user, their sessions and tokens. What they created
// stays, with no creator.
func (s *Store) DeleteUser(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "user.delete", "user", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete user %d: %w", id, err)
	}
	return nil
}
