package apiclient

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestLoginThenCallsCarryTheSessionAndCSRF: after Login, calls carry the
// session cookie and the CSRF token; a refusal is an error with its status
// and body.
func TestLoginThenCallsCarryTheSessionAndCSRF(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/session":
			var in map[string]string
			json.NewDecoder(r.Body).Decode(&in)
			if in["password"] != DemoPassword {
				http.Error(w, `{"error":"bad password"}`, http.StatusUnauthorized)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "s", Value: in["name"], Path: "/"})
			w.Write([]byte(`{"csrf_token":"t0k"}`))
		case "/api/v1/displays":
			if c, err := r.Cookie("s"); err != nil || c.Value != "technician" || r.Header.Get("X-CSRF-Token") != "t0k" {
				http.Error(w, `{"error":"no session"}`, http.StatusForbidden)
				return
			}
			w.Write([]byte(`{"id":7}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := New(srv.URL, 5*time.Second)
	if err := c.Call("POST", "/displays", map[string]any{"name": "x"}, nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a call before Login: %v, want 403", err)
	}
	if err := c.Login("technician"); err != nil {
		t.Fatal(err)
	}
	var out struct{ ID int64 }
	if err := c.Call("POST", "/displays", map[string]any{"name": "x"}, &out); err != nil || out.ID != 7 {
		t.Fatalf("after Login: %+v, %v", out, err)
	}
}
