// Package api is the controller's REST API under /api/v1: one route table
// (routes.go) from which the routes, their authorization, the OpenAPI
// document and the authorization matrix test are all made.
package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/alerts"
	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/server"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/protocol"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Cookie and header names.
const (
	SessionCookie = "pano_session"
	CSRFHeader    = "X-CSRF-Token"
)

// Agents is the hub as the display handlers see it: who is online now, and
// how to reach them.
type Agents interface {
	Agents() []hub.AgentInfo
	Command(displayID int64, cmd protocol.Command) (string, error)
	Revoke(displayID int64)
}

// Renderer is the content pipeline as the handlers see it: told when
// media or displays changed, it queues the renditions now needed.
type Renderer interface {
	Kick(ctx context.Context) error
}

// Options configure the API; zero values take the defaults.
type Options struct {
	Log     *slog.Logger
	Store   *store.Store // the API uses most of the store: an interface would only restate it
	Hub     Agents
	Results Results                              // command results; nil: commands answer "pending"
	Alerts  interface{ Alerts() []alerts.Alert } // screens gone dark; nil: none
	Events  Events                               // live changes for dashboards; nil: the stream ends at once
	// KeepAlive is how often an idle event stream gets a comment, so
	// proxies and browsers keep it open (default 20 s).
	KeepAlive time.Duration
	Now       func() time.Time
	// Location is where reports count days (default Asia/Ho_Chi_Minh).
	Location *time.Location
	// Previews makes the plans the timelines evaluate (the plan service);
	// nil: the timeline routes answer 503.
	Previews Previews
	// CAP polls the CAP emergency feeds; nil: polling now and publishing
	// answer 503.
	CAP CAPFeeds

	// Assets holds uploads and renditions; Pipeline makes renditions
	// (nil: nothing is queued, as in tests of other routes).
	Assets   *assets.Store
	Pipeline Renderer
	Limits   assets.Limits // upload limits; zero fields take assets.DefaultLimits
	Tools    assets.Tools  // ffprobe for uploaded videos
	// Decode bounds the memory of image decodes (uploads, previews,
	// thumbnails), shared with the pipeline; a request waits for room at
	// most DecodeWait (default 5 s), then is answered 503 decode_busy.
	// nil: unbounded.
	Decode     *assets.Budget
	DecodeWait time.Duration
	// UnitQuota bounds the bytes a unit's media take in the asset store
	// (originals and renditions, see store.UnitStorageBytes); 0: none.
	UnitQuota int64

	SecureCookies bool          // set under TLS
	IdleTimeout   time.Duration // session idle expiry (default 2 h)
	// SessionLifetime ends a session this long after login however
	// active it is (default 12 h).
	SessionLifetime time.Duration
	Passwords       auth.Params // for new password hashes (default auth.DefaultParams)
	MaxBody         int64       // request body limit in bytes (default 1 MiB)
	// Failed logins are throttled per (account, address) and per address,
	// never per account alone: an attacker elsewhere must not lock the
	// owner out (issue 12.5).
	AccountLimit int           // failed logins per account from one address per window (default 5)
	AddressLimit int           // failed logins from one address, all accounts, per window (default 20)
	ThrottleFor  time.Duration // the throttle window (default 15 min)
	CodeLifetime time.Duration // enrolment code validity (default 24 h)
}

// API serves /api/v1.
type API struct {
	o             Options
	byAccountAddr throttle // key: account + "\x00" + address
	byAddress     throttle
	dummyHash     string // checked when the account does not exist, for equal timing
	// hashing bounds concurrent argon2id checks: each takes 64 MiB, and a
	// burst of logins must not exhaust a small machine's memory.
	hashing chan struct{}
	// previewing bounds concurrent previews (see previewSlot); previewers
	// has a slot of one for each user, so one person cannot take them all.
	previewing chan struct{}
	previewMu  sync.Mutex
	previewers map[int64]chan struct{}
	// decoding is Options.Decode as a request may wait for it; previews
	// keeps the PNGs of recent on-demand previews.
	decoding *assets.Budget
	previews *previewCache
}

