package protocol

import (
	"errors"
	"fmt"
	"time"
)

// Panel is the geometry of an LED panel in pixels.
type Panel struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// MaxPanelSide bounds a panel's width and height in pixels: the one limit
// the controller's API, its renderer, plans and the agent all check, so a
// display the API accepts can always be given a plan.
const MaxPanelSide = 8192

// Validate refuses empty or absurd geometries.
func (p Panel) Validate() error {
	if p.Width < 1 || p.Height < 1 || p.Width > MaxPanelSide || p.Height > MaxPanelSide {
		return fmt.Errorf("panel %dx%d: width and height must be 1–%d pixels", p.Width, p.Height, MaxPanelSide)
	}
	return nil
}

// Hello is the agent's first message after the websocket opens.
type Hello struct {
	Name         string `json:"name"`          // the agent's display name, e.g. "truong-thcs-1"
	AgentVersion string `json:"agent_version"` // build version of pano-agent
	Profile      string `json:"profile"`       // firmware profile name, e.g. "virtual"
	Panel        Panel  `json:"panel"`
	PlanRevision int64  `json:"plan_revision"` // newest plan the agent holds, 0 for none
}

func (h *Hello) Validate() error {
	if h.Name == "" {
		return errors.New(`"name" is required`)
	}
	return h.Panel.Validate()
}

// Welcome answers Hello once the controller has accepted the agent.
type Welcome struct {
	ControllerVersion string `json:"controller_version"`
	HeartbeatSeconds  int    `json:"heartbeat_seconds"` // how often the agent sends a heartbeat
	SessionID         string `json:"session_id"`        // this connection, for logs on both sides
	// Controllers lists the public websocket address of every controller
	// replica (protocol 1.1): the agent keeps it and dials another when
	// its controller is gone. Absent or empty: the agent keeps the list it
	// holds. Not checked here: an agent ignores a list it cannot use
	// rather than refuse the welcome (ControllerList).
	Controllers []string `json:"controllers,omitempty"`
}

func (w *Welcome) Validate() error {
	if w.HeartbeatSeconds < 1 {
		return errors.New(`"heartbeat_seconds" must be at least 1`)
	}
	return nil
}

// Heartbeat is sent by the agent every Welcome.HeartbeatSeconds.
type Heartbeat struct {
	Seq      int64 `json:"seq"`
	UptimeMS int64 `json:"uptime_ms"`
}

func (h *Heartbeat) Validate() error {
	if h.Seq < 0 || h.UptimeMS < 0 {
		return errors.New(`"seq" and "uptime_ms" must not be negative`)
	}
	return nil
}

// Ack confirms that the message with id Ref was received and handled.
type Ack struct {
	Ref string `json:"ref"`
}

func (a *Ack) Validate() error {
	if a.Ref == "" {
		return errors.New(`"ref" is required`)
	}
	return nil
}

// Error codes carried in Error.Code.
const (
	ErrCodeBadMessage  = "bad_message"  // the message could not be parsed or validated
	ErrCodeUnknownType = "unknown_type" // the message type is not known to the receiver
	ErrCodeNotReady    = "not_ready"    // a message other than hello arrived before hello
)

// Error reports a problem with the message Ref (empty when it had no usable id).
type Error struct {
	Ref     string `json:"ref,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Validate() error {
	if e.Code == "" || e.Message == "" {
		return errors.New(`"code" and "message" are required`)
	}
	return nil
}

// More message types (agent runtime).
const (
	TypePlan          = "plan"          // controller → agent: PlanMessage; answered by ack or error
	TypeTimeRequest   = "time_request"  // agent → controller: TimeRequest
	TypeTimeResponse  = "time_response" // controller → agent: TimeResponse
	TypeHealth        = "health"        // agent → controller: Health
	TypeScreenshot    = "screenshot"    // agent → controller: Screenshot
	TypePlayRecords   = "play_records"  // agent → controller: PlayRecords; answered by ack
	TypeCommand       = "command"       // controller → agent: Command; answered by CommandResult
	TypeCommandResult = "command_result"
)

// PlanMessage carries a display's plan.
type PlanMessage struct {
	Plan Plan `json:"plan"`
}

func (m *PlanMessage) Validate() error { return m.Plan.Validate() }

// TimeRequest starts one clock-sync exchange; T1 is the agent's send time.
type TimeRequest struct {
	T1 time.Time `json:"t1"`
}

func (r *TimeRequest) Validate() error {
	if r.T1.IsZero() {
		return errors.New(`"t1" is required`)
	}
	return nil
}

// TimeResponse echoes T1 with the controller's receive (T2) and send (T3)
// times; the agent notes its receive time T4 (NTP's four timestamps).
type TimeResponse struct {
	T1 time.Time `json:"t1"`
	T2 time.Time `json:"t2"`
	T3 time.Time `json:"t3"`
}

func (r *TimeResponse) Validate() error {
	if r.T1.IsZero() || r.T2.IsZero() || r.T3.IsZero() {
		return errors.New(`"t1", "t2" and "t3" are required`)
	}
	return nil
}
