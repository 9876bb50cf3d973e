package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/labstack/echo/v4"
)

// testErr is a coded error with optional extra fields, as the API's are.
type testErr struct {
	status int
	code   string
	fields map[string]any
}

func (e testErr) Error() string                { return "refused: " + e.code }
func (e testErr) HTTPStatus() int              { return e.status }
func (e testErr) ErrorCode() string            { return e.code }
func (e testErr) ErrorDetails() map[string]any { return e.fields }

// plainFielded has fields but no code: an internal error, whose fields
// must not reach the client.
type plainFielded struct{}

func (e plainFielded) Error() string { return "secret internals" }
func (e plainFielded) ErrorDetails() map[string]any {
	return map[string]any{"roles": []string{"admin"}}
}

func TestErrorHandlerAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		want   map[string]any
	}{
		{"coded", testErr{status: 409, code: "conflict"}, 409,
			map[string]any{"code": "conflict", "message": "refused: conflict"}},
		{"coded with roles", testErr{status: 403, code: "forbidden", fields: map[string]any{"roles": []string{"approver", "admin"}}}, 403,
			map[string]any{"code": "forbidden", "message": "refused: forbidden", "roles": []any{"approver", "admin"}}},
		{"wrapped, fields cannot replace code or message", fmt.Errorf("x: %w", testErr{status: 403, code: "forbidden", fields: map[string]any{"code": "ok", "message": "fine", "n": 1}}), 403,
			map[string]any{"code": "forbidden", "message": "refused: forbidden", "n": float64(1)}},
		{"internal error with fields shows neither", plainFielded{}, 500,
			map[string]any{"code": "internal", "message": "internal error; see the controller log"}},
		{"echo error", echo.NewHTTPError(http.StatusNotFound, "no such page"), 404,
			map[string]any{"code": "not_found", "message": "no such page"}},
		{"plain error", errors.New("disk on fire"), 500,
			map[string]any{"code": "internal", "message": "internal error; see the controller log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			h := errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
			rec := httptest.NewRecorder()
			c := e.NewContext(httptest.NewRequest(http.MethodGet, "/api/v1/x", nil), rec)
			h(tc.err, c)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			var got struct{ Error map[string]any }
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			if !reflect.DeepEqual(got.Error, tc.want) {
				t.Errorf("answer %v, want %v", got.Error, tc.want)
			}
		})
	}
}
