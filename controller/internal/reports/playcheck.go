package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Bounds on proof of play. A record is accepted only if the display's
// plans could have played it: the revision it names was sent to the
// display, the entry, item, media and campaign are that revision's, it
// lies where the revision was in force and the item was valid, and it
// lasts no longer than the item could.
const (
	// ClockTolerance is how far an agent's clock may be off the
	// controller's (agents sync theirs with it).
	ClockTolerance = 2 * time.Minute
	// playSlack is what a record may last beyond its item's duration: an
	// item that plays on into a new revision is one record, and loading a
	// frame takes time.
	playFactor = 2
	playSlack  = 5 * time.Second
)

// PlayRecords implements hub.Reports: it stores the records the display's
// plans could have played (once each: an id is the display's own) and
// refuses the others, counting them for the display and logging why. A
// refused record is not an error: the batch is acknowledged so the agent
// does not send it again forever.
func (s *Sink) PlayRecords(ctx context.Context, displayID int64, b protocol.PlayRecords) error {
	c, err := s.newChecker(ctx, displayID)
	if err != nil {
		return err
	}
	ok := make([]protocol.PlayRecord, 0, len(b.Records))
	refused, last := 0, ""
	for _, r := range b.Records {
		err := c.check(ctx, r)
		var why refusal
		switch {
		case err == nil:
			ok = append(ok, r)
		case errors.As(err, &why):
			refused++
			last = fmt.Sprintf("play record %q: %s", r.ID, why.msg)
			s.log.Warn("play record refused", "display", displayID, "id", r.ID, "media", r.Media, "reason", why.msg)
		default:
			return err
		}
	}
	n, err := s.st.AddPlayRecords(ctx, displayID, ok)
	if err != nil {
		return err
	}
	if refused > 0 {
		if err := s.st.AddRefusals(ctx, displayID, refused, 0, last); err != nil {
			return err
		}
	}
	if b.Dropped > 0 {
		s.log.Warn("agent dropped proof-of-play records to stay within its disk bound", "display", displayID, "dropped", b.Dropped)
	}
	s.log.Debug("play records", "display", displayID, "received", len(b.Records), "new", n, "refused", refused)
	return nil
}

// checker checks one display's records against its plans, loading each
// revision once per batch.
type checker struct {
	s         *Sink
	displayID int64
	now       time.Time
	enrolled  time.Time
	revs      map[int64]*sentPlan
}

type sentPlan struct {
	plan     protocol.Plan
	created  time.Time
	replaced *time.Time
	entries  map[int64]protocol.Entry
	items    map[int64]map[int64]protocol.Item // playlist → item id → item
	loc      *time.Location
}

func (s *Sink) newChecker(ctx context.Context, displayID int64) (*checker, error) {
	enrolled, err := s.st.DisplayEnrolledAt(ctx, displayID)
	if err != nil {
		return nil, err
	}
	return &checker{s: s, displayID: displayID, now: s.opt.Now(), enrolled: enrolled, revs: map[int64]*sentPlan{}}, nil
}

// refusal is why a record is not accepted.
type refusal struct{ msg string }

func (r refusal) Error() string { return r.msg }

func refuse(format string, a ...any) error { return refusal{fmt.Sprintf(format, a...)} }

func (c *checker) revision(ctx context.Context, rev int64) (*sentPlan, error) {
	if p, ok := c.revs[rev]; ok {
		if p == nil {
			return nil, refuse("plan revision %d was never sent to this display", rev)
		}
		return p, nil
	}
	pr, err := c.s.st.PlanRevision(ctx, c.displayID, rev)
	if errors.Is(err, store.ErrNotFound) {
		c.revs[rev] = nil
		return nil, refuse("plan revision %d was never sent to this display", rev)
	}
	if err != nil {
		return nil, err
	}
	sp := &sentPlan{created: pr.CreatedAt, replaced: pr.ReplacedAt, entries: map[int64]protocol.Entry{}, items: map[int64]map[int64]protocol.Item{}}
	if err := json.Unmarshal(pr.Plan, &sp.plan); err != nil {
		return nil, fmt.Errorf("reports: stored plan %d of display %d: %w", rev, c.displayID, err)
	}
	for _, e := range sp.plan.Entries {
		sp.entries[e.ID] = e
	}
	for _, pl := range sp.plan.Playlists {
		m := map[int64]protocol.Item{}
		for _, it := range pl.Items {
			m[it.ID] = it
		}
		sp.items[pl.ID] = m
	}
	if sp.loc, err = time.LoadLocation(sp.plan.TimeZone); err != nil {
		sp.loc = time.UTC
	}
	c.revs[rev] = sp
	return sp, nil
}

