package plans

import (
	"context"
	"errors"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
)

var _ hub.Plans = (*Service)(nil)

// Plan implements hub.Plans: the display's stored plan, as stored (from
// memory after the first read), not compiled again: a change since reaches
// the agent by the refresh it kicked. A display without a stored plan yet
// (enrolled before the first refresh) has it compiled now.
func (s *Service) Plan(ctx context.Context, displayID int64) (hub.Plan, error) {
	if s.follower.Load() {
		s.forget(displayID) // read from the store: the leader stores plans
	}
	cur, err := s.current(ctx, displayID)
	if err != nil {
		return hub.Plan{}, err
	}
	if cur.json == nil {
		_, _, err := s.Compile(ctx, displayID)
		if errors.Is(err, store.ErrNotFound) {
			return hub.Plan{}, nil // the display was deleted while its agent was connected
		}
		if err != nil {
			return hub.Plan{}, err
		}
		if cur, err = s.current(ctx, displayID); err != nil {
			return hub.Plan{}, err
		}
	}
	return hub.Plan{Revision: cur.revision, JSON: cur.json}, nil
}

// PlanAcked implements hub.Plans: the store keeps the ack in memory, to
// store it with others in one transaction; its reads see it at once.
func (s *Service) PlanAcked(ctx context.Context, displayID, revision int64) {
	if err := s.st.SetPlanAcked(ctx, displayID, revision); err != nil {
		s.log.Error("record plan ack", "display", displayID, "err", err)
	}
}
