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
}

type timelineSpan struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	timelineWho
	// The entry's whole window (the day's daypart), of which this block is
	// the part it won.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Overlapped: the entries whose windows were open during the block too,
	// and lost to it (lower priority, or equal priority and a higher id).
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
	ctx := ctxOf(c)
	urgentNames := map[int64]string{}
	for _, pl := range plan.Playlists {
		if pl.ID < 0 {
			urgentNames[pl.ID] = pl.Name
		}
	}
	playlistNames := map[int64]string{}
	who := func(entry, playlist int64, priority int) (timelineWho, error) {
		if entry < 0 {
			return timelineWho{UrgentID: -entry, PlaylistName: urgentNames[playlist], Priority: priority}, nil
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
		return timelineWho{Entry: entry, PlaylistID: playlist, PlaylistName: name, Priority: priority}, nil
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
		w, err := who(s.Entry, s.Playlist, s.Priority)
		if err != nil {
			return err
		}
		ts := timelineSpan{Start: s.Start, End: s.End, timelineWho: w, WindowStart: s.WindowStart, WindowEnd: s.WindowEnd, Overlapped: []timelineOverlap{}}
		for _, o := range s.Overlapped {
			ow, err := who(o.Entry, o.Playlist, o.Priority)
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
			ts.Items = append(ts.Items, timelineItem{Start: it.Start, End: it.End, Index: it.Index, MediaID: it.Media, MediaTitle: t})
		}
		out.Spans = append(out.Spans, ts)
	}
	return c.JSON(http.StatusOK, out)
}
