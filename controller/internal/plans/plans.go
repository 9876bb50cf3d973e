// Package plans compiles each display's plan from the approved playlists
// scheduled to it (directly or through its group), keeps it versioned in the
// store, and pushes a new revision to the display's agent whenever what it
// should play changes. (The agents' reports go to package reports.)
//
// A plan's revision grows only when its content changes: the compiler
// digests the plan without revision and timestamp and stores a new revision
// when the digest differs from the stored one, which it keeps in memory, so
// a compile that changes nothing never takes the store's writer. A change
// recompiles only the displays it reaches (refresh.go); every plan is
// recompiled at start and hourly.
package plans

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// RenditionFunc finds the ready rendition of a media revision for a panel
// geometry; an error (typically store.ErrNotFound while it is being made)
// leaves the item out of the plan until it is ready.
type RenditionFunc func(ctx context.Context, revisionID int64, width, height int, fit string) (protocol.Asset, error)

// Pusher sends a display's new plan to its agent when it is online.
type Pusher interface {
	PushPlan(ctx context.Context, displayID int64, p hub.Plan) error
}

// planStore is what the service reads and writes of the store, declared
// here so that another store can stand in for *store.Store.
type planStore interface {
	// What plans are made of.
	Display(ctx context.Context, id int64) (store.Display, error)
	Displays(ctx context.Context, f store.DisplayFilter) ([]store.Display, error)
	DisplayIDs(ctx context.Context) ([]int64, error)
	DisplaysReachedBy(ctx context.Context, objectType string, id int64) (ids []int64, ok bool, err error)
	PlanSources(ctx context.Context, displayID int64) (store.Display, []store.PlanSchedule, error)
	GroupPlanSources(ctx context.Context, groupID int64) ([]store.PlanSchedule, error)
	Schedules(ctx context.Context, f store.ScheduleFilter) ([]store.Schedule, error)
	ApprovedItems(ctx context.Context, playlistID int64) ([]store.PlanItem, error)
	DisplayPowerBrightness(ctx context.Context, displayID int64) (*store.PowerBrightness, error)
	DisplaysWithOwnPowerBrightness(ctx context.Context) (map[int64]bool, error)
	GroupPowerBrightness(ctx context.Context, groupID int64) (*store.PowerBrightness, error)
	UrgentNotices(ctx context.Context, live bool, groupID *int64) ([]store.UrgentNotice, error)
	UrgentNoticesFor(ctx context.Context, displayID int64, groupID *int64) ([]store.UrgentNotice, error)
	// What programs (issue 11) are made of.
	Revision(ctx context.Context, id int64) (store.MediaRevision, error)
	RevisionUnit(ctx context.Context, revisionID int64) (int64, error)
	NoticeTexts(ctx context.Context, programRevisionID int64, day string) ([]string, error)
	Media(ctx context.Context, id int64) (store.Media, error)
	Playlist(ctx context.Context, id int64) (store.Playlist, error)
	// The plans stored, and the revision each display runs.
	DisplayPlan(ctx context.Context, displayID int64) (store.StoredPlan, error)
	SavePlans(ctx context.Context, plans []store.PlanWrite) ([]store.SavedPlan, error)
	SetPlanAcked(ctx context.Context, displayID, revision int64) error
}

var _ planStore = (*store.Store)(nil)

// Options configure the service.
type Options struct {
	TimeZone string        // IANA zone of dates and dayparts (default Asia/Ho_Chi_Minh)
	Fallback string        // what a screen shows with nothing playable (default black)
	Debounce time.Duration // wait after a change for the rest of its burst (default 25 ms)
	Now      func() time.Time
	// Programs keeps compiled programs (issue 11); without it programs are
	// left out of plans.
	Programs ProgramFiles
	// Render, if set, asks for a rendition a program's window needs and
	// nobody made yet (the pipeline makes it; when ready, plans refresh).
	Render func(revisionID int64, width, height int, fit string)
}

// Service owns plans.
type Service struct {
	st   planStore
	rend RenditionFunc
	log  *slog.Logger
	opt  Options

	kick chan struct{}
	m    metrics

	// follower: another replica leads (compiles and stores plans); see
	// SetLeader.
	follower atomic.Bool

	// Lock order: mu and pmu are never held together.
	mu      sync.Mutex
	full    bool     // a refresh of every plan is asked for
	changes []change // changes since the last refresh
	pusher  Pusher

	// pmu guards what the service knows of each display's plan: the
	// stored revision (digest and JSON) and the objects it was made of.
	pmu    sync.Mutex
	stored map[int64]storedPlan
	uses   map[int64][]string        // display → the objects its plan read ("schedule:3")
	usedBy map[string]map[int64]bool // object → the displays whose plans read it
}

