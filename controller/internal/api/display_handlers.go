package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

type displayIn struct {
	Name     string `json:"name"` // the agent's --name
	Location string `json:"location"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Fit      string `json:"fit"` // contain, cover or stretch; default contain
	Profile  string `json:"profile"`
	GroupID  *int64 `json:"group_id"`
	// Latitude and longitude in WGS 84 degrees, both or neither.
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
}

type displayPatch struct {
	Name     *string `json:"name"`
	Location *string `json:"location"`
	Width    *int    `json:"width"`
	Height   *int    `json:"height"`
	Fit      *string `json:"fit"`
	Profile  *string `json:"profile"`
	GroupID  *int64  `json:"group_id"` // 0 takes it out of its group
	// Latitude and longitude: numbers set them, null clears them.
	Latitude  json.RawMessage `json:"latitude"`
	Longitude json.RawMessage `json:"longitude"`
}

// liveAgent is what the hub knows of a display's agent while it is online.
type liveAgent struct {
	AgentVersion  string           `json:"agent_version"`
	Profile       string           `json:"profile"`
	Panel         protocol.Panel   `json:"panel"`
	RemoteAddr    string           `json:"remote_addr"`
	ConnectedAt   time.Time        `json:"connected_at"`
	LastHeartbeat time.Time        `json:"last_heartbeat"`
	PlanRevision  int64            `json:"plan_revision"` // the plan the agent runs
	Health        *protocol.Health `json:"health"`        // its latest report
}

type displayOut struct {
	store.Display
	Online bool `json:"online"`
	// State is one of the State… constants: never_connected, online,
	// offline, blanked, test_pattern, identify, urgent, panel_error,
	// power_off.
	State string `json:"state"`
	// LastSeen is when its agent was last heard of, kept when it goes
	// offline ("offline since"); nil: never connected.
	LastSeen     *time.Time  `json:"last_seen"`
	ScreenshotAt *time.Time  `json:"screenshot_at"` // its latest screenshot; nil: none
	NowPlaying   *nowPlaying `json:"now_playing"`   // nil: nothing, or not known
	Alerts       []string    `json:"alerts"`        // kinds of its open alerts
	Agent        *liveAgent  `json:"agent"`
	// Refused counts the agent's reports the controller refused (play
	// records its plans could not have played, screenshots that are not a
	// whole PNG of its panel's size), with the latest reason; nil: none.
	// Only on a single display.
	Refused *store.Refusals `json:"refused,omitempty"`
}

// displayPage is a page of displays: Total counts those that match the
// filters, Counts those of each state among the displays the group and
// name filters leave (for the state filter's labels).
type displayPage struct {
	Items  []displayOut   `json:"items"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
}

type enrolmentOut struct {
	DisplayID int64     `json:"display_id"`
	Code      string    `json:"code"` // shown this once
	ExpiresAt time.Time `json:"expires_at"`
}

// displayName is also an agent's name: keep it to what a hostname allows.
var displayName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func checkDisplay(d store.Display) error {
	if !displayName.MatchString(d.Name) {
		return invalid("invalid_display_name", "name %q must be lower-case letters, digits and dashes (it is the agent's --name)", d.Name).at("name").with("name", d.Name)
	}
	if d.Width < 1 || d.Width > protocol.MaxPanelSide || d.Height < 1 || d.Height > protocol.MaxPanelSide {
		field := "width"
		if d.Width >= 1 && d.Width <= protocol.MaxPanelSide {
			field = "height"
		}
		return invalid("size_range", "width and height must be from 1 to %d pixels (%d×%d given); an agent cannot drive a larger panel", protocol.MaxPanelSide, d.Width, d.Height).
			at(field).with("max", protocol.MaxPanelSide)
	}
	if !slices.Contains(store.Fits, d.Fit) {
		return invalid("invalid_fit", "fit %q must be one of %s", d.Fit, strings.Join(store.Fits, ", ")).at("fit").with("fit", d.Fit)
	}
	if strings.TrimSpace(d.Profile) == "" {
		return invalid("required", "profile is required (a firmware profile name, for example virtual)").at("profile")
	}
	if (d.Latitude == nil) != (d.Longitude == nil) {
		return invalid("site_both", "give latitude and longitude together, or neither").at("latitude")
	}
	if d.Latitude != nil && (!(*d.Latitude >= -90 && *d.Latitude <= 90) || !(*d.Longitude >= -180 && *d.Longitude <= 180)) {
		return invalid("site_range", "latitude must be from -90 to 90 and longitude from -180 to 180 (decimal degrees, e.g. 21.0285, 105.8542)").at("latitude")
	}
	return nil
}

// optFloat reads a patch's number: absent keeps old, null clears it.
func optFloat(raw json.RawMessage, old *float64, field string) (*float64, error) {
	if len(raw) == 0 {
		return old, nil
	}
	if string(raw) == "null" {
		return nil, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, invalid("not_a_number", "%s must be a number in decimal degrees, or null", field).at(field)
	}
	return &v, nil
}

