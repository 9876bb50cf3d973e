package protocol

import (
	"errors"
	"fmt"
	"time"
)

// Health is the agent's state, sent every HealthInterval.
type Health struct {
	UptimeMS      int64    `json:"uptime_ms"`
	AgentVersion  string   `json:"agent_version"`
	PlanRevision  int64    `json:"plan_revision"`
	CurrentItem   int64    `json:"current_item,omitempty"` // playlist item ID on screen, 0 for none
	CurrentAsset  string   `json:"current_asset,omitempty"`
	Fallback      string   `json:"fallback,omitempty"`      // why the fallback shows, when it does
	FallbackCode  string   `json:"fallback_code,omitempty"` // the same as a code: FallbackNoPlan, …
	TargetFPS     float64  `json:"target_fps"`
	AchievedFPS   float64  `json:"achieved_fps"`
	FramesDropped int64    `json:"frames_dropped"`
	Frozen        bool     `json:"frozen"` // the same frame for longer than the plan says
	DriverState   string   `json:"driver_state"`
	DriverError   string   `json:"driver_error,omitempty"`
	ClockOffsetMS float64  `json:"clock_offset_ms"` // controller time − agent time
	ClockRTTMS    float64  `json:"clock_rtt_ms"`
	CacheBytes    int64    `json:"cache_bytes"`
	SyncDone      int64    `json:"sync_done_bytes"`  // of the plan's assets (what the next 48 h need is fetched first)
	SyncTotal     int64    `json:"sync_total_bytes"` // idem
	Missing       []string `json:"missing_assets,omitempty"`
	DiskFreeBytes int64    `json:"disk_free_bytes"`
	MemoryBytes   int64    `json:"memory_bytes"`
	CPUTempC      *float64 `json:"cpu_temp_c,omitempty"`    // absent where the board has no sensor
	PlayDropped   int64    `json:"play_records_dropped"`    // proof-of-play records lost to the bound
	StorageError  string   `json:"storage_error,omitempty"` // the last failed write (a full disk), until one succeeds
	// DriverMode is what a video output (hdmi) drives: backend, device,
	// connector, mode, pixel format and window. Absent for other drivers.
	DriverMode string `json:"driver_mode,omitempty"`
	// BrightnessOverride is the level a brightness command set, until
	// BrightnessUntil; both absent when the panel is at its profile's level.
	BrightnessOverride *int       `json:"brightness_override,omitempty"`
	BrightnessUntil    *time.Time `json:"brightness_until,omitempty"`
	// Brightness is the level the panel is driven at now (override, plan
	// window, day/night, or the profile's level), percent.
	Brightness *int `json:"brightness,omitempty"`
	// BrightnessSource says where Brightness comes from: LevelOverride,
	// LevelWindow, LevelDay, LevelNight or LevelProfile. Absent from agents
	// older than the field.
	BrightnessSource string `json:"brightness_source,omitempty"`
	// PowerOff: the plan's power windows have the screen off now.
	PowerOff bool `json:"power_off,omitempty"`
	// PlanRefused says why the newest plan the controller sent was not
	// taken (a schema this agent does not read, a panel of another size);
	// the agent keeps playing the plan it has. PlanRefusedRevision is that
	// plan's revision. Both absent once a plan is taken.
	PlanRefused         string    `json:"plan_refused,omitempty"`
	PlanRefusedRevision int64     `json:"plan_refused_revision,omitempty"`
	At                  time.Time `json:"at"`
}

func (h *Health) Validate() error {
	if h.At.IsZero() {
		return errors.New(`"at" is required`)
	}
	return nil
}

// Driver states an agent reports in Health.DriverState (its player sets
// them); a newer agent may send others.
const (
	DriverStarting    = "starting"     // no frame drawn yet
	DriverOK          = "ok"           // the schedule (or its fallback) is on the panel
	DriverFailing     = "error"        // the last frame failed: Health.DriverError says why
	DriverBlanked     = "blanked"      // a blank command holds the panel black
	DriverIdentify    = "identify"     // an identify command flashes the panel
	DriverTestPattern = "test_pattern" // a test_pattern command drives the panel
)

