package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// powerBrightnessIn is when a group's or display's screens are on and how
// bright they are.
type powerBrightnessIn struct {
	// Power windows: the screen is on inside them, off outside; none:
	// always on. until ≤ from crosses midnight (05:30–23:00 is on by day,
	// 23:00–05:30 would be on by night).
	Power []protocol.Window `json:"power"`
	// Brightness windows: a fixed level; the first that holds wins.
	Brightness []protocol.BrightnessWindow `json:"brightness"`
	// DayNight: levels from sunrise to sunset and from sunset to sunrise
	// where no brightness window holds; null for none. Needs coordinates.
	DayNight *protocol.DayNight `json:"day_night"`
}

// powerBrightnessOut is the rule in force and where it comes from.
type powerBrightnessOut struct {
	// Own: the group or display has its own setting. A display without
	// one follows its group's (InheritedFromGroup), or has none at all.
	Own                bool                        `json:"own"`
	InheritedFromGroup *int64                      `json:"inherited_from_group"`
	Power              []protocol.Window           `json:"power"`
	Brightness         []protocol.BrightnessWindow `json:"brightness"`
	DayNight           *protocol.DayNight          `json:"day_night"`
	// DisplaysWithoutSite lists the displays (of a group, or the display
	// itself) that have no coordinates: day/night levels cannot apply there.
	DisplaysWithoutSite []siteless `json:"displays_without_site"`
}

type siteless struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// maxWindows bounds the power and the brightness windows of one rule.
const maxWindows = 28

func checkWindow(field string, w protocol.Window) error {
	seen := map[int]bool{}
	for _, d := range w.Weekdays {
		if d < 1 || d > 7 || seen[d] {
			return invalid("weekday_invalid", "%s: weekday %d is not 1 (Monday) to 7 (Sunday), once", field, d).at(field).with("value", d)
		}
		seen[d] = true
	}
	_, _, err := windowMinutes(field, w.From, w.Until)
	return err
}

func checkPercent(field string, v int) error {
	if v < 0 || v > 100 {
		return invalid("percent_range", "%s: %d %% is not 0–100", field, v).at(field).with("min", 0).with("max", 100).with("value", v)
	}
	return nil
}

func (in *powerBrightnessIn) check() error {
	if len(in.Power) > maxWindows {
		return invalid("too_many_windows", "at most %d power windows", maxWindows).at("power").with("max", maxWindows)
	}
	if len(in.Brightness) > maxWindows {
		return invalid("too_many_windows", "at most %d brightness windows", maxWindows).at("brightness").with("max", maxWindows)
	}
	for _, w := range in.Power {
		if err := checkWindow("power", w); err != nil {
			return err
		}
	}
	for _, b := range in.Brightness {
		if err := checkWindow("brightness", b.Window); err != nil {
			return err
		}
		if err := checkPercent("brightness", b.Percent); err != nil {
			return err
		}
	}
	if dn := in.DayNight; dn != nil {
		if err := checkPercent("day_night", dn.Day); err != nil {
			return err
		}
		if err := checkPercent("day_night", dn.Night); err != nil {
			return err
		}
	}
	return nil
}

func (in *powerBrightnessIn) rule() *store.PowerBrightness {
	pb := &store.PowerBrightness{Power: in.Power, Brightness: in.Brightness, DayNight: in.DayNight}
	for i := range pb.Power {
		pb.Power[i].Weekdays = sortedDays(pb.Power[i].Weekdays)
	}
	for i := range pb.Brightness {
		pb.Brightness[i].Weekdays = sortedDays(pb.Brightness[i].Weekdays)
	}
	return pb
}

// sortedDays returns the weekdays in order; all seven is the same as none.
func sortedDays(ds []int) []int {
	if len(ds) == 7 {
		return nil
	}
	out := make([]int, 0, len(ds))
	for d := 1; d <= 7; d++ {
		for _, x := range ds {
			if x == d {
				out = append(out, d)
			}
		}
	}
	return out
}

func pbOut(pb *store.PowerBrightness, own bool) powerBrightnessOut {
	out := powerBrightnessOut{Own: own, Power: []protocol.Window{}, Brightness: []protocol.BrightnessWindow{}, DisplaysWithoutSite: []siteless{}}
	if pb != nil {
		out.Power, out.Brightness, out.DayNight = pb.Power, pb.Brightness, pb.DayNight
	}
	return out
}