// New returns a service; call Run to keep plans current.
func New(st planStore, rend RenditionFunc, log *slog.Logger, opt Options) *Service {
	if opt.TimeZone == "" {
		opt.TimeZone = "Asia/Ho_Chi_Minh"
	}
	if opt.Fallback == "" {
		opt.Fallback = protocol.FallbackBlack
	}
	if opt.Debounce == 0 {
		// Long enough for one request's rows (an approval touches
		// several) to settle, short beside issue 14's 100 ms for a change
		// to reach every screen; changes made while a refresh runs are
		// coalesced into the next one anyway.
		opt.Debounce = 25 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Service{st: st, rend: rend, log: log, opt: opt, kick: make(chan struct{}, 1), m: newMetrics(),
		stored: map[int64]storedPlan{}, uses: map[int64][]string{}, usedBy: map[string]map[int64]bool{}}
}

// SetLeader says whether this replica compiles plans (it leads, as a
// single controller always does) or only serves the plans the leading
// replica stored. A follower ignores changes and kicks (the leader hears
// of them through the cluster bus), and reads a display's plan from the
// store each time an agent asks (the leader's may be newer than anything
// it has seen). Taking the lead forgets what was remembered and asks for
// a refresh of every plan.
func (s *Service) SetLeader(lead bool) {
	s.follower.Store(!lead)
	if lead {
		s.pmu.Lock()
		s.stored, s.uses, s.usedBy = map[int64]storedPlan{}, map[int64][]string{}, map[string]map[int64]bool{}
		s.pmu.Unlock()
		s.Kick()
	}
}

// SetPusher sets where new plans are pushed (the hub, built after the
// service because the hub calls the service).
func (s *Service) SetPusher(p Pusher) {
	s.mu.Lock()
	s.pusher = p
	s.mu.Unlock()
}

// Affects reports whether a change to objects of this type (as the store's
// audit names them) can change a plan; users, units and tokens cannot.
func Affects(objectType string) bool {
	switch objectType {
	case "display", "group", "media", "playlist", "schedule", "campaign", "urgent_notice":
		return true
	}
	return false
}

// assemble builds a plan (without revision) for display d from the
// schedules that apply to it and the live urgent notices of its group,
// with the renditions rend finds for its panel.
func (s *Service) assemble(ctx context.Context, d store.Display, scheds []store.PlanSchedule, rend RenditionFunc) (*protocol.Plan, error) {
	return s.assembleWith(ctx, d, scheds, rend, nil)
}

// assembleWith is assemble with what a refresh shares between displays
// (nil: nothing shared).
func (s *Service) assembleWith(ctx context.Context, d store.Display, scheds []store.PlanSchedule, rend RenditionFunc, m *memo) (*protocol.Plan, error) {
	loc, err := time.LoadLocation(s.opt.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("plans: time zone %q: %w", s.opt.TimeZone, err)
	}
	plan := &protocol.Plan{
		Schema:    protocol.PlanSchema,
		DisplayID: d.ID,
		TimeZone:  s.opt.TimeZone,
		Panel:     protocol.Panel{Width: d.Width, Height: d.Height},
		Fallback:  s.opt.Fallback,
		Entries:   []protocol.Entry{},
		Playlists: []protocol.Playlist{},
		Assets:    []protocol.Asset{},
	}
	assets := map[string]bool{}
	playlists := map[int64]bool{}
	spans := entryDates(scheds)
	for _, sc := range scheds {
		if !playlists[sc.PlaylistID] {
			pl := protocol.Playlist{ID: sc.PlaylistID}
			for _, it := range sc.Items {
				notBefore, notAfter, ok := validity(spans[sc.PlaylistID].trim(it), loc)
				if !ok {
					continue // its validity and its campaign's dates never meet
				}
				var as []protocol.Asset
				if it.Kind == store.KindProgram {
					as, err = s.programAssets(ctx, it.RevisionID, d, rend)
				} else {
					var a protocol.Asset
					a, err = rend(ctx, it.RevisionID, d.Width, d.Height, d.Fit)
					as = []protocol.Asset{a}
				}
				if err != nil {
					continue // not rendered yet: it joins the plan when ready
				}
				pl.Items = append(pl.Items, protocol.Item{
					ID: int64(it.Position) + 1, Media: it.MediaID, Campaign: it.CampaignID, Asset: as[0].SHA256, DurationMS: it.DurationMS,
					NotBefore: notBefore, NotAfter: notAfter,
				})
				for _, a := range as {
					if !assets[a.SHA256] {
						assets[a.SHA256] = true
						plan.Assets = append(plan.Assets, a)
					}
				}
			}
			if len(pl.Items) == 0 {
				continue
			}
			playlists[sc.PlaylistID] = true
			plan.Playlists = append(plan.Playlists, pl)
		}
		plan.Entries = append(plan.Entries, entryOf(sc.Schedule))
	}
	if err := s.addDevice(ctx, d, plan, m); err != nil {
		return nil, err
	}
	if err := s.addUrgent(ctx, d, plan, assets, rend, m); err != nil {
		return nil, err
	}
	plan.Schema = plan.NeededSchema()
	return plan, nil
}

// addDevice adds the display's site and its power and brightness rule:
// its own, or else its group's. Day/night levels need the site; without
// one (coordinates cleared after the rule was set) they are left out and
// the panel keeps its own level where no window holds.
func (s *Service) addDevice(ctx context.Context, d store.Display, plan *protocol.Plan, m *memo) error {
	if d.Latitude != nil && d.Longitude != nil {
		plan.Site = &protocol.Site{Latitude: *d.Latitude, Longitude: *d.Longitude}
	}
	var pb *store.PowerBrightness
	var err error
	if d.ID != 0 {
		if pb, err = m.displayPowerBrightness(ctx, s.st, d.ID); err != nil {
			return err
		}
	}
	if pb == nil && d.GroupID != nil {
		if pb, err = m.groupPowerBrightness(ctx, s.st, *d.GroupID); err != nil {
			return err
		}
	}
	if pb == nil {
		return nil
	}
	plan.Power, plan.Brightness = pb.Power, pb.Brightness
	if len(plan.Power) == 0 {
		plan.Power = nil
	}
	if len(plan.Brightness) == 0 {
		plan.Brightness = nil
	}
	if pb.DayNight != nil && plan.Site != nil {
		dn := *pb.DayNight
		plan.DayNight = &dn
	}
	return nil
}

// dates are the days a playlist's entries run, inclusive ("" = open), and
// whether a window of theirs crosses midnight.
type dates struct {
	first, last string
	crosses     bool
}

// entryDates gives, per playlist, the days its entries in this plan run
// (the earliest start and the latest end).
func entryDates(scheds []store.PlanSchedule) map[int64]dates {
	out := map[int64]dates{}
	seen := map[int64]bool{}
	for _, sc := range scheds {
		d := out[sc.PlaylistID]
		if !seen[sc.PlaylistID] {
			d = dates{first: sc.StartsOn, last: sc.EndsOn}
			seen[sc.PlaylistID] = true
		} else {
			if sc.StartsOn == "" || (d.first != "" && sc.StartsOn < d.first) {
				d.first = sc.StartsOn
			}
			if sc.EndsOn == "" || (d.last != "" && sc.EndsOn > d.last) {
				d.last = sc.EndsOn
			}
		}
		for _, dp := range sc.Dayparts {
			if dp.Until != "24:00" && dp.Until <= dp.From {
				d.crosses = true
			}
		}
		out[sc.PlaylistID] = d
	}
	return out
}

// trim leaves out of an item's bounds what its playlist's entries already
// say: a campaign (or a validity) that holds on every day the entries run
// bounds nothing, and saying it would make the plan need schema 2, which
// agents in the field may not read yet. The plan says only what changes
// what plays.
func (d dates) trim(it store.PlanItem) store.PlanItem {
	from, until := later(it.ValidFrom, it.CampaignFrom), earlier(it.ValidUntil, it.CampaignUntil)
	if from != "" && d.first != "" && from <= d.first {
		from = ""
	}
	// A window that opens on the entries' last day and crosses midnight
	// plays into the next day, where the bound still holds.
	if until != "" && d.last != "" && (until > d.last || (until == d.last && !d.crosses)) {
		until = ""
	}
	it.ValidFrom, it.ValidUntil, it.CampaignFrom, it.CampaignUntil = from, until, "", ""
	return it
}

// validity is when an item may play, as instants: from the first day of
// both its media's validity and its campaign's dates (00:00 in loc) to the
// end of the last day of both (the next day's 00:00). Open bounds are nil;
// ok is false when the two never meet.
func validity(it store.PlanItem, loc *time.Location) (notBefore, notAfter *time.Time, ok bool) {
	from := later(it.ValidFrom, it.CampaignFrom)
	until := earlier(it.ValidUntil, it.CampaignUntil)
	if from != "" {
		if t, err := time.ParseInLocation(time.DateOnly, from, loc); err == nil {
			t = t.UTC()
			notBefore = &t
		}
	}
	if until != "" {
		if t, err := time.ParseInLocation(time.DateOnly, until, loc); err == nil {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).UTC()
			notAfter = &t
		}
	}
	if notBefore != nil && notAfter != nil && !notAfter.After(*notBefore) {
		return nil, nil, false
	}
	return notBefore, notAfter, true
}