// throttle counts failed logins per key. auth.Throttle keeps them in the
// database, so that every replica counts the same failures: one code path
// for a single controller and for replicas.
type throttle interface {
	Blocked(ctx context.Context, key string) (bool, time.Duration, error)
	Fail(ctx context.Context, key string) error
	Reset(ctx context.Context, key string) error
}

var _ throttle = (*auth.Throttle)(nil)

// New returns the API with defaults filled in.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location, _ = time.LoadLocation("Asia/Ho_Chi_Minh")
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 2 * time.Hour
	}
	if o.SessionLifetime == 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = 20 * time.Second
	}
	if o.Passwords == (auth.Params{}) {
		o.Passwords = auth.DefaultParams
	}
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	if o.AccountLimit == 0 {
		o.AccountLimit = 5
	}
	if o.AddressLimit == 0 {
		o.AddressLimit = 20
	}
	if o.ThrottleFor == 0 {
		o.ThrottleFor = 15 * time.Minute
	}
	if o.CodeLifetime == 0 {
		o.CodeLifetime = 24 * time.Hour
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	d := assets.DefaultLimits()
	for _, f := range []struct{ v, def *int64 }{{&o.Limits.MaxImageBytes, &d.MaxImageBytes}, {&o.Limits.MaxVideoBytes, &d.MaxVideoBytes},
		{&o.Limits.MaxPixels, &d.MaxPixels}, {&o.Limits.MaxVideoPixels, &d.MaxVideoPixels}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if o.Limits.MaxVideoDuration <= 0 {
		o.Limits.MaxVideoDuration = d.MaxVideoDuration
	}
	if o.Limits.ProbeTimeout <= 0 {
		o.Limits.ProbeTimeout = d.ProbeTimeout
	}
	if o.DecodeWait <= 0 {
		o.DecodeWait = 5 * time.Second
	}
	dummy, _ := auth.HashPassword("not a password", o.Passwords)
	return &API{
		o:             o,
		byAccountAddr: auth.NewThrottle(o.Store, "login account+address", o.AccountLimit, o.ThrottleFor, o.Now),
		byAddress:     auth.NewThrottle(o.Store, "login address", o.AddressLimit, o.ThrottleFor, o.Now),
		dummyHash:     dummy,
		hashing:       make(chan struct{}, max(2, runtime.NumCPU())),
		previewing:    make(chan struct{}, 2),
		previewers:    map[int64]chan struct{}{},
		decoding:      o.Decode.Wait(o.DecodeWait),
		previews:      newPreviewCache(previewCacheBytes),
	}
}

// Register adds every route of the table to e.
func (a *API) Register(e *echo.Echo) {
	for _, rt := range a.Routes() {
		e.Add(rt.Method, rt.Path, a.wrap(rt))
	}
	// Agents fetch renditions with their device credential, outside the
	// user API and its route table.
	e.GET(protocol.AssetsPath+":sha256", a.agentAsset)
	e.HEAD(protocol.AssetsPath+":sha256", a.agentAsset)
}

// Error is an API error: a status, a stable code for programs (and for the
// dashboard, which shows its own words for each code), a message in
// English for people reading the API, and optional details. The server's
// error handler writes it as {"error":{"code","message",…Details}}: each
// detail is one more member of the error object, for example
// "field" (the input at fault, see at) or "params" (the values the message
// names, see with), so that a client need not parse the message.
type Error struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string   { return e.Message }
func (e *Error) HTTPStatus() int { return e.Status }
func (e *Error) ErrorCode() string {
	return e.Code
}

// ErrorDetails are the members the error object carries besides code and
// message.
func (e *Error) ErrorDetails() map[string]any { return e.Details }

// detail returns a copy of e with the detail key set to v; e itself, which
// may be a shared variable, is left alone.
func (e *Error) detail(key string, v any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, x := range e.Details {
		c.Details[k] = x
	}
	c.Details[key] = v
	return &c
}

// at names the input field at fault ("field" in the answer).
func (e *Error) at(field string) *Error { return e.detail("field", field) }

// with adds name=value to the values the message names ("params" in the
// answer). A client fills {name} in its own words for the code with them.
func (e *Error) with(name string, value any) *Error {
	params := map[string]any{}
	if p, ok := e.Details["params"].(map[string]any); ok {
		for k, v := range p {
			params[k] = v
		}
	}
	params[name] = value
	return e.detail("params", params)
}

// withAll adds every value of params (nil: none).
func (e *Error) withAll(params map[string]any) *Error {
	for k, v := range params {
		e = e.with(k, v)
	}
	return e
}

// errf makes an API error. code must be a string literal (or an assets
// code constant): TestErrorCodesTranslated reads the sources for every
// code the API can answer with and checks the dashboard has words for it.
func errf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalid is a 400 for input a person got wrong, with its specific code.
func invalid(code, format string, args ...any) *Error {
	return errf(http.StatusBadRequest, code, format, args...)
}

// badRequest is a 400 for a request no form of the dashboard sends
// (malformed JSON, unknown fields or query parameters): a program's
// mistake, with the generic code bad_request.
func badRequest(format string, args ...any) *Error {
	return errf(http.StatusBadRequest, "bad_request", format, args...)
}

func notFound(what string, id int64) *Error {
	return errf(http.StatusNotFound, "not_found", "%s %d does not exist", what, id)
}

// forbidden refuses a caller whose role is not one of roles, and names
// them: "this needs the role approver or admin", with "roles" in the answer
// so that the UI can say whom to ask.
func forbidden(roles []string) *Error {
	names := strings.Join(roles, ", ")
	if n := len(roles); n > 1 {
		names = strings.Join(roles[:n-1], ", ") + " or " + roles[n-1]
	}
	return errf(http.StatusForbidden, "forbidden", "this needs the role %s", names).detail("roles", slices.Clone(roles))
}

// assetErr turns an *assets.Error (a refusal the client caused) into an
// API error with the same code and message; other errors stay internal.
func assetErr(err error) error {
	if errors.Is(err, assets.ErrDecodeBusy) {
		return errDecodeBusy
	}
	if e, ok := assets.AsError(err); ok {
		return errf(e.HTTPStatus(), e.Code, "%s", e.Message)
	}
	return err
}

// storeErr maps a store error to an API error with the store's code and
// params; anything unexpected stays an internal error (logged, never
// shown).
func storeErr(err error, what string, id int64) error {
	var se *store.StateError
	var ce *store.ConflictError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		e := errf(http.StatusConflict, "invalid_state", "%s %d: %s", what, id, se.Msg).withAll(se.Params)
		if se.Code != "" {
			e.Code = se.Code
		}
		return e
	case errors.As(err, &ce):
		e := errf(http.StatusConflict, "conflict", "%s", ce.Msg).withAll(ce.Params)
		if ce.Code != "" {
			e.Code = ce.Code
		}
		return e
	case errors.Is(err, store.ErrNotFound):
		if id == 0 {
			return errf(http.StatusNotFound, "not_found", "%s does not exist", what)
		}
		return notFound(what, id)
	}
	return err
}