func withoutSite(ds []store.Display) []siteless {
	out := []siteless{}
	for _, d := range ds {
		if d.Latitude == nil || d.Longitude == nil {
			out = append(out, siteless{ID: d.ID, Name: d.Name})
		}
	}
	return out
}

func (a *API) groupPowerBrightness(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	if _, err := a.o.Store.Group(ctx, id); err != nil {
		return storeErr(err, "group", id)
	}
	pb, err := a.o.Store.GroupPowerBrightness(ctx, id)
	if err != nil {
		return err
	}
	ds, err := a.o.Store.Displays(ctx, store.DisplayFilter{GroupID: id})
	if err != nil {
		return err
	}
	out := pbOut(pb, pb != nil)
	out.DisplaysWithoutSite = withoutSite(ds)
	return c.JSON(http.StatusOK, out)
}

func (a *API) displayPowerBrightness(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	d, err := a.o.Store.Display(ctx, id)
	if err != nil {
		return storeErr(err, "display", id)
	}
	pb, err := a.o.Store.DisplayPowerBrightness(ctx, id)
	if err != nil {
		return err
	}
	out := pbOut(pb, pb != nil)
	if pb == nil && d.GroupID != nil {
		gpb, err := a.o.Store.GroupPowerBrightness(ctx, *d.GroupID)
		if err != nil {
			return err
		}
		if gpb != nil {
			out = pbOut(gpb, false)
			out.InheritedFromGroup = d.GroupID
		}
	}
	out.DisplaysWithoutSite = withoutSite([]store.Display{d})
	return c.JSON(http.StatusOK, out)
}

func (a *API) setGroupPowerBrightness(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	if _, err := a.o.Store.Group(ctx, id); err != nil {
		return storeErr(err, "group", id)
	}
	var in powerBrightnessIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if err := in.check(); err != nil {
		return err
	}
	if in.DayNight != nil {
		ds, err := a.o.Store.Displays(ctx, store.DisplayFilter{GroupID: id})
		if err != nil {
			return err
		}
		if missing := withoutSite(ds); len(missing) > 0 {
			names := make([]string, len(missing))
			for i, m := range missing {
				names[i] = m.Name
			}
			return errf(http.StatusConflict, "displays_need_site", "day/night brightness needs each display's coordinates; these have none: %s",
				strings.Join(names, ", ")).at("day_night").with("displays", strings.Join(names, ", ")).with("count", len(names))
		}
	}
	if err := a.o.Store.SetGroupPowerBrightness(ctx, p.actor(), id, in.rule()); err != nil {
		return storeErr(err, "group", id)
	}
	return a.groupPowerBrightness(c, p)
}

func (a *API) setDisplayPowerBrightness(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	d, err := a.o.Store.Display(ctx, id)
	if err != nil {
		return storeErr(err, "display", id)
	}
	var in powerBrightnessIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if err := in.check(); err != nil {
		return err
	}
	if in.DayNight != nil && (d.Latitude == nil || d.Longitude == nil) {
		return errf(http.StatusConflict, "display_needs_site", "day/night brightness needs the display's coordinates (latitude and longitude); %s has none", d.Name).
			at("day_night").with("display", d.Name)
	}
	if err := a.o.Store.SetDisplayPowerBrightness(ctx, p.actor(), id, in.rule()); err != nil {
		return storeErr(err, "display", id)
	}
	return a.displayPowerBrightness(c, p)
}

// clearDisplayPowerBrightness drops a display's own setting: it follows its
// group's again.
func (a *API) clearDisplayPowerBrightness(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.SetDisplayPowerBrightness(ctxOf(c), p.actor(), id, nil); err != nil {
		return storeErr(err, "display", id)
	}
	return c.NoContent(http.StatusNoContent)
}

// clearGroupPowerBrightness drops a group's setting: always on, the panels'
// own brightness.
func (a *API) clearGroupPowerBrightness(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.SetGroupPowerBrightness(ctxOf(c), p.actor(), id, nil); err != nil {
		return storeErr(err, "group", id)
	}
	return c.NoContent(http.StatusNoContent)
}
