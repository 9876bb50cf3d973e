// Package apiclient is a user of the controller's REST API: a session
// cookie and its CSRF token, JSON in and out. The benches (syncbench,
// loadgen) and the fault harness drive a controller started with --demo
// through it, as the demo's accounts.
package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// DemoPassword is the password of every account `serve --demo` creates.
const DemoPassword = "pano-demo-57"

// Client calls the API of the controller at Base (http://host:port).
type Client struct {
	Base string
	// Prefix starts every path given to Call and Do: "/api/v1" from New;
	// empty for the agent's endpoints.
	Prefix string
	HTTP   *http.Client
	CSRF   string // sent on every call once Login took it
}

// New returns a client of the API at base whose calls give up after timeout.
func New(base string, timeout time.Duration) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Base: base, Prefix: "/api/v1", HTTP: &http.Client{Jar: jar, Timeout: timeout}}
}

// Login opens a session as the demo account name.
func (c *Client) Login(name string) error {
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := c.Call("POST", "/session", map[string]any{"name": name, "password": DemoPassword}, &out); err != nil {
		return err
	}
	c.CSRF = out.CSRF
	return nil
}

// Call sends in (if not nil) as JSON to path and decodes the answer into
// out (if not nil).
func (c *Client) Call(method, path string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		j, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(j), "application/json"
	}
	return c.Do(method, path, ctype, body, out)
}

// Do sends body of type ctype to path; an answer other than 2xx is an
// error that carries its status and body.
func (c *Client) Do(method, path, ctype string, body io.Reader, out any) error {
	req, err := http.NewRequest(method, c.Base+c.Prefix+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Plan is the display's stored plan, as GET /displays/{id}/plan shows it.
func (c *Client) Plan(display int64) (protocol.Plan, error) {
	var out struct{ Plan protocol.Plan }
	err := c.Call("GET", fmt.Sprintf("/displays/%d/plan", display), nil, &out)
	return out.Plan, err
}

// Health is the latest health report of the display's agent, or an error
// while there is none.
func (c *Client) Health(display int64) (*protocol.Health, error) {
	var d struct {
		Agent *struct{ Health *protocol.Health }
	}
	if err := c.Call("GET", fmt.Sprintf("/displays/%d", display), nil, &d); err != nil {
		return nil, err
	}
	if d.Agent == nil || d.Agent.Health == nil {
		return nil, errors.New("no health yet")
	}
	return d.Agent.Health, nil
}