// principal is the authenticated caller.
type principal struct {
	User    store.User
	Session *store.Session // nil when authenticated by a bearer token
	TokenID int64
	Scopes  []string // the token's scopes; nil for a session
	Addr    string
}

func (p *principal) actor() store.Actor {
	return store.Actor{UserID: p.User.ID, Name: p.User.Name, Addr: p.Addr}
}

// unitScoped roles see only their own unit's media and playlists; the
// others see every unit's.
func unitScoped(role string) bool { return role == store.RoleEditor || role == store.RoleViewer }

func (p *principal) sees(unitID int64) bool {
	return !unitScoped(p.User.Role) || p.User.UnitID == unitID
}

// units returns the units whose objects p may list, nil meaning all.
func (p *principal) units() []int64 {
	if unitScoped(p.User.Role) {
		return []int64{p.User.UnitID}
	}
	return nil
}

func remoteAddr(r *http.Request) string {
	// The direct peer, not X-Forwarded-For: a client could forge that to
	// dodge the per-address throttle. A reverse proxy setup would need an
	// explicit trusted-proxy option.
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// wrap authenticates, checks CSRF and role, then runs the handler.
func (a *API) wrap(rt Route) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		if rt.Roles == nil {
			if err := checkQuery(c, rt); err != nil {
				return err
			}
			return rt.handle(c, nil)
		}
		p, err := a.authenticate(c)
		if err != nil {
			return err
		}
		if p.Session != nil && !isSafe(c.Request().Method) {
			got := c.Request().Header.Get(CSRFHeader)
			if subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRFToken)) != 1 {
				return errf(http.StatusForbidden, "csrf", "missing or wrong %s header; take it from POST %s/session or GET %s/me", CSRFHeader, Prefix, Prefix)
			}
		}
		allowed := false
		for _, r := range rt.Roles {
			allowed = allowed || r == p.User.Role
		}
		if !allowed {
			return forbidden(rt.Roles)
		}
		if p.TokenID != 0 {
			if need := scopeOf(rt); !slices.Contains(p.Scopes, need) {
				return errf(http.StatusForbidden, "token_scope", "this API token lacks the scope %s that %s needs; create a token with it", need, rt.Name).with("scope", need)
			}
		}
		if err := checkQuery(c, rt); err != nil {
			return err
		}
		err = rt.handle(c, p)
		if e, ok := err.(*Error); ok && (e.Code == "busy" || e.Code == "decode_busy") {
			// Busy is for a moment: tell clients when to come back.
			c.Response().Header().Set("Retry-After", strconv.Itoa(retryBusy))
		}
		return err
	}
}

