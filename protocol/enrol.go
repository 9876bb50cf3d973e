package protocol

// The agent's HTTP endpoints beside the websocket (Path): both binaries
// build them from here.
const (
	// EnrollPath is where an agent exchanges a one-time enrolment code
	// for its device credential (POST, JSON EnrollRequest → EnrollResponse).
	EnrollPath = "/agent/v1/enroll"
	// AssetsPath, followed by an asset's SHA-256 in hex, is where an agent
	// fetches an asset of its plans (GET, with its credential).
	AssetsPath = "/agent/v1/assets/"
)

// EnrollRequest is what `pano-agent enroll` sends.
type EnrollRequest struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Profile      string `json:"profile"`
	Panel        Panel  `json:"panel"`
	AgentVersion string `json:"agent_version"`
}

// EnrollResponse carries the device credential, shown only this once.
type EnrollResponse struct {
	DisplayID   int64  `json:"display_id"`
	DisplayName string `json:"display_name"`
	Credential  string `json:"credential"`
	// Controllers is Welcome.Controllers, for the agent's first start
	// (protocol 1.1); absent: the address it enrolled with.
	Controllers []string `json:"controllers,omitempty"`
}
