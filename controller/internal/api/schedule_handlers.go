package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

type scheduleIn struct {
	PlaylistID int64  `json:"playlist_id"`
	GroupID    *int64 `json:"group_id"`   // a group or
	DisplayID  *int64 `json:"display_id"` // a display, not both
	StartsOn   string `json:"starts_on"`
	EndsOn     string `json:"ends_on"`
	Weekdays   int    `json:"weekdays"`   // bit 0 = Monday … bit 6 = Sunday; 127 = every day
	StartTime  string `json:"start_time"` // HH:MM
	EndTime    string `json:"end_time"`   // HH:MM, after start_time; 24:00 = midnight
	Priority   int    `json:"priority"`
	// Dayparts are several daily windows (up to 8); given, they replace
	// start_time/end_time. until ≤ from crosses midnight: 22:00–02:00.
	Dayparts []protocol.Daypart `json:"dayparts"`
	Weight   int                `json:"weight"` // 1–100, default 1: share among equal priorities
}

type schedulePatch struct {
	PlaylistID *int64  `json:"playlist_id"`
	GroupID    *int64  `json:"group_id"`
	DisplayID  *int64  `json:"display_id"`
	StartsOn   *string `json:"starts_on"`
	EndsOn     *string `json:"ends_on"`
	Weekdays   *int    `json:"weekdays"`
	StartTime  *string `json:"start_time"`
	EndTime    *string `json:"end_time"`
	Priority   *int    `json:"priority"`
	// Dayparts replace the windows; start_time/end_time without dayparts
	// make the entry a one-window entry again.
	Dayparts *[]protocol.Daypart `json:"dayparts"`
	Weight   *int                `json:"weight"`
}

func checkSchedule(x store.Schedule) error {
	if x.PlaylistID <= 0 {
		return invalid("required", "playlist_id is required").at("playlist_id")
	}
	if (x.GroupID == nil) == (x.DisplayID == nil) {
		return invalid("one_target", "give either group_id or display_id").at("group_id")
	}
	if err := checkPeriod(x.StartsOn, x.EndsOn); err != nil {
		return err
	}
	if x.Weekdays < 1 || x.Weekdays > 127 {
		return invalid("weekdays_invalid", "weekdays must be from 1 to 127 (bit 0 = Monday … bit 6 = Sunday)").at("weekdays")
	}
	if x.Dayparts != nil {
		if err := checkDayparts(x.Dayparts); err != nil {
			return err
		}
	} else {
		from, err := dayClock("start_time", x.StartTime, false)
		if err != nil {
			return err
		}
		to, err := dayClock("end_time", x.EndTime, true)
		if err != nil {
			return err
		}
		if to <= from {
			return invalid("end_time_before_start", "end_time %s must be after start_time %s", x.EndTime, x.StartTime).at("end_time").
				with("start_time", x.StartTime).with("end_time", x.EndTime)
		}
	}
	if x.Priority < 0 || x.Priority > 100 {
		return invalid("priority_range", "priority must be from 0 to 100").at("priority").with("min", 0).with("max", 100)
	}
	if x.Weight < 1 || x.Weight > protocol.MaxWeight {
		return invalid("weight_range", "weight must be from 1 to %d", protocol.MaxWeight).at("weight").with("min", 1).with("max", protocol.MaxWeight)
	}
	return nil
}