// errTooSlow answers a request whose body arrived too slowly (see
// server.ClientLimits); the connection is closed after it.
var errTooSlow = errf(http.StatusRequestTimeout, "too_slow",
	"the request arrived too slowly and the connection was closed; check the network and send it again")

// retryBusy is the Retry-After, in seconds, of a 503 busy answer.
const retryBusy = 5

// errDecodeBusy answers a request whose image decode found no room in the
// decode budget in time (see Options.Decode).
var errDecodeBusy = errf(http.StatusServiceUnavailable, "decode_busy",
	"the controller is decoding other large pictures and has no memory to spare; try again in a few seconds").with("retry_after", retryBusy)

var errUnauthenticated = errf(http.StatusUnauthorized, "unauthenticated", "log in (POST /api/v1/session) or send a bearer token")

func (a *API) authenticate(c echo.Context) (*principal, error) {
	ctx := c.Request().Context()
	addr := remoteAddr(c.Request())
	if h := c.Request().Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return nil, errf(http.StatusUnauthorized, "unauthenticated", "the Authorization header must be 'Bearer TOKEN'")
		}
		t, u, err := a.o.Store.APITokenUser(ctx, auth.HashToken(tok))
		if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
			return nil, errf(http.StatusUnauthorized, "unauthenticated", "the token is unknown or revoked")
		}
		if errors.Is(err, store.ErrTokenExpired) {
			at := t.ExpiresAt.In(a.o.Location).Format("2006-01-02 15:04")
			return nil, errf(http.StatusUnauthorized, "token_expired", "the API token %s… expired at %s; create a new one", t.Prefix, at).with("expired_at", at)
		}
		if err != nil {
			return nil, err
		}
		return &principal{User: u, TokenID: t.ID, Scopes: t.Scopes, Addr: addr}, nil
	}
	ck, err := c.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil, errUnauthenticated
	}
	hash := auth.HashToken(ck.Value)
	sess, u, err := a.o.Store.SessionUser(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	now := a.o.Now()
	// Idle for too long, or simply too old: a stolen cookie kept busy
	// still ends SessionLifetime after its login.
	if u.Disabled || now.Sub(sess.LastSeen) > a.o.IdleTimeout || now.Sub(sess.CreatedAt) > a.o.SessionLifetime {
		if err := a.o.Store.DeleteSession(ctx, hash); err != nil {
			return nil, err
		}
		return nil, errf(http.StatusUnauthorized, "session_expired", "the session has expired; log in again")
	}
	// One write a minute at most per session, not one per request.
	if now.Sub(sess.LastSeen) > time.Minute {
		if err := a.o.Store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	return &principal{User: u, Session: &sess, Addr: addr}, nil
}

// decode reads a JSON body strictly: JSON content type, size limit, unknown
// fields refused, one value only.
func (a *API) decode(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != echo.MIMEApplicationJSON {
		return errf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, a.o.MaxBody)
	raw, err := io.ReadAll(body)
	if err != nil {
		return jsonErr(err, a.o.MaxBody)
	}
	if hasNUL(raw) {
		return errNUL
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonErr(err, a.o.MaxBody)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonErr(err, a.o.MaxBody)
		}
		return badRequest("the body must hold one JSON object and nothing after it")
	}
	return nil
}

