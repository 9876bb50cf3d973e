package plans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

var _ hub.Runtime = (*Service)(nil)

// Plan implements hub.Runtime: the display's plan in force, compiled afresh
// so an agent that connects gets the newest even before a refresh ran.
func (s *Service) Plan(ctx context.Context, displayID int64) (*protocol.Plan, error) {
	p, _, err := s.Compile(ctx, displayID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // the display was deleted while its agent was connected
	}
	return p, err
}

// PlanAcked implements hub.Runtime.
func (s *Service) PlanAcked(ctx context.Context, displayID, revision int64) {
	if err := s.st.SetPlanAcked(ctx, displayID, revision); err != nil {
		s.log.Error("record plan ack", "display", displayID, "err", err)
	}
}

// Health history: a sample every HealthSampleEvery per display, kept for
// HealthKeep (the dashboard charts the last 24 h), pruned hourly.
const (
	HealthSampleEvery = 30 * time.Second
	HealthKeep        = 48 * time.Hour
)

// Health implements hub.Runtime: the latest report, and a sample of it for
// the history.
func (s *Service) Health(ctx context.Context, displayID int64, h protocol.Health) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	now := s.opt.Now()
	if err := s.st.SaveHealth(ctx, displayID, data, now); err != nil {
		return err
	}
	// Most reports are not sampled: skip them without a write. (An ID
	// reused after a deletion may wait up to HealthSampleEvery for its
	// first sample; the API ends the history with the live report anyway.)
	s.mu.Lock()
	due := now.Sub(s.sampled[displayID]) >= HealthSampleEvery
	if due {
		if s.sampled == nil {
			s.sampled = map[int64]time.Time{}
		}
		s.sampled[displayID] = now
	}
	prune := now.Sub(s.pruned) > time.Hour
	if prune {
		s.pruned = now
		for id, at := range s.sampled { // displays gone quiet or deleted
			if now.Sub(at) > HealthSampleEvery {
				delete(s.sampled, id)
			}
		}
	}
	s.mu.Unlock()
	if due {
		if _, err := s.st.AddHealthSample(ctx, displayID, store.HealthSampleOf(h, now), HealthSampleEvery); err != nil {
			return err
		}
	}
	if prune {
		n, err := s.st.PruneHealthSamples(ctx, now.Add(-HealthKeep))
		if err != nil {
			return err
		}
		s.log.Debug("health history pruned", "samples", n)
	}
	return nil
}

// Screenshot implements hub.Runtime: a screenshot is stored only once it
// decodes as a whole PNG no larger than the display's panel allows; one
// that does not is refused (the agent is told why) and counted.
func (s *Service) Screenshot(ctx context.Context, displayID int64, sh protocol.Screenshot) error {
	d, err := s.st.Display(ctx, displayID)
	if err != nil {
		return err
	}
	if err := checkScreenshot(sh.PNG, d.Width, d.Height); err != nil {
		s.log.Warn("screenshot refused", "display", displayID, "bytes", len(sh.PNG), "reason", err)
		if err := s.st.AddRefusals(ctx, displayID, 0, 1, "screenshot: "+err.Error()); err != nil {
			return err
		}
		return err
	}
	return s.st.SaveScreenshot(ctx, displayID, sh.PNG, sh.At)
}

// PlayRecords implements hub.Runtime: it stores the records the display's
// plans could have played (once each: an id is the display's own) and
// refuses the others, counting them for the display and logging why. A
// refused record is not an error: the batch is acknowledged so the agent
// does not send it again forever.
func (s *Service) PlayRecords(ctx context.Context, displayID int64, b protocol.PlayRecords) error {
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

// CommandResult implements hub.Runtime: results are kept for the API to show.
func (s *Service) CommandResult(_ context.Context, displayID int64, r protocol.CommandResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.results[r.Ref]; !ok {
		s.order = append(s.order, r.Ref)
	}
	s.results[r.Ref] = r
	for len(s.order) > 1000 {
		delete(s.results, s.order[0])
		s.order = s.order[1:]
	}
	close(s.arrived)
	s.arrived = make(chan struct{})
	if !r.OK {
		s.log.Warn("remote command failed", "display", displayID, "ref", r.Ref, "err", r.Error)
	}
}

// WaitResult waits for a command's result until ctx ends.
func (s *Service) WaitResult(ctx context.Context, id string) (protocol.CommandResult, bool) {
	for {
		s.mu.Lock()
		r, ok := s.results[id]
		ch := s.arrived
		s.mu.Unlock()
		if ok {
			return r, true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return protocol.CommandResult{}, false
		}
	}
}
