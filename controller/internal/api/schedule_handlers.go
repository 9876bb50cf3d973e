package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
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
}

func clock(field, v string) (int, error) {
	if v == "24:00" && field == "end_time" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", v)
	if err != nil || len(v) != 5 {
		return 0, invalid("invalid_time", "%s %q is not a time HH:MM", field, v).at(field).with("value", v)
	}
	return t.Hour()*60 + t.Minute(), nil
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
	from, err := clock("start_time", x.StartTime)
	if err != nil {
		return err
	}
	to, err := clock("end_time", x.EndTime)
	if err != nil {
		return err
	}
	if to <= from {
		return invalid("end_time_before_start", "end_time %s must be after start_time %s", x.EndTime, x.StartTime).at("end_time").
			with("start_time", x.StartTime).with("end_time", x.EndTime)
	}
	if x.Priority < 0 || x.Priority > 100 {
		return invalid("priority_range", "priority must be from 0 to 100").at("priority").with("min", 0).with("max", 100)
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
		Weekdays: in.Weekdays, StartTime: in.StartTime, EndTime: in.EndTime, Priority: in.Priority}
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
