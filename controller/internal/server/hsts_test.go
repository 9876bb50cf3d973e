package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHSTSOnlyUnderTLS: a response served over TLS tells browsers to use
// HTTPS only for a year; one over plain HTTP does not (issue 12.8).
func TestHSTSOnlyUnderTLS(t *testing.T) {
	e := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	for _, tc := range []struct {
		name string
		srv  *httptest.Server
		want string
	}{
		{"tls", httptest.NewTLSServer(e), "max-age=31536000"},
		{"plain", httptest.NewServer(e), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.srv.Close()
			resp, err := tc.srv.Client().Get(tc.srv.URL + "/content")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); got != tc.want {
				t.Fatalf("Strict-Transport-Security %q, want %q", got, tc.want)
			}
		})
	}
}
