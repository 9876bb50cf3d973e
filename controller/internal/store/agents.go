package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Agent is what the controller knows of an agent that connected.
type Agent struct {
	Name         string
	DisplayID    int64 // the display it enrolled for; 0: none (an agent admitted without enrolment, in tests)
	AgentVersion string
	Profile      string
	PanelWidth   int
	PanelHeight  int
	RemoteAddr   string
	FirstSeen    time.Time
	LastSeen     time.Time
}

// SeeAgent records that an agent said hello at time at, in memory at once
// and in the database by the next flush (see writebehind.go): a hello
// never waits on the writer. A row of that name left by another display
// (deleted, or renamed since) is taken over: it is first seen now, for
// a.DisplayID.
func (s *Store) SeeAgent(_ context.Context, a Agent, at time.Time) error {
	a.FirstSeen, a.LastSeen = at, at
	s.record(func(f *facts) { f.see(a) })
	return nil
}

// Agents lists every agent ever seen, by name.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	pending := s.pendingAgents()
	rows, err := s.r.QueryContext(ctx, `
		SELECT name, COALESCE(display_id, 0), agent_version, profile, panel_width, panel_height, remote_addr, first_seen, last_seen
		FROM agents ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	defer rows.Close()
	var out []Agent
	for rows.Next() {
		var a Agent
		var first, last string
		if err := rows.Scan(&a.Name, &a.DisplayID, &a.AgentVersion, &a.Profile, &a.PanelWidth, &a.PanelHeight, &a.RemoteAddr, &first, &last); err != nil {
			return nil, fmt.Errorf("store: list agents: %w", err)
		}
		a.FirstSeen, _ = time.Parse(time.RFC3339Nano, first)
		a.LastSeen, _ = time.Parse(time.RFC3339Nano, last)
		if p, ok := pending.seen[a.Name]; ok {
			if p.DisplayID == a.DisplayID {
				p.FirstSeen = a.FirstSeen
			}
			a = p
			delete(pending.seen, a.Name)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	for _, p := range pending.seen { // not yet stored
		out = append(out, p)
	}
	for i := range out {
		if at := pending.left[out[i].Name]; at.After(out[i].LastSeen) {
			out[i].LastSeen = at
		}
	}
	slices.SortFunc(out, func(a, b Agent) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
