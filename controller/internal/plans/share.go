package plans

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Displays whose plans are the same but for their display id (one
// group's, of one geometry and place, with nothing of their own: no
// schedule, power rule or urgent notice naming the display) form a class:
// a refresh assembles, digests, checks and encodes its plan once, and
// gives each display its bytes by writing its revision and id into them
// (issue 14: an urgent notice to 10,000 screens is a few such plans).

// classKey is what a shared plan is assembled from, besides the group's
// and every display's sources (schedules, rules, notices) the memo holds.
type classKey struct {
	group         int64 // 0: none
	width, height int
	fit           string
	site          bool
	lat, lon      float64
}

// class is a shared plan, assembled for display id 0.
type class struct {
	plan   *protocol.Plan
	digest string
	urgent []store.UrgentNotice
	// generated is the plan's time; head and tail its JSON (Revision 0,
	// DisplayID 0) cut around those two numbers: head ends at
	// `"revision":`, tail begins after the display id. Nil: the JSON
	// did not begin as expected, each display encodes its own.
	generated  time.Time
	head, tail []byte
	err        error
}

// classOf says which class d's plan belongs to, if any.
func (m *memo) classOf(ctx context.Context, st planStore, d store.Display, scheds []store.PlanSchedule) (classKey, bool, error) {
	for _, sc := range scheds {
		if sc.DisplayID != nil {
			return classKey{}, false, nil
		}
	}
	own, err := m.ownPB.get(struct{}{}, func() (map[int64]bool, error) { return st.DisplaysWithOwnPowerBrightness(ctx) })
	if err != nil || own[d.ID] {
		return classKey{}, false, err
	}
	urgent, err := m.urgentFor(ctx, st, d)
	if err != nil {
		return classKey{}, false, err
	}
	for _, n := range urgent {
		if !n.EveryDisplay && (d.GroupID == nil || !slices.Contains(n.GroupIDs, *d.GroupID)) {
			return classKey{}, false, nil // names the display itself
		}
	}
	k := classKey{width: d.Width, height: d.Height, fit: d.Fit}
	if d.GroupID != nil {
		k.group = *d.GroupID
	}
	if d.Latitude != nil && d.Longitude != nil {
		k.site, k.lat, k.lon = true, *d.Latitude, *d.Longitude
	}
	return k, true, nil
}

// class assembles, digests and encodes the plan of k's displays once (d
// is one of them, scheds its sources).
func (s *Service) class(ctx context.Context, k classKey, d store.Display, scheds []store.PlanSchedule, m *memo) *class {
	c, _ := m.classes.get(k, func() (*class, error) {
		c := &class{}
		d.ID = 0
		if c.plan, c.err = s.assembleWith(ctx, d, scheds, m.rend, m); c.err != nil {
			return c, nil
		}
		if c.digest, c.err = digestOf(c.plan); c.err != nil {
			return c, nil
		}
		if c.urgent, c.err = m.urgentFor(ctx, s.st, d); c.err != nil {
			return c, nil
		}
		c.generated = s.opt.Now().UTC().Truncate(time.Millisecond)
		check := *c.plan
		check.Revision, check.DisplayID, check.Generated = 1, 1, c.generated
		if _, err := protocol.Compile(&check); err != nil {
			c.err = fmt.Errorf("plans: compiled plan is invalid: %w", err)
			return c, nil
		}
		enc := *c.plan
		enc.Generated = c.generated
		data, err := json.Marshal(&enc)
		if err != nil {
			c.err = err
			return c, nil
		}
		prefix := `{"schema":` + strconv.Itoa(enc.Schema) + `,"revision":`
		if zero := prefix + `0,"display_id":0,`; bytes.HasPrefix(data, []byte(zero)) {
			c.head, c.tail = data[:len(prefix)], data[len(zero)-1:]
		}
		return c, nil
	})
	return c
}

// bytesFor is the JSON of the class's plan for display id at revision
// rev: byte for byte what encoding that plan gives.
func (c *class) bytesFor(id, rev int64) []byte {
	out := make([]byte, 0, len(c.head)+len(c.tail)+48)
	out = append(out, c.head...)
	out = strconv.AppendInt(out, rev, 10)
	out = append(out, `,"display_id":`...)
	out = strconv.AppendInt(out, id, 10)
	return append(out, c.tail...)
}

// buildShared is buildOne for a display of class k.
func (s *Service) buildShared(ctx context.Context, d store.Display, k classKey, scheds []store.PlanSchedule, m *memo) built {
	c := s.class(ctx, k, d, scheds, m)
	if c.err != nil {
		return built{id: d.ID, err: fmt.Errorf("plans: display %d: %w", d.ID, c.err)}
	}
	s.remember(d, scheds, c.urgent)
	plan := *c.plan
	plan.DisplayID = d.ID
	b := built{id: d.ID, plan: &plan, digest: c.digest, class: c}
	cur, err := s.current(ctx, d.ID)
	if err != nil {
		return built{id: d.ID, err: err}
	}
	if cur.digest != c.digest {
		b.changed, b.rev = true, cur.revision+1
	}
	return b
}