// check returns nil for a record the display's plans could have played, a
// refusal saying why not, or another error (the store failed).
func (c *checker) check(ctx context.Context, r protocol.PlayRecord) error {
	if r.Display != c.displayID {
		return refuse("record is for display %d, this agent is display %d", r.Display, c.displayID)
	}
	if r.ID == "" || len(r.ID) > protocol.MaxPlayRecordID {
		return refuse("record id must be 1 to %d characters", protocol.MaxPlayRecordID)
	}
	if r.Start.IsZero() || r.End.Before(r.Start) {
		return refuse("record needs a start and an end not before it")
	}
	if r.End.After(c.now.Add(ClockTolerance)) {
		return refuse("record ends at %s, in the future", r.End.UTC().Format(time.RFC3339))
	}
	if !c.enrolled.IsZero() && r.Start.Before(c.enrolled.Add(-ClockTolerance)) {
		return refuse("record starts at %s, before the display was enrolled (%s)", r.Start.UTC().Format(time.RFC3339), c.enrolled.UTC().Format(time.RFC3339))
	}
	p, err := c.revision(ctx, r.PlanRevision)
	if err != nil {
		return err
	}
	e, ok := p.entries[r.Entry]
	if !ok {
		return refuse("plan revision %d has no entry %d", r.PlanRevision, r.Entry)
	}
	it, ok := p.items[e.Playlist][r.Item]
	if !ok {
		return refuse("entry %d of plan revision %d has no item %d", r.Entry, r.PlanRevision, r.Item)
	}
	if it.Media != r.Media || it.Campaign != r.Campaign {
		return refuse("item %d of plan revision %d is media %d of campaign %d, not media %d of campaign %d",
			r.Item, r.PlanRevision, it.Media, it.Campaign, r.Media, r.Campaign)
	}
	maxLen := time.Duration(it.DurationMS)*time.Millisecond*playFactor + playSlack
	if d := r.End.Sub(r.Start); d > maxLen {
		return refuse("record lasts %s; item %d lasts %s", d.Round(time.Millisecond), r.Item, time.Duration(it.DurationMS)*time.Millisecond)
	}
	// In force from when it was made (an item that plays on into it began
	// up to one item earlier) until the display took a newer one.
	if r.Start.Before(p.created.Add(-maxLen - ClockTolerance)) {
		return refuse("record starts at %s, before plan revision %d was made (%s)", r.Start.UTC().Format(time.RFC3339), r.PlanRevision, p.created.UTC().Format(time.RFC3339))
	}
	if p.replaced != nil && r.End.After(p.replaced.Add(ClockTolerance)) {
		return refuse("record ends at %s, after the display took a newer plan than revision %d (%s)", r.End.UTC().Format(time.RFC3339), r.PlanRevision, p.replaced.UTC().Format(time.RFC3339))
	}
	if err := within(r, e.NotBefore, e.NotAfter); err != nil {
		return refuse("entry %d: %v", r.Entry, err)
	}
	if err := within(r, it.NotBefore, it.NotAfter); err != nil {
		return refuse("item %d: %v", r.Item, err)
	}
	if err := withinDates(r, e.StartDate, e.EndDate, p.loc); err != nil {
		return refuse("entry %d: %v", r.Entry, err)
	}
	return nil
}

// within checks that a record overlaps [from, until] (nil: open), with the
// clock tolerance.
func within(r protocol.PlayRecord, from, until *time.Time) error {
	if until != nil && r.Start.After(until.Add(ClockTolerance)) {
		return fmt.Errorf("record starts at %s, after it ended (%s)", r.Start.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
	}
	if from != nil && r.End.Before(from.Add(-ClockTolerance)) {
		return fmt.Errorf("record ends at %s, before it began (%s)", r.End.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	return nil
}

// withinDates checks that a record overlaps the days [start, end] of the
// plan's zone ("" open); a window that crosses midnight may run into the
// next day.
func withinDates(r protocol.PlayRecord, start, end string, loc *time.Location) error {
	if start != "" {
		if d, err := time.ParseInLocation(time.DateOnly, start, loc); err == nil && r.End.Before(d.Add(-ClockTolerance)) {
			return fmt.Errorf("record ends at %s, before its first day %s", r.End.UTC().Format(time.RFC3339), start)
		}
	}
	if end != "" {
		if d, err := time.ParseInLocation(time.DateOnly, end, loc); err == nil && !r.Start.Before(d.AddDate(0, 0, 2).Add(ClockTolerance)) {
			return fmt.Errorf("record starts at %s, after its last day %s", r.Start.UTC().Format(time.RFC3339), end)
		}
	}
	return nil
}