// dayClock reads a window's HH:MM bound into minutes of the day; until may
// be 24:00 (midnight).
func dayClock(field, v string, until bool) (int, error) {
	if v == "24:00" && until {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", v)
	if err != nil || len(v) != 5 {
		return 0, invalid("invalid_time", "%s time %q is not HH:MM", field, v).at(field).with("value", v)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// windowMinutes reads a daily window [from, until) as minutes; until ≤ from
// crosses midnight, so the window ends the next day (until + 24 h).
func windowMinutes(field, from, until string) (int, int, error) {
	a, err := dayClock(field, from, false)
	if err != nil {
		return 0, 0, err
	}
	b, err := dayClock(field, until, true)
	if err != nil {
		return 0, 0, err
	}
	if a == b {
		return 0, 0, invalid("window_empty", "%s window %s–%s is empty", field, from, until).at(field).with("from", from).with("until", until)
	}
	if b <= a {
		b += 24 * 60
	}
	return a, b, nil
}

// checkDayparts checks an entry's daily windows: at least one, at most
// protocol.MaxDayparts, each HH:MM–HH:MM and not empty, none overlapping
// another (on the 24-hour clock, a window across midnight included).
func checkDayparts(ds []protocol.Daypart) error {
	if len(ds) == 0 {
		return invalid("required", "dayparts needs at least one window").at("dayparts")
	}
	if len(ds) > protocol.MaxDayparts {
		return invalid("too_many_dayparts", "at most %d dayparts", protocol.MaxDayparts).at("dayparts").with("max", protocol.MaxDayparts)
	}
	var used [24 * 60]int // minute of the day → 1 + index of the window holding it
	for i, d := range ds {
		a, b, err := windowMinutes("dayparts", d.From, d.Until)
		if err != nil {
			return err
		}
		for m := a; m < b; m++ {
			if j := used[m%(24*60)]; j != 0 {
				o := ds[j-1]
				return invalid("dayparts_overlap", "daypart %s–%s overlaps %s–%s", d.From, d.Until, o.From, o.Until).at("dayparts").
					with("a", o.From+"–"+o.Until).with("b", d.From+"–"+d.Until)
			}
			used[m%(24*60)] = i + 1
		}
	}
	return nil
}

func (a *API) listSchedules(c echo.Context, _ *principal) error {
	q := &query{c: c}
	f := store.ScheduleFilter{PlaylistID: q.id("playlist_id"), GroupID: q.id("group_id"), DisplayID: q.id("display_id")}
	if q.err != nil {
		return q.err
	}
	xs, err := a.o.Store.Schedules(ctxOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.Schedule]{Items: xs})
}

func (a *API) createSchedule(c echo.Context, p *principal) error {
	var in scheduleIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	x := store.Schedule{PlaylistID: in.PlaylistID, GroupID: optID(in.GroupID), DisplayID: optID(in.DisplayID), StartsOn: in.StartsOn, EndsOn: in.EndsOn,
		Weekdays: in.Weekdays, StartTime: in.StartTime, EndTime: in.EndTime, Priority: in.Priority, Dayparts: in.Dayparts, Weight: in.Weight}
	if x.Weight == 0 {
		x.Weight = 1
	}
	if len(x.Dayparts) == 0 {
		x.Dayparts = nil // the one-window form
	}
	if err := checkSchedule(x); err != nil {
		return err
	}
	x, err := a.o.Store.CreateSchedule(ctxOf(c), p.actor(), x)
	if err != nil {
		return storeErr(err, "playlist", in.PlaylistID)
	}
	return c.JSON(http.StatusCreated, x)
}

func (a *API) getSchedule(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	x, err := a.o.Store.Schedule(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "schedule", id)
	}
	return c.JSON(http.StatusOK, x)
}

func (a *API) updateSchedule(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	x, err := a.o.Store.Schedule(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "schedule", id)
	}
	var in schedulePatch
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if in.PlaylistID != nil {
		x.PlaylistID = *in.PlaylistID
	}
	if in.GroupID != nil {
		x.GroupID, x.DisplayID = optID(in.GroupID), nil
	}
	if in.DisplayID != nil {
		x.DisplayID = optID(in.DisplayID)
		if in.GroupID == nil {
			x.GroupID = nil
		}
	}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&x.StartsOn, in.StartsOn}, {&x.EndsOn, in.EndsOn}, {&x.StartTime, in.StartTime}, {&x.EndTime, in.EndTime}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if in.Weekdays != nil {
		x.Weekdays = *in.Weekdays
	}
	switch {
	case in.Dayparts != nil:
		x.Dayparts = *in.Dayparts
		if x.Dayparts == nil {
			x.Dayparts = []protocol.Daypart{} // null: refused as "at least one"
		}
	case in.StartTime != nil || in.EndTime != nil:
		x.Dayparts = nil // the one-window form again
	}
	if in.Weight != nil {
		x.Weight = *in.Weight
	}
	if in.Priority != nil {
		x.Priority = *in.Priority
	}
	if err := checkSchedule(x); err != nil {
		return err
	}
	x, err = a.o.Store.UpdateSchedule(ctxOf(c), p.actor(), x)
	if err != nil {
		return storeErr(err, "schedule", id)
	}
	return c.JSON(http.StatusOK, x)
}

func (a *API) deleteSchedule(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeleteSchedule(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "schedule", id)
	}
	return c.NoContent(http.StatusNoContent)
}