// later and earlier compare YYYY-MM-DD dates; "" is open.
func later(a, b string) string {
	if a == "" || b > a {
		return b
	}
	return a
}

func earlier(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

func entryOf(sc store.Schedule) protocol.Entry {
	e := protocol.Entry{
		ID: sc.ID, Playlist: sc.PlaylistID, Priority: sc.Priority,
		StartDate: sc.StartsOn, EndDate: sc.EndsOn, From: sc.StartTime, Until: sc.EndTime,
	}
	// One window says itself in schema 1's from/until (which crosses
	// midnight when until ≤ from, as schema 1 agents read it); several
	// need schema 2's dayparts.
	if len(sc.Dayparts) > 1 {
		e.From, e.Until = "", ""
		e.Dayparts = append([]protocol.Daypart(nil), sc.Dayparts...)
	}
	if sc.Weight > 1 {
		e.Weight = sc.Weight // 1 (and 0) is schema 1's implicit weight
	}
	if sc.Weekdays != 0x7F {
		for d := 0; d < 7; d++ {
			if sc.Weekdays&(1<<d) != 0 {
				e.Weekdays = append(e.Weekdays, d+1) // bit 0 = Monday = ISO 1
			}
		}
	}
	return e
}

// digestOf hashes what the plan says, not for which display, when or under
// which revision.
func digestOf(p *protocol.Plan) (string, error) {
	q := *p
	// Without the display id: a display's digest is only ever compared
	// with its own, and displays of one class share it (share.go).
	q.Revision, q.DisplayID, q.Generated = 0, 0, time.Time{}
	data, err := json.Marshal(q)
	if err != nil {
		return "", fmt.Errorf("plans: digest: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// UrgentPriority puts urgent notices above every schedule (whose priorities
// are 0–100).
const UrgentPriority = 1000

// addUrgent adds the live urgent notices for d (after addDevice, whose
// power windows they wake through): each an entry of its own,
// bounded to its interval, with a one-item playlist; IDs are negative so
// they never meet a schedule's. The agent ends them on time by itself.
func (s *Service) addUrgent(ctx context.Context, d store.Display, plan *protocol.Plan, assets map[string]bool, rend RenditionFunc, m *memo) error {
	urgent, err := m.urgentFor(ctx, s.st, d)
	if err != nil {
		return err
	}
	for _, n := range urgent {
		a, err := rend(ctx, n.RevisionID, d.Width, d.Height, d.Fit)
		if err != nil {
			continue // not rendered for this panel yet: it joins when ready
		}
		if !assets[a.SHA256] {
			assets[a.SHA256] = true
			plan.Assets = append(plan.Assets, a)
		}
		plan.Playlists = append(plan.Playlists, protocol.Playlist{ID: -n.ID, Name: n.Title,
			Items: []protocol.Item{{ID: 1, Media: n.MediaID, Asset: a.SHA256, DurationMS: 10_000}}})
		start, end := n.StartsAt.UTC(), n.EndsAt.UTC()
		// It lights a screen that its power windows have off (a storm
		// warning at night); said only where there are windows, so that
		// plans without them stay schema 1.
		plan.Entries = append(plan.Entries, protocol.Entry{ID: -n.ID, Playlist: -n.ID, Priority: UrgentPriority,
			NotBefore: &start, NotAfter: &end, Wake: len(plan.Power) > 0})
	}
	return nil
}
