package daemon

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/pano-signage/pano/agent/internal/atomicfile"
	"github.com/pano-signage/pano/protocol"
)

// Files in the state directory.
const (
	ConfigFile     = "agent.json" // Config
	CredentialFile = "credential" // the device credential, mode 0600
	PlanFile       = "plan.json"  // the newest accepted plan
	SourceIDFile   = "source-id"  // this agent's identity on the LED network (a UUID)
)

// SourceID is this agent's identity as a source on the LED network (the
// E1.31 CID): a random UUID made on the agent's first run and kept in the
// state directory, so that it is the same across restarts and differs
// between two agents, even on one machine.
func SourceID(dir string) (string, error) {
	path := filepath.Join(dir, SourceIDFile)
	data, err := os.ReadFile(path)
	if err == nil {
		if id := strings.TrimSpace(string(data)); len(id) == 36 {
			return id, nil
		}
		return "", fmt.Errorf("%s holds %q, not a UUID: delete it and the agent makes a new one", path, data)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4, random
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	if err := atomicfile.WriteFile(path, []byte(id+"\n"), 0o644); err != nil {
		return "", err
	}
	return id, nil
}

// Config is what `pano-agent enroll` writes and `pano-agent run` reads.
type Config struct {
	Controller string `json:"controller"` // ws:// or wss:// base URL the agent enrolled with
	// Controllers is every controller replica's address, from the
	// enrolment answer and then from each welcome that carries a list;
	// empty: Controller alone (an agent enrolled before 1.1, or with a
	// controller run without --advertise).
	Controllers []string `json:"controllers,omitempty"`
	// LastController is the address that last welcomed the agent: it
	// dials it first at its next start. Empty: one of Controllers at
	// random (see Dial).
	LastController string   `json:"last_controller,omitempty"`
	CAFile         string   `json:"ca_file,omitempty"`
	DisplayID      int64    `json:"display_id"`
	Name           string   `json:"name"`
	Profile        string   `json:"profile"`
	Settings       []string `json:"settings,omitempty"` // KEY=VALUE profile overrides
	FPS            int      `json:"fps,omitempty"`
	CacheMB        int64    `json:"cache_mb,omitempty"` // disk quota for the cache (default 2048)
}

// Validate checks a config read from disk.
func (c *Config) Validate() error {
	if _, err := protocol.ControllerURL(c.Controller); err != nil {
		return err
	}
	if _, err := protocol.ControllerList(c.Controllers); err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	if c.LastController != "" {
		if _, err := protocol.ControllerURL(c.LastController); err != nil {
			return fmt.Errorf("last_controller: %w", err)
		}
	}
	if c.DisplayID < 1 {
		return errors.New("display_id is missing: enrol the agent with `pano-agent enroll`")
	}
	if c.Profile == "" {
		return errors.New("profile is missing")
	}
	return nil
}

// HTTPBase is the http(s) URL of the controller the agent enrolled with.
func (c *Config) HTTPBase() string { return HTTPBase(c.Controller) }

// HTTPBase is the http(s) URL matching a controller's ws(s) one.
func HTTPBase(controller string) string {
	s := strings.TrimRight(controller, "/")
	if rest, ok := strings.CutPrefix(s, "wss://"); ok {
		return "https://" + rest
	}
	return "http://" + strings.TrimPrefix(s, "ws://")
}

// Dial is the list of controllers the agent knows and the one to dial
// first: the last that welcomed it; before any did (just enrolled), one at
// random, so that the screens of a district enrolled through one replica
// spread over all from their first start.
func (c *Config) Dial() (first string, list []string) {
	list = c.Controllers
	if len(list) == 0 {
		list = []string{c.Controller}
	}
	if c.LastController != "" {
		return c.LastController, list
	}
	return list[mathrand.IntN(len(list))], list
}

// TLSConfig uses the system roots, plus CAFile when set.
func (c *Config) TLSConfig() (*tls.Config, error) {
	if c.CAFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", c.CAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// LoadConfig reads the config and credential from the state directory.
func LoadConfig(dir string) (Config, string, error) {
	var c Config
	data, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return c, "", fmt.Errorf("%s has no %s: enrol this agent first with `pano-agent enroll --controller URL --code CODE --state %s`", dir, ConfigFile, dir)
	}
	if err != nil {
		return c, "", err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, "", fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	if err := c.Validate(); err != nil {
		return c, "", fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	cred, err := os.ReadFile(filepath.Join(dir, CredentialFile))
	if err != nil {
		return c, "", fmt.Errorf("credential: %w (enrol the agent again)", err)
	}
	return c, strings.TrimSpace(string(cred)), nil
}

// SaveConfig writes the config and credential atomically; the credential is
// readable by the agent's user only.
func SaveConfig(dir string, c Config, credential string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CredentialFile), []byte(credential+"\n"), 0o600); err != nil {
		return err
	}
	return writeConfig(dir, c)
}

// writeConfig replaces the config file atomically: a power cut leaves the
// old controllers' list or the new, never a config the agent cannot read.
func writeConfig(dir string, c Config) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ConfigFile), append(data, '\n'), 0o644)
}

// LoadPlan reads the saved plan; a missing or invalid one yields nil.
func LoadPlan(dir string) (*protocol.Schedule, error) {
	data, err := os.ReadFile(filepath.Join(dir, PlanFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p protocol.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("saved plan: %w", err)
	}
	return protocol.Compile(&p)
}

// SavePlan writes the plan atomically.
func SavePlan(dir string, p *protocol.Plan) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, PlanFile), data, 0o644)
}
