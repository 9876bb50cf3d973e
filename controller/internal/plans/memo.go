package plans

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// memo holds what one refresh reads once for every display it compiles:
// the displays of a group share their schedules' playlists, their group's
// power rule, the live urgent notices and, for one panel geometry, every
// rendition. It lives for one refresh, so it is never stale for long (a
// change during a refresh kicks another). A nil *memo reads the store each
// time.
type memo struct {
	rend     RenditionFunc
	displays map[int64]store.Display // preloaded for a large refresh; read-only
	items    onceMap[int64, []store.PlanItem]
	assets   onceMap[renditionKey, protocol.Asset]
	groupPB  onceMap[int64, *store.PowerBrightness]
	ownPB    onceMap[struct{}, map[int64]bool]
	urgent   onceMap[struct{}, []store.UrgentNotice]
	scheds   onceMap[struct{}, []store.Schedule]
	classes  onceMap[classKey, *class]
}

type renditionKey struct {
	revision      int64
	width, height int
	fit           string
}

func newMemo(rend RenditionFunc) *memo {
	m := &memo{}
	m.rend = func(ctx context.Context, revisionID int64, w, h int, fit string) (protocol.Asset, error) {
		return m.assets.get(renditionKey{revisionID, w, h, fit}, func() (protocol.Asset, error) {
			return rend(ctx, revisionID, w, h, fit)
		})
	}
	return m
}

func (m *memo) display(ctx context.Context, st planStore, id int64) (store.Display, error) {
	if d, ok := m.displays[id]; ok {
		return d, nil
	}
	return st.Display(ctx, id)
}

// sources is store.PlanSources from one list of every schedule, with each
// playlist's items read once.
func (m *memo) sources(ctx context.Context, st planStore, id int64) (store.Display, []store.PlanSchedule, error) {
	d, err := m.display(ctx, st, id)
	if err != nil {
		return d, nil, err
	}
	all, err := m.scheds.get(struct{}{}, func() ([]store.Schedule, error) {
		all, err := st.Schedules(ctx, store.ScheduleFilter{})
		slices.SortFunc(all, func(a, b store.Schedule) int { return cmp.Compare(a.ID, b.ID) }) // as PlanSchedules
		return all, err
	})
	if err != nil {
		return d, nil, err
	}
	var scheds []store.PlanSchedule
	for _, sc := range all {
		if (sc.DisplayID != nil && *sc.DisplayID == d.ID) || (sc.GroupID != nil && d.GroupID != nil && *sc.GroupID == *d.GroupID) {
			scheds = append(scheds, store.PlanSchedule{Schedule: sc})
		}
	}
	for i := range scheds {
		pl := scheds[i].PlaylistID
		scheds[i].Items, err = m.items.get(pl, func() ([]store.PlanItem, error) { return st.ApprovedItems(ctx, pl) })
		if err != nil {
			return d, nil, err
		}
	}
	return d, scheds, nil
}

// displayPowerBrightness is store.DisplayPowerBrightness, asked only of
// the displays that have rules of their own.
func (m *memo) displayPowerBrightness(ctx context.Context, st planStore, displayID int64) (*store.PowerBrightness, error) {
	if m == nil {
		return st.DisplayPowerBrightness(ctx, displayID)
	}
	own, err := m.ownPB.get(struct{}{}, func() (map[int64]bool, error) { return st.DisplaysWithOwnPowerBrightness(ctx) })
	if err != nil || !own[displayID] {
		return nil, err
	}
	return st.DisplayPowerBrightness(ctx, displayID)
}

func (m *memo) groupPowerBrightness(ctx context.Context, st planStore, groupID int64) (*store.PowerBrightness, error) {
	if m == nil {
		return st.GroupPowerBrightness(ctx, groupID)
	}
	return m.groupPB.get(groupID, func() (*store.PowerBrightness, error) { return st.GroupPowerBrightness(ctx, groupID) })
}

// urgentLimit is the store's cap on a list of urgent notices.
const urgentLimit = 200

// urgentFor is store.UrgentNoticesFor, from one list of every live notice.
func (m *memo) urgentFor(ctx context.Context, st planStore, d store.Display) ([]store.UrgentNotice, error) {
	if m == nil {
		return st.UrgentNoticesFor(ctx, d.ID, d.GroupID)
	}
	live, err := m.urgent.get(struct{}{}, func() ([]store.UrgentNotice, error) { return st.UrgentNotices(ctx, true, nil) })
	if err != nil {
		return nil, err
	}
	if len(live) >= urgentLimit {
		// The list is cut: the display's own may be past the cut.
		return st.UrgentNoticesFor(ctx, d.ID, d.GroupID)
	}
	out := []store.UrgentNotice{}
	for _, n := range live {
		if n.EveryDisplay || (d.ID != 0 && slices.Contains(n.DisplayIDs, d.ID)) || (d.GroupID != nil && slices.Contains(n.GroupIDs, *d.GroupID)) {
			out = append(out, n)
		}
	}
	return out, nil
}

// onceMap computes a value per key once, however many goroutines ask.
type onceMap[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*onceValue[V]
}

type onceValue[V any] struct {
	once sync.Once
	v    V
	err  error
}

func (o *onceMap[K, V]) get(k K, f func() (V, error)) (V, error) {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[K]*onceValue[V]{}
	}
	e := o.m[k]
	if e == nil {
		e = &onceValue[V]{}
		o.m[k] = e
	}
	o.mu.Unlock()
	e.once.Do(func() { e.v, e.err = f() })
	return e.v, e.err
}
