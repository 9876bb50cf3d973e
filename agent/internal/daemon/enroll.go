package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/pano-signage/pano/protocol"
)

// ErrUnreachable is Enroll's error when no answer came: the code is unspent
// unless the request reached a controller whose answer was lost.
var ErrUnreachable = errors.New("cannot reach the controller")

// Enroll asks the controller for a credential and saves the agent's state.
func Enroll(ctx context.Context, cfg Config, req protocol.EnrollRequest, client *http.Client) (protocol.EnrollResponse, error) {
	var out protocol.EnrollResponse
	body, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.HTTPBase()+protocol.EnrollPath, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		return out, fmt.Errorf("%w %s: %w", ErrUnreachable, cfg.Controller, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return out, fmt.Errorf("the controller refused the enrolment: %s", e.Error.Message)
		}
		return out, fmt.Errorf("the controller refused the enrolment: %s", resp.Status)
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Credential == "" || out.DisplayID < 1 {
		return out, fmt.Errorf("the controller's answer is not an enrolment: %s", bytes.TrimSpace(data))
	}
	return out, nil
}