// listDisplays filters by group, name or place (q) and state, and pages
// with limit and offset (no limit: all). States come from the hub and the
// alerts, not the store, so the state filter runs here; what each display
// plays is read for the page only.
func (a *API) listDisplays(c echo.Context, p *principal) error {
	q := &query{c: c}
	f := store.DisplayFilter{GroupID: q.id("group_id"), Q: q.str("q")}
	state := q.oneOf("state", displayStates...)
	limit := q.intIn("limit", 0, 1, 1000)
	offset := q.intIn("offset", 0, 0, 1<<30)
	brief := q.oneOf("brief", "true", "false") == "true"
	if q.err != nil {
		return q.err
	}
	ctx := ctxOf(c)
	ds, err := a.o.Store.Displays(ctx, f)
	if err != nil {
		return err
	}
	l, err := a.readLive(ctx, 0)
	if err != nil {
		return err
	}
	page := displayPage{Items: []displayOut{}, Counts: map[string]int{}}
	for _, d := range ds {
		out := l.describe(d)
		page.Counts[out.State]++
		if len(out.Alerts) > 0 {
			page.Counts["alert"]++
		}
		if state != "" && out.State != state && !(state == "alert" && len(out.Alerts) > 0) {
			continue
		}
		page.Total++
		if page.Total <= offset || (limit > 0 && len(page.Items) >= limit) {
			continue
		}
		page.Items = append(page.Items, out)
	}
	// What plays is read from each display's stored plan: the pages that
	// only want names and geometries ask for brief lists and skip it.
	for i := range page.Items {
		if brief {
			break
		}
		if err := a.fillNowPlaying(ctx, p, &page.Items[i]); err != nil {
			return err
		}
		ref, err := a.o.Store.DisplayRefusals(ctx, page.Items[i].ID)
		if err != nil {
			return err
		}
		if ref.PlayRecords+ref.Screenshots > 0 {
			page.Items[i].Refused = &ref
		}
	}
	return c.JSON(http.StatusOK, page)
}

func (a *API) createDisplay(c echo.Context, p *principal) error {
	var in displayIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if in.Fit == "" {
		in.Fit = "contain"
	}
	d := store.Display{Name: in.Name, Location: strings.TrimSpace(in.Location), Width: in.Width, Height: in.Height, Fit: in.Fit, Profile: strings.TrimSpace(in.Profile), GroupID: optID(in.GroupID),
		Latitude: in.Latitude, Longitude: in.Longitude}
	if err := checkDisplay(d); err != nil {
		return err
	}
	d, err := a.o.Store.CreateDisplay(ctxOf(c), p.actor(), d)
	if err != nil {
		return storeErr(err, "display", 0)
	}
	a.kick(ctxOf(c)) // a new geometry needs renditions of the media
	out, err := a.describeOne(ctxOf(c), p, d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (a *API) getDisplay(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := a.o.Store.Display(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "display", id)
	}
	// No pipeline kick here: a read must not write, and with live updates
	// every dashboard reads a display each time it reports.
	out, err := a.describeOne(ctxOf(c), p, d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) updateDisplay(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := a.o.Store.Display(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "display", id)
	}
	var in displayPatch
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if in.Name != nil {
		d.Name = *in.Name
	}
	if in.Location != nil {
		d.Location = strings.TrimSpace(*in.Location)
	}
	if in.Width != nil {
		d.Width = *in.Width
	}
	if in.Height != nil {
		d.Height = *in.Height
	}
	if in.Fit != nil {
		d.Fit = *in.Fit
	}
	if in.Profile != nil {
		d.Profile = strings.TrimSpace(*in.Profile)
	}
	if in.GroupID != nil {
		d.GroupID = optID(in.GroupID)
	}
	if d.Latitude, err = optFloat(in.Latitude, d.Latitude, "latitude"); err != nil {
		return err
	}
	if d.Longitude, err = optFloat(in.Longitude, d.Longitude, "longitude"); err != nil {
		return err
	}
	if err := checkDisplay(d); err != nil {
		return err
	}
	d, err = a.o.Store.UpdateDisplay(ctxOf(c), p.actor(), d)
	if err != nil {
		return storeErr(err, "display", id)
	}
	a.kick(ctxOf(c))
	out, err := a.describeOne(ctxOf(c), p, d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) deleteDisplay(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.o.Store.DeleteDisplay(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "display", id)
	}
	// Its credentials went with it: its agent's link goes too.
	a.o.Hub.Revoke(id)
	return c.NoContent(http.StatusNoContent)
}

func (a *API) createEnrolmentCode(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	code := auth.NewEnrolmentCode()
	expires := a.o.Now().Add(a.o.CodeLifetime)
	ec, err := a.o.Store.CreateEnrolmentCode(ctxOf(c), p.actor(), id, auth.HashToken(code), expires)
	if err != nil {
		return storeErr(err, "display", id)
	}
	return c.JSON(http.StatusCreated, enrolmentOut{DisplayID: id, Code: code, ExpiresAt: ec.ExpiresAt})
}