// DriverStates are the driver states above, for metrics that count by state.
var DriverStates = []string{DriverStarting, DriverOK, DriverFailing, DriverBlanked, DriverIdentify, DriverTestPattern}

// Fallbacks are the fallback codes below.
var Fallbacks = []string{FallbackNoPlan, FallbackNoEntry, FallbackNothingPlayable}

// Why a screen shows its fallback, for a UI to say in its language.
const (
	FallbackNoPlan          = "no_plan"          // the agent has no plan yet
	FallbackNoEntry         = "no_entry"         // no schedule entry applies now
	FallbackNothingPlayable = "nothing_playable" // entries apply but their content is missing or broken
)

// LevelOverride is the brightness source of a manual override (a
// brightness command); the plan's sources are in device.go.
const LevelOverride = "override"

// Screenshot is the panel's last frame as a PNG at panel resolution.
type Screenshot struct {
	At  time.Time `json:"at"`
	PNG []byte    `json:"png"` // base64 in JSON
}

func (s *Screenshot) Validate() error {
	if len(s.PNG) < 8 || string(s.PNG[1:4]) != "PNG" {
		return errors.New(`"png" is not a PNG image`)
	}
	return nil
}

// PlayRecord is one proof-of-play record: an item shown from Start to End.
type PlayRecord struct {
	ID           string    `json:"id"` // unique; the controller deduplicates by it
	Display      int64     `json:"display"`
	PlanRevision int64     `json:"plan_revision"`
	Entry        int64     `json:"entry"`
	Item         int64     `json:"item"`
	Media        int64     `json:"media"`
	Campaign     int64     `json:"campaign,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
}

// PlayRecords is a batch of proof-of-play records; the controller acks it
// once stored.
type PlayRecords struct {
	Records []PlayRecord `json:"records"`
	Dropped int64        `json:"dropped"` // records the agent had to drop, since it started counting
}

// Validate checks the batch, not its records: the controller accepts or
// refuses each record on its own and acknowledges the batch either way, so
// one bad record (a clock step that ends it before it starts) cannot hold
// back the records journaled after it, resent forever.
func (p *PlayRecords) Validate() error {
	if p.Dropped < 0 {
		return fmt.Errorf("dropped %d is negative", p.Dropped)
	}
	return nil
}

// MaxPlayRecordID bounds a record's id.
const MaxPlayRecordID = 128

// Commands the controller can send.
const (
	CmdIdentify    = "identify"     // flash the panel so a technician finds it
	CmdTestPattern = "test_pattern" // Args: pattern (bars, grid, gradient, walk, solid:#RRGGBB, text:…), seconds (1–3600, default 30; 0 stops a test pattern now)
	CmdBlank       = "blank"
	CmdUnblank     = "unblank"
	CmdBrightness  = "brightness" // Args: percent (0–100), seconds (1–604800, default 3600), then back to the profile's level
	CmdResync      = "resync"     // verify and re-fetch the cache
	CmdRestart     = "restart_player"
	CmdScreenshot  = "screenshot"
)

// Command is a remote command.
type Command struct {
	Name string            `json:"name"`
	Args map[string]string `json:"args,omitempty"`
}

func (c *Command) Validate() error {
	switch c.Name {
	case CmdIdentify, CmdTestPattern, CmdBlank, CmdUnblank, CmdBrightness, CmdResync, CmdRestart, CmdScreenshot:
		return nil
	}
	return fmt.Errorf("command %q is not known", c.Name)
}

// CommandResult answers a command (Ref is the command message's id).
type CommandResult struct {
	Ref   string `json:"ref"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func (c *CommandResult) Validate() error {
	if c.Ref == "" {
		return errors.New(`"ref" is required`)
	}
	return nil
}
