package store

import (
	"context"
	"fmt"
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

// SeeAgent records that an agent said hello at time at. A row of that
// name left by another display (deleted, or renamed since) is taken over:
// it is first seen now, for a.DisplayID.
func (s *Store) SeeAgent(ctx context.Context, a Agent, at time.Time) error {
	ts := at.UTC().Format(time.RFC3339Nano)
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO agents (name, display_id, agent_version, profile, panel_width, panel_height, remote_addr, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			first_seen    = CASE WHEN agents.display_id IS excluded.display_id THEN agents.first_seen ELSE excluded.first_seen END,
			display_id    = excluded.display_id,
			agent_version = excluded.agent_version,
			profile       = excluded.profile,
			panel_width   = excluded.panel_width,
			panel_height  = excluded.panel_height,
			remote_addr   = excluded.remote_addr,
			last_seen     = excluded.last_seen`,
		a.Name, nullInt(&a.DisplayID), a.AgentVersion, a.Profile, a.PanelWidth, a.PanelHeight, a.RemoteAddr, ts, ts)
	if err != nil {
		return fmt.Errorf("store: see agent %q: %w", a.Name, err)
	}
	return nil
}

// Agents lists every agent ever seen, by name.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
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
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	return out, nil
}