// errNUL refuses text holding the NUL character: no name, title or
// notice needs it, and PostgreSQL's text cannot store it.
var errNUL = errf(http.StatusBadRequest, "nul_character", "text must not contain the NUL character (\\u0000); remove it and send again")

// hasNUL reports a \u0000 escape in a JSON text (not an escaped
// backslash followed by "u0000").
func hasNUL(raw []byte) bool {
	for i := 0; ; {
		j := bytes.Index(raw[i:], []byte(`\u0000`))
		if j < 0 {
			return false
		}
		j += i
		slashes := 0
		for k := j - 1; k >= 0 && raw[k] == '\\'; k-- {
			slashes++
		}
		if slashes%2 == 0 {
			return true
		}
		i = j + 1
	}
}

func jsonErr(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, server.ErrBodyTooSlow):
		return errTooSlow
	case errors.As(err, &mbe):
		return errf(http.StatusRequestEntityTooLarge, "too_large", "the body is larger than %d bytes", limit)
	case errors.As(err, &se):
		return badRequest("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field == "" {
			return badRequest("the body must be a JSON object")
		}
		return badRequest("field %q must be %s", te.Field, jsonKind(te.Type.Kind().String()))
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: the body ends early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badRequest("malformed JSON: %v", err)
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	}
	return "an object"
}

// pathID parses the :id path parameter.
func pathID(c echo.Context) (int64, error) {
	s := c.Param("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("id %q is not a positive integer", s)
	}
	return id, nil
}

// checkQuery refuses query parameters the route does not declare, so that
// a typo does not silently list everything.
func checkQuery(c echo.Context, rt Route) error {
	for name, values := range c.QueryParams() {
		for _, v := range values {
			if strings.ContainsRune(v, 0) {
				return errNUL
			}
		}
		known := false
		for _, p := range rt.Query {
			known = known || p.Name == name
		}
		if !known {
			return badRequest("unknown query parameter %q", name)
		}
	}
	return nil
}

// query reads query parameters; the first bad one is kept in err.
type query struct {
	c   echo.Context
	err error
}

func (q *query) str(name string) string { return q.c.QueryParam(name) }

// time reads an RFC 3339 time; empty gives the zero time.
func (q *query) time(name string) time.Time {
	s := q.c.QueryParam(name)
	if s == "" || q.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		q.err = badRequest("%s %q is not an RFC 3339 time such as 2026-11-25T00:00:00+07:00", name, s)
	}
	return t
}

func (q *query) id(name string) int64 {
	s := q.c.QueryParam(name)
	if s == "" || q.err != nil {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.err = badRequest("query parameter %s=%q is not a positive integer", name, s)
	}
	return n
}

func (q *query) intIn(name string, def, lo, hi int) int {
	s := q.c.QueryParam(name)
	if s == "" || q.err != nil {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.err = badRequest("query parameter %s=%q must be an integer from %d to %d", name, s, lo, hi)
	}
	return n
}

func (q *query) oneOf(name string, allowed ...string) string {
	s := q.c.QueryParam(name)
	if s == "" || q.err != nil {
		return s
	}
	for _, x := range allowed {
		if s == x {
			return s
		}
	}
	q.err = badRequest("query parameter %s=%q must be one of %s", name, s, strings.Join(allowed, ", "))
	return ""
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// page is a list answer with paging.
type page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// list is a list answer without paging.
type list[T any] struct {
	Items []T `json:"items"`
}

func ctxOf(c echo.Context) context.Context { return c.Request().Context() }
