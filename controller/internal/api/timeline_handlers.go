package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/plans"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Previews is the plan service as the timeline handlers see it: the plan a
// display gets from the store as it is now, and the plan of a group's own
// entries (made for one of its displays, whose id it returns, or 0).
type Previews interface {
	DisplayPreview(ctx context.Context, displayID int64) (*protocol.Plan, error)
	GroupPreview(ctx context.Context, groupID int64) (*protocol.Plan, int64, error)
	// ProgramPreview compiles a program revision for a w×h panel with the
	// newest revision of each media it shows.
	ProgramPreview(ctx context.Context, revisionID int64, w, h int) (*protocol.Program, []protocol.Asset, error)
}

// Timeline bounds: a month of blocks, a day of items.
const (
	maxTimelineSpan = 31 * 24 * time.Hour
	maxItemsSpan    = 24 * time.Hour
)

var timelineQuery = []Param{
	{Name: "from", Type: "string", Format: "date-time", Desc: "RFC 3339, inclusive; default today 00:00 in the controller's zone"},
	{Name: "to", Type: "string", Format: "date-time", Desc: "RFC 3339, exclusive; default 7 days after from; at most 31 days after from"},
	{Name: "detail", Type: "string", Enum: []string{"items"}, Desc: "items: each block lists its items one by one (a span of at most 24 hours)"},
}

// timelineWho names what plays (or lost): a schedule entry, or an urgent
// notice.
type timelineWho struct {
	Entry        int64  `json:"entry"`               // schedule entry id; 0 for an urgent notice
	UrgentID     int64  `json:"urgent_id,omitempty"` // the urgent notice, when it is one
	PlaylistID   int64  `json:"playlist_id"`         // 0 for an urgent notice
	PlaylistName string `json:"playlist_name"`       // the rotation's name (the urgent notice's title); empty when the caller's unit may not see it
	Priority     int    `json:"priority"`
	Weight       int    `json:"weight"` // share of voice among equal priorities; 1 when the entry has none
}

type timelineSpan struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	timelineWho
	// The entry's whole window (the day's daypart), of which this block is
	// the part it won.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Shares: when two or more entries of equal priority share the block
	// by weight (share of voice), all of them by entry id; the block's own
	// entry is the first. Absent when one entry has the block alone.
	Shares []timelineWho `json:"shares,omitempty"`
	// Overlapped: the entries whose windows were open during the block too
	// (with an item valid), and lost to it (a lower priority).
	Overlapped []timelineOverlap `json:"overlapped"`
	Items      []timelineItem    `json:"items,omitempty"`
}

type timelineOverlap struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	timelineWho
}

type timelineItem struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Index      int       `json:"index"` // position in the rotation, from 0
	MediaID    int64     `json:"media_id"`
	MediaTitle string    `json:"media_title"` // empty when the caller's unit may not see it
	// Entry is the plan's entry whose loop the item belongs to: a schedule
	// entry id, or minus the urgent notice's id (in a shared block, the
	// entries alternate loop by loop).
	Entry      int64 `json:"entry"`
	PlaylistID int64 `json:"playlist_id"` // 0 for an urgent notice
}

// timelinePower is a stretch in which the screen is on, or off (outside
// the plan's power windows).
type timelinePower struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	On    bool      `json:"on"`
}

// timelineBrightness is a stretch at one level: source window (a
// brightness window), day or night (day/night by the sun), or profile (the
// plan sets none: percent null, the panel's own level).
type timelineBrightness struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Percent *int      `json:"percent"`
	Source  string    `json:"source"` // window, day, night or profile
}

// timelineSun is sunrise and sunset on a local date at the display's site;
// null on a polar day or night.
type timelineSun struct {
	Date    string     `json:"date"` // YYYY-MM-DD
	Sunrise *time.Time `json:"sunrise"`
	Sunset  *time.Time `json:"sunset"`
}

