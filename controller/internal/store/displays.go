package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Enrolment states of a display.
const (
	EnrolmentPending  = "pending"
	EnrolmentEnrolled = "enrolled"
	EnrolmentRevoked  = "revoked"
)

// Fits says how a slide is fitted to a panel.
var Fits = []string{"contain", "cover", "stretch"}

// Display is one LED screen at one place. Name is also the name its agent
// gives itself, which is how live status is matched for now.
type Display struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Location  string    `json:"location"`
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	Fit       string    `json:"fit"`
	Profile   string    `json:"profile"`
	GroupID   *int64    `json:"group_id"`
	Enrolment string    `json:"enrolment"`
	CreatedAt time.Time `json:"created_at"`
	// Latitude and Longitude place the display (WGS 84 degrees, both or
	// neither): for sunrise and sunset, and for warnings aimed at an area.
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
}

const displayCols = `id, name, location, width, height, fit, profile, group_id, enrolment, created_at, latitude, longitude`

func scanDisplay(sc interface{ Scan(...any) error }) (Display, error) {
	var d Display
	var gid sql.NullInt64
	var lat, lon sql.NullFloat64
	var at string
	err := sc.Scan(&d.ID, &d.Name, &d.Location, &d.Width, &d.Height, &d.Fit, &d.Profile, &gid, &d.Enrolment, &at, &lat, &lon)
	d.GroupID, d.CreatedAt = ptrInt(gid), parseTime(at)
	if lat.Valid && lon.Valid {
		d.Latitude, d.Longitude = &lat.Float64, &lon.Float64
	}
	return d, err
}

func displayErr(err error, d Display) error {
	switch {
	case isUnique(err):
		return &ConflictError{Code: "name_taken", Msg: fmt.Sprintf("a display named %q exists", d.Name), Params: map[string]any{"name": d.Name}}
	case isForeignKey(err):
		return &ConflictError{Code: "unknown_group", Msg: fmt.Sprintf("group %d does not exist", *d.GroupID), Params: map[string]any{"group": *d.GroupID}}
	}
	return err
}

// CreateDisplay adds a display, not yet enrolled.
func (s *Store) CreateDisplay(ctx context.Context, who Actor, d Display) (Display, error) {
	id, err := s.change(ctx, who, "display.create", "display", func(tx *sql.Tx) (int64, map[string]any, error) {
		id, err := insertID(ctx, tx, `INSERT INTO displays (name, location, width, height, fit, profile, group_id, created_at, latitude, longitude) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.Name, d.Location, d.Width, d.Height, d.Fit, d.Profile, nullInt(d.GroupID), s.stamp(), d.Latitude, d.Longitude)
		if err != nil {
			return 0, nil, displayErr(err, d)
		}
		return id, map[string]any{"name": d.Name, "width": d.Width, "height": d.Height, "profile": d.Profile}, err
	})
	if err != nil {
		return Display{}, fmt.Errorf("store: create display: %w", err)
	}
	return s.Display(ctx, id)
}

// Display returns one display.
func (s *Store) Display(ctx context.Context, id int64) (Display, error) {
	d, err := scanDisplay(s.r.QueryRowContext(ctx, `SELECT `+displayCols+` FROM displays WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Display{}, fmt.Errorf("store: display %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Display{}, fmt.Errorf("store: display %d: %w", id, err)
	}
	return d, nil
}

// DisplayFilter selects displays; zero fields do not filter.
type DisplayFilter struct {
	GroupID int64
	Q       string // substring of name or location
}

// Displays lists displays by name.
func (s *Store) Displays(ctx context.Context, f DisplayFilter) ([]Display, error) {
	where := []string{"(instr(lower(name), lower(?)) > 0 OR instr(lower(location), lower(?)) > 0)"}
	args := []any{f.Q, f.Q}
	if f.GroupID != 0 {
		where, args = append(where, "group_id = ?"), append(args, f.GroupID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+displayCols+` FROM displays WHERE `+strings.Join(where, " AND ")+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list displays: %w", err)
	}
	defer rows.Close()
	out := []Display{}
	for rows.Next() {
		d, err := scanDisplay(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list displays: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list displays: %w", err)
	}
	return out, nil
}

// UpdateDisplay changes a display's name, place, geometry, profile and
// group. Enrolment changes only through codes and credentials.
func (s *Store) UpdateDisplay(ctx context.Context, who Actor, d Display) (Display, error) {
	_, err := s.change(ctx, who, "display.update", "display", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `UPDATE displays SET name = ?, location = ?, width = ?, height = ?, fit = ?, profile = ?, group_id = ?, latitude = ?, longitude = ? WHERE id = ?`,
			d.Name, d.Location, d.Width, d.Height, d.Fit, d.Profile, nullInt(d.GroupID), d.Latitude, d.Longitude, d.ID)
		if err != nil {
			return 0, nil, displayErr(err, d)
		}
		return d.ID, map[string]any{"name": d.Name, "width": d.Width, "height": d.Height, "fit": d.Fit, "profile": d.Profile, "group_id": d.GroupID,
			"latitude": d.Latitude, "longitude": d.Longitude}, affected(res, nil)
	})
	if err != nil {
		return Display{}, fmt.Errorf("store: update display %d: %w", d.ID, err)
	}
	return s.Display(ctx, d.ID)
}

// DeleteDisplay removes a display with its codes, credentials and
// schedules.
func (s *Store) DeleteDisplay(ctx context.Context, who Actor, id int64) error {
	_, err := s.change(ctx, who, "display.delete", "display", func(tx *sql.Tx) (int64, map[string]any, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM displays WHERE id = ?`, id)
		return id, nil, affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store: delete display %d: %w", id, err)
	}
	s.forgetDisplay(id)
	return nil
}
