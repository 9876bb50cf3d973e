package protocol

import (
	"fmt"
	"net/url"
	"strings"
)

// MaxControllers bounds the list of controller addresses an agent holds:
// a few replicas, not a fleet.
const MaxControllers = 16

// ControllerURL checks one controller address as agents dial it,
// ws://HOST:PORT or wss://HOST (no path, query or credentials), and returns
// it without a trailing slash.
func ControllerURL(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("controller address %q must look like ws://HOST:PORT or wss://HOST", s)
	}
	return s, nil
}

// ControllerList checks a list of controller addresses (as sent in Welcome
// and EnrollResponse, or given comma-separated on a command line): each one
// as ControllerURL, at most MaxControllers, duplicates dropped, order kept.
func ControllerList(addrs []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range addrs {
		u, err := ControllerURL(a)
		if err != nil {
			return nil, err
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	if len(out) > MaxControllers {
		return nil, fmt.Errorf("%d controller addresses: at most %d", len(out), MaxControllers)
	}
	return out, nil
}

// SplitControllers is ControllerList of a comma-separated string; an empty
// string is an empty list.
func SplitControllers(s string) ([]string, error) {
	var parts []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return ControllerList(parts)
}
