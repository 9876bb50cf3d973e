package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// PowerBrightness is when a group's or a display's screens are on and how
// bright: power windows (outside them the screen is off; none: always on),
// brightness windows (the first that holds gives the level) and day/night
// levels by the sun where no window holds (needs the display's site). A
// display's own setting, when it has one, replaces its group's as a whole.
type PowerBrightness struct {
	Power      []protocol.Window           `json:"power"`
	Brightness []protocol.BrightnessWindow `json:"brightness"`
	DayNight   *protocol.DayNight          `json:"day_night"`
	UpdatedAt  time.Time                   `json:"updated_at"`
}

// pbTarget names the column a rule belongs to: "group_id" or "display_id"
// (never from a request).
func pbTarget(group bool) (col, action, object string) {
	if group {
		return "group_id", "group.update", "group"
	}
	return "display_id", "display.update", "display"
}

// GroupPowerBrightness returns the group's rules; nil when it has none.
func (s *Store) GroupPowerBrightness(ctx context.Context, groupID int64) (*PowerBrightness, error) {
	return s.powerBrightness(ctx, true, groupID)
}

// DisplayPowerBrightness returns the display's own rules; nil when it has
// none (it follows its group's).
func (s *Store) DisplayPowerBrightness(ctx context.Context, displayID int64) (*PowerBrightness, error) {
	return s.powerBrightness(ctx, false, displayID)
}

func (s *Store) powerBrightness(ctx context.Context, group bool, id int64) (*PowerBrightness, error) {
	col, _, _ := pbTarget(group)
	var power, bright, dn, at string
	err := s.r.QueryRowContext(ctx, `SELECT power, brightness, day_night, updated_at FROM power_brightness WHERE `+col+` = ?`, id).
		Scan(&power, &bright, &dn, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: power and brightness of %s %d: %w", col, id, err)
	}
	pb := &PowerBrightness{UpdatedAt: parseTime(at)}
	for _, f := range []struct {
		s   string
		dst any
	}{{power, &pb.Power}, {bright, &pb.Brightness}, {dn, &pb.DayNight}} {
		if err := json.Unmarshal([]byte(f.s), f.dst); err != nil {
			return nil, fmt.Errorf("store: power and brightness of %s %d: %w", col, id, err)
		}
	}
	if pb.Power == nil {
		pb.Power = []protocol.Window{}
	}
	if pb.Brightness == nil {
		pb.Brightness = []protocol.BrightnessWindow{}
	}
	return pb, nil
}

// SetGroupPowerBrightness sets (nil: removes) a group's rules.
func (s *Store) SetGroupPowerBrightness(ctx context.Context, who Actor, groupID int64, pb *PowerBrightness) error {
	return s.setPowerBrightness(ctx, who, true, groupID, pb)
}

// SetDisplayPowerBrightness sets a display's own rules; nil removes them so
// that it follows its group's again.
func (s *Store) SetDisplayPowerBrightness(ctx context.Context, who Actor, displayID int64, pb *PowerBrightness) error {
	return s.setPowerBrightness(ctx, who, false, displayID, pb)
}

func (s *Store) setPowerBrightness(ctx context.Context, who Actor, group bool, id int64, pb *PowerBrightness) error {
	col, action, object := pbTarget(group)
	_, err := s.change(ctx, who, action, object, func(tx *sql.Tx) (int64, map[string]any, error) {
		table := "displays"
		if group {
			table = "display_groups"
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return 0, nil, ErrNotFound
		} else if err != nil {
			return 0, nil, err
		}
		if pb == nil {
			_, err := tx.ExecContext(ctx, `DELETE FROM power_brightness WHERE `+col+` = ?`, id)
			return id, map[string]any{"power_brightness": "inherit"}, err
		}
		power, err := json.Marshal(orEmpty(pb.Power))
		if err != nil {
			return 0, nil, err
		}
		bright, err := json.Marshal(orEmpty(pb.Brightness))
		if err != nil {
			return 0, nil, err
		}
		dn, err := json.Marshal(pb.DayNight)
		if err != nil {
			return 0, nil, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO power_brightness (`+col+`, power, brightness, day_night, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (`+col+`) DO UPDATE SET power = excluded.power, brightness = excluded.brightness, day_night = excluded.day_night,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			id, string(power), string(bright), string(dn), nullInt(&who.UserID), s.stamp())
		return id, map[string]any{"power": powerText(pb.Power), "brightness": brightnessText(pb.Brightness), "day_night": dayNightText(pb.DayNight)}, err
	})
	if err != nil {
		return fmt.Errorf("store: set power and brightness of %s %d: %w", col, id, err)
	}
	return nil
}

// The audit's words for the rules: plain text the audit page shows as it
// is ("05:30–23:00 (1,2,3,4,5)"; weekdays ISO, none listed: every day).
func windowText(w protocol.Window) string {
	t := w.From + "–" + w.Until
	if len(w.Weekdays) > 0 {
		ds := make([]string, len(w.Weekdays))
		for i, d := range w.Weekdays {
			ds[i] = strconv.Itoa(d)
		}
		t += " (" + strings.Join(ds, ",") + ")"
	}
	return t
}

func powerText(ws []protocol.Window) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = windowText(w)
	}
	return strings.Join(out, "; ")
}

func brightnessText(ws []protocol.BrightnessWindow) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = windowText(w.Window) + " " + strconv.Itoa(w.Percent) + " %"
	}
	return strings.Join(out, "; ")
}

func dayNightText(dn *protocol.DayNight) string {
	if dn == nil {
		return ""
	}
	return strconv.Itoa(dn.Day) + " % / " + strconv.Itoa(dn.Night) + " %"
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// DisplaysWithOwnPowerBrightness lists the displays that have rules of
// their own (the others follow their group's), so that compiling
// thousands of plans asks only for those.
func (s *Store) DisplaysWithOwnPowerBrightness(ctx context.Context) (map[int64]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT display_id FROM power_brightness WHERE display_id IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: displays with power and brightness rules: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: displays with power and brightness rules: %w", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: displays with power and brightness rules: %w", err)
	}
	return out, nil
}