type timelineOut struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	TimeZone string    `json:"time_zone"`
	// DisplayID is the display whose plan was evaluated; for a group, the
	// display of the group it was made for, 0 when the group has none.
	DisplayID int64          `json:"display_id"`
	Spans     []timelineSpan `json:"spans"`
	// Truncated: with detail=items, the item budget (plans.MaxTimelineItems)
	// ran out, and the last spans list fewer items than play, or none.
	Truncated bool `json:"truncated"`
	// Power covers [from, to) without gaps: on or off by the plan's power
	// windows (one piece, on, without them).
	Power []timelinePower `json:"power"`
	// Brightness covers [from, to) without gaps.
	Brightness []timelineBrightness `json:"brightness"`
	// Sun: sunrise and sunset for each local date in [from, to), when the
	// plan has a site (the display's coordinates); absent otherwise.
	Sun []timelineSun `json:"sun,omitempty"`
}

func (a *API) displayTimeline(c echo.Context, p *principal) error {
	return a.timelineOf(c, p, "display", func(ctx context.Context, id int64) (*protocol.Plan, int64, error) {
		plan, err := a.o.Previews.DisplayPreview(ctx, id)
		return plan, id, err
	})
}

func (a *API) groupTimeline(c echo.Context, p *principal) error {
	return a.timelineOf(c, p, "group", func(ctx context.Context, id int64) (*protocol.Plan, int64, error) {
		return a.o.Previews.GroupPreview(ctx, id) // not a method value: Previews may be nil
	})
}

// timelineOf answers a timeline route: the path's id, the range, and the
// plan preview gives for that id (with the display it was made for).
func (a *API) timelineOf(c echo.Context, p *principal, what string,
	preview func(ctx context.Context, id int64) (*protocol.Plan, int64, error)) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	from, to, items, err := a.timelineRange(c)
	if err != nil {
		return err
	}
	if a.o.Previews == nil {
		return errf(http.StatusServiceUnavailable, "unavailable", "timelines need the plan service, which this controller does not run")
	}
	plan, displayID, err := preview(ctxOf(c), id)
	if err != nil {
		return storeErr(err, what, id)
	}
	return a.timeline(c, p, plan, displayID, from, to, items)
}

// timelineRange reads from, to and detail, and bounds the span. Its
// refusals have codes of their own (timeline_…, worded in
// web/i18n_schedules.go), so that a page can say what to change.
func (a *API) timelineRange(c echo.Context) (from, to time.Time, items bool, err error) {
	q := &query{c: c}
	items = q.oneOf("detail", "items") == "items"
	if q.err != nil {
		return from, to, false, q.err
	}
	if from, err = timelineTime(c, "from"); err != nil {
		return from, to, false, err
	}
	if to, err = timelineTime(c, "to"); err != nil {
		return from, to, false, err
	}
	const week = 7 * 24 * time.Hour
	switch {
	case from.IsZero() && to.IsZero():
		now := a.o.Now().In(a.o.Location)
		from = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.o.Location)
		to = from.Add(week)
	case to.IsZero():
		to = from.Add(week)
	case from.IsZero():
		from = to.Add(-week)
	}
	if !to.After(from) {
		return from, to, false, invalid("timeline_reversed", "to %s must be after from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if to.Sub(from) > maxTimelineSpan {
		days := int(maxTimelineSpan / (24 * time.Hour))
		return from, to, false, invalid("timeline_too_long", "from %s to %s is more than %d days: ask for at most %d days at a time",
			from.Format(time.RFC3339), to.Format(time.RFC3339), days, days).with("max_days", days)
	}
	if items && to.Sub(from) > maxItemsSpan {
		hours := int(maxItemsSpan / time.Hour)
		return from, to, false, invalid("timeline_items_too_long", "detail=items needs a span of at most %d hours; from %s to %s is longer",
			hours, from.Format(time.RFC3339), to.Format(time.RFC3339)).with("max_hours", hours)
	}
	return from, to, items, nil
}

// timelineTime reads the RFC 3339 time of query parameter name (from or
// to); empty gives the zero time.
func timelineTime(c echo.Context, name string) (time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err == nil {
		return t, nil
	}
	if name == "from" {
		return t, invalid("timeline_bad_from", "from %q is not an RFC 3339 time such as 2026-11-25T00:00:00+07:00", s).with("value", s)
	}
	return t, invalid("timeline_bad_to", "to %q is not an RFC 3339 time such as 2026-11-25T00:00:00+07:00", s).with("value", s)
}

