package agentapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/testdb"
	"github.com/pano-signage/pano/protocol"
)

// advertised is the controllers' list the tests' API hands out (serve
// --advertise).
var advertised = []string{"ws://127.0.0.1:8080", "wss://pano-2.example.vn"}

func setup(t *testing.T) (*API, *echo.Echo, *store.Store, string) {
	t.Helper()
	ctx := context.Background()
	st := testdb.Open(t, t.TempDir())
	d, err := st.CreateDisplay(ctx, store.System, store.Display{Name: "truong-hoc", Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		t.Fatal(err)
	}
	code := auth.NewEnrolmentCode()
	if _, err := st.CreateEnrolmentCode(ctx, store.System, d.ID, auth.HashToken(code), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), advertised)
	e := echo.New()
	a.Register(e)
	return a, e, st, code
}

func post(e *echo.Echo, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, protocol.EnrollPath, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.7:4000"
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestEnrolment(t *testing.T) {
	a, e, _, code := setup(t)
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"not json", `{code`, 400, "JSON enrolment request"},
		{"unknown field", `{"code":"x","panel":{"width":64,"height":32},"colour":1}`, 400, "unknown field"},
		{"no code", `{"panel":{"width":64,"height":32}}`, 400, "ask a technician"},
		{"bad panel", `{"code":"x","panel":{"width":0,"height":32}}`, 400, "width and height"},
		{"wrong code", `{"code":"AAAA-BBBB-CCCC","panel":{"width":64,"height":32}}`, 401, "wrong, used or expired"},
		{"panel mismatch", `{"code":"` + code + `","panel":{"width":128,"height":64}}`, 409, "is 64×32 but this agent's panel is 128×64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(e, tc.body)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s; want %d and %q", rec.Code, rec.Body, tc.status, tc.want)
			}
		})
	}
	// The right code, in lower case with spaces, works once.
	rec := post(e, `{"code":" `+strings.ToLower(code)+` ","panel":{"width":64,"height":32}}`)
	var out protocol.EnrollResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil || !strings.HasPrefix(out.Credential, CredentialPrefix) || out.DisplayName != "truong-hoc" ||
		!slices.Equal(out.Controllers, advertised) {
		t.Fatalf("enrol: %d %s", rec.Code, rec.Body)
	}
	if rec := post(e, `{"code":"`+code+`","panel":{"width":64,"height":32}}`); rec.Code != 401 {
		t.Fatalf("second use of a code: %d %s", rec.Code, rec.Body)
	}
	// The credential authenticates the display.
	req := httptest.NewRequest("GET", "/agent/v1/ws", nil)
	req.Header.Set("Authorization", "Bearer "+out.Credential)
	if d, err := a.Display(req); err != nil || d.Name != "truong-hoc" {
		t.Fatalf("credential: %+v %v", d, err)
	}
	req.Header.Set("Authorization", "Bearer "+CredentialPrefix+"guess")
	if _, err := a.Display(req); err == nil {
		t.Fatal("a guessed credential was accepted")
	}
}

func TestEnrolmentIsThrottledPerAddress(t *testing.T) {
	_, e, _, code := setup(t)
	for i := 0; i < 20; i++ {
		post(e, `{"code":"AAAA-BBBB-CCCC","panel":{"width":64,"height":32}}`)
	}
	// Even the right code waits now: guessing must not pay.
	rec := post(e, `{"code":"`+code+`","panel":{"width":64,"height":32}}`)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after 20 wrong codes: %d %s", rec.Code, rec.Body)
	}
}
