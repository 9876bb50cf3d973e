// Package reports takes what agents report to the controller: health
// (kept in memory and stored in batches), screenshots (checked before they
// are stored), proof of play (checked against the plans each display was
// sent) and the results of remote commands.
package reports

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

var (
	_ hub.Reports = (*Sink)(nil)
	_ reportStore = (*store.Store)(nil)
)

// reportStore is what the sink reads and writes, declared here so that
// another store can stand in for *store.Store.
type reportStore interface {
	SaveHealths(ctx context.Context, hs []store.HealthWrite, every time.Duration) error
	PruneHealthSamples(ctx context.Context, before time.Time) (int64, error)
	Display(ctx context.Context, id int64) (store.Display, error)
	SaveScreenshot(ctx context.Context, displayID int64, png []byte, at time.Time) error
	DisplayEnrolledAt(ctx context.Context, displayID int64) (time.Time, error)
	PlanRevision(ctx context.Context, displayID, rev int64) (store.PlanRevision, error)
	AddPlayRecords(ctx context.Context, displayID int64, recs []protocol.PlayRecord) (int, error)
	AddRefusals(ctx context.Context, displayID int64, playRecords, screenshots int, reason string) error
}

// Options configure the sink.
type Options struct {
	Now func() time.Time
	// HealthFlush is how often health reports kept in memory are stored
	// (default HealthFlushEvery).
	HealthFlush time.Duration
}

// Sink takes the agents' reports (hub.Reports).
type Sink struct {
	st  reportStore
	log *slog.Logger
	opt Options

	mu      sync.Mutex
	results map[string]protocol.CommandResult // command id → result, recent only
	order   []string
	arrived chan struct{}           // closed and replaced when a result arrives
	pruned  time.Time               // when the health history was last pruned
	sampled map[int64]time.Time     // display → its last health sample
	health  map[int64]*healthReport // reports not stored yet
	left    departed                // reports of agents that left, stored shortly
}

// New returns a sink; call Run to store the health reports it keeps.
func New(st reportStore, log *slog.Logger, opt Options) *Sink {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.HealthFlush == 0 {
		opt.HealthFlush = HealthFlushEvery
	}
	return &Sink{st: st, log: log, opt: opt, results: map[string]protocol.CommandResult{}, arrived: make(chan struct{})}
}

// Run stores the health reports kept in memory every Options.HealthFlush,
// and once more when ctx ends, until then.
func (s *Sink) Run(ctx context.Context) {
	flush := time.NewTicker(s.opt.HealthFlush)
	defer flush.Stop()
	defer func() {
		// What the agents reported last is kept across a restart.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.FlushHealth(ctx); err != nil {
			s.log.Error("store health at shutdown", "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			if err := s.FlushHealth(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("store health", "err", err)
			}
		}
	}
}

// CommandResult implements hub.Reports: results are kept for the API to show.
func (s *Sink) CommandResult(_ context.Context, displayID int64, r protocol.CommandResult) {
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
func (s *Sink) WaitResult(ctx context.Context, id string) (protocol.CommandResult, bool) {
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
