package reports

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Health history: a sample every HealthSampleEvery per display, kept for
// HealthKeep (the dashboard charts the last 24 h), pruned hourly.
const (
	HealthSampleEvery = 30 * time.Second
	HealthKeep        = 48 * time.Hour
)

// HealthFlushEvery is how often the reports kept in memory are stored
// (Options.HealthFlush overrides it).
const HealthFlushEvery = 30 * time.Second

// healthReport is a display's health kept in memory until the next flush.
type healthReport struct {
	data    []byte
	at      time.Time
	samples []store.HealthSample
}

// Health implements hub.Reports: the latest report, and a sample of it for
// the history, are kept in memory and stored by the next flush (every
// HealthFlushEvery, when the agent leaves, at shutdown) in one transaction
// with every other display's, so that thousands of agents reporting every
// 10 s do not queue on the single writer. The dashboard shows the live
// report from the hub at once.
func (s *Sink) Health(ctx context.Context, displayID int64, h protocol.Health) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.health == nil {
		s.health = map[int64]*healthReport{}
	}
	r := s.health[displayID]
	if r == nil {
		r = &healthReport{}
		s.health[displayID] = r
	}
	r.data, r.at = data, now
	// Most reports are not sampled. (An ID reused after a deletion may
	// wait up to HealthSampleEvery for its first sample; the API ends the
	// history with the live report anyway.)
	if now.Sub(s.sampled[displayID]) >= HealthSampleEvery {
		if s.sampled == nil {
			s.sampled = map[int64]time.Time{}
		}
		s.sampled[displayID] = now
		r.samples = append(r.samples, store.HealthSampleOf(h, now))
	}
	return nil
}

// departed holds the last reports of displays whose agents left, until
// they are stored: within store.BehindDelay, all of them in one
// transaction (10,000 links cut at once were 10,000 transactions).
type departed struct {
	reports map[int64]*healthReport // under Sink.mu
	timer   *time.Timer             // under Sink.mu; nil: no flush due
	// write serializes the writes of health (FlushHealth and
	// FlushDeparted): a departed report is never stored after a newer one.
	write sync.Mutex
}

// AgentLeft implements hub.Reports: the display's last report is stored
// shortly (FlushDeparted), with those of the other agents that left
// meanwhile, in one transaction.
func (s *Sink) AgentLeft(ctx context.Context, displayID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.health[displayID]
	delete(s.health, displayID)
	if r == nil {
		return
	}
	if s.left.reports == nil {
		s.left.reports = map[int64]*healthReport{}
	}
	s.left.reports[displayID] = r.after(s.left.reports[displayID])
	if s.left.timer == nil {
		s.left.timer = time.AfterFunc(store.BehindDelay, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.FlushDeparted(ctx); err != nil {
				s.log.Error("store the health of agents that left; kept for the next health flush", "err", err)
			}
		})
	}
}

// after is r following an older report of the same display (either may
// be nil: none): r's latest, both's samples.
func (r *healthReport) after(older *healthReport) *healthReport {
	if r == nil {
		return older
	}
	if older == nil {
		return r
	}
	return &healthReport{data: r.data, at: r.at, samples: append(slices.Clone(older.samples), r.samples...)}
}

// FlushDeparted stores the last reports of agents that left, in one
// transaction. A display whose agent is back with a newer report has its
// samples kept for the next FlushHealth; a failed write keeps them all
// for it.
func (s *Sink) FlushDeparted(ctx context.Context) error {
	s.left.write.Lock()
	defer s.left.write.Unlock()
	s.mu.Lock()
	pending := s.left.reports
	s.left.reports, s.left.timer = nil, nil
	var hs []store.HealthWrite
	for id, r := range pending {
		if newer := s.health[id]; newer != nil {
			s.health[id] = newer.after(r)
			continue
		}
		hs = append(hs, store.HealthWrite{DisplayID: id, Health: r.data, At: r.at, Samples: r.samples})
	}
	s.mu.Unlock()
	if len(hs) == 0 {
		return nil
	}
	if err := s.st.SaveHealths(ctx, hs, HealthSampleEvery); err != nil {
		s.mu.Lock()
		if s.health == nil {
			s.health = map[int64]*healthReport{}
		}
		for _, h := range hs {
			s.health[h.DisplayID] = s.health[h.DisplayID].after(pending[h.DisplayID])
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// FlushHealth stores the reports kept in memory, with those of agents
// that left, in one transaction, and prunes the history hourly.
func (s *Sink) FlushHealth(ctx context.Context) error {
	s.left.write.Lock()
	defer s.left.write.Unlock()
	now := s.opt.Now()
	s.mu.Lock()
	pending := s.health
	s.health = nil
	for id, r := range s.left.reports {
		if pending == nil {
			pending = map[int64]*healthReport{}
		}
		pending[id] = pending[id].after(r)
	}
	s.left.reports = nil
	if s.left.timer != nil {
		s.left.timer.Stop()
		s.left.timer = nil
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
	if len(pending) > 0 {
		hs := make([]store.HealthWrite, 0, len(pending))
		for id, r := range pending {
			hs = append(hs, store.HealthWrite{DisplayID: id, Health: r.data, At: r.at, Samples: r.samples})
		}
		if err := s.st.SaveHealths(ctx, hs, HealthSampleEvery); err != nil {
			// Kept for the next flush: a newer report that came meanwhile
			// stays the latest, and the samples of both are kept.
			s.mu.Lock()
			if s.health == nil {
				s.health = map[int64]*healthReport{}
			}
			for id, r := range pending {
				s.health[id] = s.health[id].after(r)
			}
			s.mu.Unlock()
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