// timeline evaluates plan over [from, to) and names what it finds, as far
// as p may see: another unit's rotations and media stay unnamed for
// editors and viewers, as they are 404 to them elsewhere.
func (a *API) timeline(c echo.Context, p *principal, plan *protocol.Plan, displayID int64, from, to time.Time, items bool) error {
	spans, truncated, err := plans.Timeline(plan, from, to, items)
	if err != nil {
		return err
	}
	device, err := plans.DeviceTimeline(plan, from, to)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	urgentNames := map[int64]string{}
	for _, pl := range plan.Playlists {
		if pl.ID < 0 {
			urgentNames[pl.ID] = pl.Name
		}
	}
	playlistNames := map[int64]string{}
	who := func(entry, playlist int64, priority, weight int) (timelineWho, error) {
		if entry < 0 {
			return timelineWho{UrgentID: -entry, PlaylistName: urgentNames[playlist], Priority: priority, Weight: weight}, nil
		}
		name, ok := playlistNames[playlist]
		if !ok {
			pl, err := a.o.Store.Playlist(ctx, playlist)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return timelineWho{}, err
			case p.sees(pl.UnitID):
				name = pl.Name
			}
			playlistNames[playlist] = name
		}
		return timelineWho{Entry: entry, PlaylistID: playlist, PlaylistName: name, Priority: priority, Weight: weight}, nil
	}
	mediaTitles := map[int64]string{}
	title := func(id int64) (string, error) {
		if s, ok := mediaTitles[id]; ok {
			return s, nil
		}
		m, err := a.o.Store.Media(ctx, id)
		s := ""
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return "", err
		case p.sees(m.UnitID):
			s = m.Title
		}
		mediaTitles[id] = s
		return s, nil
	}

	out := timelineOut{From: from, To: to, TimeZone: plan.TimeZone, DisplayID: displayID, Spans: []timelineSpan{}, Truncated: truncated}
	for _, s := range spans {
		w, err := who(s.Entry, s.Playlist, s.Priority, s.Weight)
		if err != nil {
			return err
		}
		ts := timelineSpan{Start: s.Start, End: s.End, timelineWho: w, WindowStart: s.WindowStart, WindowEnd: s.WindowEnd, Overlapped: []timelineOverlap{}}
		for _, sh := range s.Shares {
			sw, err := who(sh.Entry, sh.Playlist, sh.Priority, sh.Weight)
			if err != nil {
				return err
			}
			ts.Shares = append(ts.Shares, sw)
		}
		for _, o := range s.Overlapped {
			ow, err := who(o.Entry, o.Playlist, o.Priority, o.Weight)
			if err != nil {
				return err
			}
			ts.Overlapped = append(ts.Overlapped, timelineOverlap{Start: o.Start, End: o.End, timelineWho: ow})
		}
		for _, it := range s.Items {
			t, err := title(it.Media)
			if err != nil {
				return err
			}
			playlist := it.Playlist
			if it.Entry < 0 {
				playlist = 0
			}
			ts.Items = append(ts.Items, timelineItem{Start: it.Start, End: it.End, Index: it.Index, MediaID: it.Media, MediaTitle: t, Entry: it.Entry, PlaylistID: playlist})
		}
		out.Spans = append(out.Spans, ts)
	}
	for _, pw := range device.Power {
		out.Power = append(out.Power, timelinePower{Start: pw.Start, End: pw.End, On: pw.On})
	}
	for _, b := range device.Brightness {
		tb := timelineBrightness{Start: b.Start, End: b.End, Source: b.Source}
		if b.Source != protocol.LevelProfile {
			tb.Percent = &b.Percent
		}
		out.Brightness = append(out.Brightness, tb)
	}
	for _, sd := range device.Sun {
		ts := timelineSun{Date: sd.Date}
		if !sd.Rise.IsZero() {
			ts.Sunrise, ts.Sunset = &sd.Rise, &sd.Set
		}
		out.Sun = append(out.Sun, ts)
	}
	return c.JSON(http.StatusOK, out)
}
