package api

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Display states, as the dashboard names them. A display is in exactly one.
const (
	StateNeverConnected = "never_connected" // no agent ever connected for it
	StateOnline         = "online"          // its agent is connected and plays its plan
	StateOffline        = "offline"         // its agent was seen (LastSeen) and is gone
	StateBlanked        = "blanked"         // online, the picture blanked on purpose
	StateTestPattern    = "test_pattern"    // online, showing a test pattern
	StateIdentify       = "identify"        // online, flashing so a technician finds it
	StateUrgent         = "urgent"          // online, an urgent notice targets it
	StatePanelError     = "panel_error"     // online, but the panel output fails
	StatePowerOff       = "power_off"       // online, off by its power windows as planned
)

// displayStates are the values of the state filter: the states, plus
// "alert" for displays with an open alert.
var displayStates = []string{StateNeverConnected, StateOnline, StateOffline, StateBlanked, StateTestPattern,
	StateIdentify, StateUrgent, StatePanelError, StatePowerOff, "alert"}

// nowPlaying names what a display shows: the media and the rotation (or
// urgent notice) it plays in.
type nowPlaying struct {
	MediaID    int64  `json:"media_id"`
	Title      string `json:"title"`
	PlaylistID int64  `json:"playlist_id"` // 0 for an urgent notice
	Playlist   string `json:"playlist"`
	UrgentID   int64  `json:"urgent_id,omitempty"` // the urgent notice on screen
}

// live is what the list of displays is built from: the hub's agents, the
// store's activity, open alerts and live urgent notices, read once.
type live struct {
	agents   map[int64]*liveAgent
	activity map[int64]store.DisplayActivity
	alerts   map[int64][]string
	urgent   []store.UrgentNotice
}

// readLive gathers what the displays are doing now: of every display, or
// of display only when it is not 0.
func (a *API) readLive(ctx context.Context, display int64) (*live, error) {
	l := &live{agents: map[int64]*liveAgent{}, alerts: map[int64][]string{}}
	if a.o.Hub != nil {
		for _, ag := range a.o.Hub.Agents() {
			// Agents are matched by the display their credential was enrolled for.
			l.agents[ag.DisplayID] = &liveAgent{AgentVersion: ag.AgentVersion, Profile: ag.Profile, Panel: ag.Panel, RemoteAddr: ag.RemoteAddr,
				ConnectedAt: ag.ConnectedAt, LastHeartbeat: ag.LastHeartbeat, PlanRevision: ag.PlanRevision, Health: ag.Health}
		}
	}
	var err error
	if l.activity, err = a.o.Store.DisplayActivities(ctx, display); err != nil {
		return nil, err
	}
	if a.o.Alerts != nil {
		for _, al := range a.o.Alerts.Alerts() {
			if al.Resolved == nil {
				l.alerts[al.DisplayID] = append(l.alerts[al.DisplayID], al.Kind)
			}
		}
	}
	// The live ones only, picked by the database: the history grows.
	if l.urgent, err = a.o.Store.UrgentNotices(ctx, true, nil); err != nil {
		return nil, err
	}
	return l, nil
}

// describe is a display with its live state, without what it plays (see
// fillNowPlaying, which reads its plan).
func (l *live) describe(d store.Display) displayOut {
	ag := l.agents[d.ID]
	act := l.activity[d.ID]
	out := displayOut{Display: d, Online: ag != nil, Agent: ag, LastSeen: act.LastSeen, ScreenshotAt: act.ScreenshotAt, Alerts: l.alerts[d.ID]}
	if out.Alerts == nil {
		out.Alerts = []string{}
	}
	if ag != nil {
		t := ag.LastHeartbeat
		out.LastSeen = &t
	}
	out.State = l.state(d, ag, act)
	return out
}

func (l *live) state(d store.Display, ag *liveAgent, act store.DisplayActivity) string {
	if ag == nil {
		if act.LastSeen == nil {
			return StateNeverConnected
		}
		return StateOffline
	}
	if h := ag.Health; h != nil {
		switch h.DriverState {
		case "blanked":
			return StateBlanked
		case "test_pattern":
			return StateTestPattern
		case "identify":
			return StateIdentify
		case "error":
			return StatePanelError
		}
		if h.PowerOff {
			// Before urgent: a notice that does not wake the screen
			// waits, off, for its window.
			return StatePowerOff
		}
	}
	for _, n := range l.urgent {
		if n.EveryDisplay || slices.Contains(n.DisplayIDs, d.ID) || (d.GroupID != nil && slices.Contains(n.GroupIDs, *d.GroupID)) {
			return StateUrgent
		}
	}
	return StateOnline
}

// fillNowPlaying names what an online display shows, from the plan its
// agent runs: the item its health names (item IDs are positions within a
// rotation, so the asset picks the rotation) and the titles in the store.
// Editors and viewers get the names of their own unit's media and
// rotations only (another unit's are 404 to them elsewhere); the ids stay.
func (a *API) fillNowPlaying(ctx context.Context, p *principal, d *displayOut) error {
	if d.Agent == nil || d.Agent.Health == nil || d.Agent.Health.CurrentItem == 0 {
		return nil
	}
	switch d.State {
	case StateBlanked, StateTestPattern, StateIdentify:
		return nil // the schedule runs unseen: nothing of it is on screen
	}
	h := d.Agent.Health
	sp, err := a.o.Store.DisplayPlan(ctx, d.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var plan protocol.Plan
	if err := json.Unmarshal(sp.Plan, &plan); err != nil {
		return err
	}
	for _, pl := range plan.Playlists {
		for _, it := range pl.Items {
			if it.ID != h.CurrentItem || it.Asset != h.CurrentAsset {
				continue
			}
			np := &nowPlaying{MediaID: it.Media}
			if pl.ID < 0 { // an urgent notice: its playlist is named for it
				np.UrgentID, np.Title = -pl.ID, pl.Name
				d.NowPlaying = np
				return nil
			}
			np.PlaylistID = pl.ID
			if np.Title, np.Playlist, err = a.o.Store.NowPlayingNames(ctx, it.Media, pl.ID); err != nil {
				return err
			}
			if err := a.hideOtherUnits(ctx, p, np); err != nil {
				return err
			}
			d.NowPlaying = np
			return nil
		}
	}
	return nil
}

// hideOtherUnits blanks the names in np that p may not see.
func (a *API) hideOtherUnits(ctx context.Context, p *principal, np *nowPlaying) error {
	if p == nil || !unitScoped(p.User.Role) {
		return nil
	}
	m, err := a.o.Store.Media(ctx, np.MediaID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || !p.sees(m.UnitID) {
		np.Title = ""
	}
	pl, err := a.o.Store.Playlist(ctx, np.PlaylistID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || !p.sees(pl.UnitID) {
		np.Playlist = ""
	}
	return nil
}

// describeOne is one display with its state and what it plays, as p may
// see it.
func (a *API) describeOne(ctx context.Context, p *principal, d store.Display) (displayOut, error) {
	l, err := a.readLive(ctx, d.ID)
	if err != nil {
		return displayOut{}, err
	}
	out := l.describe(d)
	ref, err := a.o.Store.DisplayRefusals(ctx, d.ID)
	if err != nil {
		return displayOut{}, err
	}
	if ref.PlayRecords+ref.Screenshots > 0 {
		out.Refused = &ref
	}
	return out, a.fillNowPlaying(ctx, p, &out)
}
