package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/capfeed"
	"github.com/pano-signage/pano/controller/internal/hub"
	"github.com/pano-signage/pano/controller/internal/pipeline"
	"github.com/pano-signage/pano/controller/internal/server"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/testdb"
)

// fastHash keeps argon2id cheap in tests; production uses DefaultParams.
var fastHash = auth.Params{Memory: 1024, Time: 1, Threads: 1}

const testPassword = "mật-khẩu-thử-nghiệm"

// env is a controller API on a fresh database with a fake clock.
type env struct {
	t   testing.TB
	st  *store.Store
	api *API
	e   *echo.Echo

	mu  sync.Mutex
	now time.Time

	unitA, unitB store.Unit
	seq          int

	// remote, if set, is the asset store shared with other replicas.
	remote assets.Remote

	// The content pipeline: the asset store and the pipeline, which runs
	// only once startPipeline is called (Kick just queues until then).
	dir    string
	as     *assets.Store
	pipe   *pipeline.Pipeline
	limits assets.Limits
	// decode bounds image decodes (nil: unbounded), decodeWait how long
	// a request waits for it; set them in an option of newEnv.
	decode     *assets.Budget
	decodeWait time.Duration
	ready      chan int64
	failed     chan error
}

// startPipeline runs the pipeline's workers until the test ends.
func (v *env) startPipeline() {
	v.t.Helper()
	if err := v.pipe.Start(context.Background()); err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() { v.pipe.Close(context.Background()) })
}

// waitReady waits for n renditions to become ready; a failure fails.
func (v *env) waitReady(n int) {
	v.t.Helper()
	deadline := time.After(2 * time.Minute)
	for i := 0; i < n; i++ {
		select {
		case <-v.ready:
		case err := <-v.failed:
			v.t.Fatalf("rendition failed: %v", err)
		case <-deadline:
			v.t.Fatalf("%d of %d renditions ready in time", i, n)
		}
	}
}

func newEnv(t testing.TB, opts ...func(*env)) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st := testdb.Open(t, dir)
	v := &env{t: t, st: st, dir: dir, now: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)}
	for _, o := range opts {
		o(v)
	}
	st.SetNow(v.clock)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	as, err := assets.OpenStore(filepath.Join(dir, "assets"))
	if err != nil {
		t.Fatal(err)
	}
	if v.remote != nil {
		as.SetRemote(v.remote)
	}
	v.as = as
	v.pipe = pipeline.New(pipeline.Options{Log: log, Store: st, Assets: as, Workers: 2, Budget: v.decode,
		OnReady: func(rev int64) { v.ready <- rev }, OnFailed: func(_ int64, err error) { v.failed <- err }})
	v.ready, v.failed = make(chan int64, 1000), make(chan error, 1000)
	v.api = New(Options{Log: log, Store: st, Hub: fakeHub{}, Now: v.clock, Passwords: fastHash,
		Assets: as, Pipeline: v.pipe, Limits: v.limits, Decode: v.decode, DecodeWait: v.decodeWait,
		CAP: capfeed.New(st, &pipeline.Urgent{Store: st, Assets: as}, capfeed.Options{Now: v.clock, Log: log, Timeout: 2 * time.Second})})
	v.e = server.New(server.Deps{Log: log, Store: st, Hub: hub.New(log, st, hub.Options{}), Version: "test", API: v.api})
	if v.unitA, err = st.CreateUnit(ctx, store.System, store.Unit{Name: "Phòng Văn hóa – Xã hội"}); err != nil {
		t.Fatal(err)
	}
	if v.unitB, err = st.CreateUnit(ctx, store.System, store.Unit{Name: "Trường THCS Lê Lợi"}); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v *env) clock() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

func (v *env) advance(d time.Duration) {
	v.mu.Lock()
	v.now = v.now.Add(d)
	v.mu.Unlock()
}

func (v *env) uniq(prefix string) string {
	v.seq++
	return fmt.Sprintf("%s-%d", prefix, v.seq)
}

// user creates a user of role in unit.
func (v *env) user(role string, unit int64) store.User {
	v.t.Helper()
	h, err := auth.HashPassword(testPassword, fastHash)
	if err != nil {
		v.t.Fatal(err)
	}
	u, err := v.st.CreateUser(context.Background(), store.System, store.User{Name: v.uniq(role), Role: role, UnitID: unit, PasswordHash: h})
	if err != nil {
		v.t.Fatal(err)
	}
	return u
}

// cred is how a request authenticates.
type cred struct {
	cookie string // session token
	csrf   string
	bearer string
	addr   string // the client's address (host); empty: httptest's 192.0.2.1
}

// session makes a cookie session for u directly in the store.
func (v *env) session(u store.User) cred {
	v.t.Helper()
	tok, csrf := auth.NewToken(""), auth.NewToken("")
	err := v.st.CreateSession(context.Background(), store.System, store.Session{TokenHash: auth.HashToken(tok), UserID: u.ID, CSRFToken: csrf, RemoteAddr: "test", CreatedAt: v.clock()}, "")
	if err != nil {
		v.t.Fatal(err)
	}
	return cred{cookie: tok, csrf: csrf}
}

// bearer makes an API token for u.
func (v *env) bearer(u store.User) cred {
	v.t.Helper()
	secret := auth.NewToken(tokenPrefix)
	if _, err := v.st.CreateAPIToken(context.Background(), store.System, store.APIToken{UserID: u.ID, Name: "test", Prefix: "pano_x",
		Scopes: store.Scopes, ExpiresAt: v.clock().Add(90 * 24 * time.Hour)}, auth.HashToken(secret)); err != nil {
		v.t.Fatal(err)
	}
	return cred{bearer: secret}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r resp) code() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// do sends a request through the whole echo stack (security headers and
// error handler included). body may be nil, a string (sent as is) or a
// value (sent as JSON).
func (v *env) do(c cred, method, path string, body any) resp {
	v.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case uploadBody:
		rd, ctype := multipartBody(v.t, b.name, b.data, nil)
		return v.send(c, method, path, rd, ctype)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			v.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	ctype := ""
	if rd != nil {
		ctype = "application/json"
	}
	return v.send(c, method, path, rd, ctype)
}

func (v *env) send(c cred, method, path string, rd io.Reader, ctype string) resp {
	req := httptest.NewRequest(method, Prefix+path, rd)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.cookie})
	}
	if c.csrf != "" {
		req.Header.Set(CSRFHeader, c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.addr != "" {
		req.RemoteAddr = net.JoinHostPort(c.addr, "40000")
	}
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	return resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// must fails unless r has status want.
func must(t testing.TB, r resp, want int) resp {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}

// Fixtures made directly in the store, as the system.

func (v *env) media(unit int64, status string) int64 {
	v.t.Helper()
	ctx := context.Background()
	m, err := v.st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: unit, Title: v.uniq("Thông báo"), Kind: store.KindText, Body: "Nội dung"})
	if err != nil {
		v.t.Fatal(err)
	}
	v.moveMedia(m.ID, status)
	return m.ID
}

func (v *env) moveMedia(id int64, status string) {
	v.t.Helper()
	ctx := context.Background()
	var err error
	if status != store.StatusDraft {
		_, err = v.st.SubmitMedia(ctx, store.System, id)
	}
	if err == nil && status == store.StatusApproved {
		_, err = v.st.ApproveMedia(ctx, store.System, id)
	}
	if err == nil && status == store.StatusRejected {
		_, err = v.st.RejectMedia(ctx, store.System, id, "không đạt")
	}
	if err != nil {
		v.t.Fatal(err)
	}
}

func (v *env) playlist(unit int64, status string) int64 {
	v.t.Helper()
	ctx := context.Background()
	m := v.media(unit, store.StatusApproved)
	p, err := v.st.CreatePlaylist(ctx, store.System, store.NewPlaylist{UnitID: unit, Name: v.uniq("Vòng phát"), Items: []store.PlaylistItem{{MediaID: m, DurationMS: 10000}}})
	if err != nil {
		v.t.Fatal(err)
	}
	if status != store.StatusDraft {
		_, err = v.st.SubmitPlaylist(ctx, store.System, p.ID)
	}
	if err == nil && status == store.StatusApproved {
		_, err = v.st.ApprovePlaylist(ctx, store.System, p.ID)
	}
	if err == nil && status == store.StatusRejected {
		_, err = v.st.RejectPlaylist(ctx, store.System, p.ID, "không đạt")
	}
	if err != nil {
		v.t.Fatal(err)
	}
	return p.ID
}

func (v *env) group() int64 {
	v.t.Helper()
	g, err := v.st.CreateGroup(context.Background(), store.System, v.uniq("Nhóm"))
	if err != nil {
		v.t.Fatal(err)
	}
	return g.ID
}

func (v *env) display() int64 {
	v.t.Helper()
	d, err := v.st.CreateDisplay(context.Background(), store.System, store.Display{Name: v.uniq("man-hinh"), Width: 64, Height: 32, Fit: "contain", Profile: "virtual"})
	if err != nil {
		v.t.Fatal(err)
	}
	return d.ID
}

func (v *env) campaign(unit int64) int64 {
	v.t.Helper()
	c, err := v.st.CreateCampaign(context.Background(), store.System, store.Campaign{UnitID: unit, Name: v.uniq("Chiến dịch"), StartsOn: "2026-01-01", EndsOn: "2026-12-31", Themes: []store.Theme{{Title: "Chủ đề 1"}}})
	if err != nil {
		v.t.Fatal(err)
	}
	return c.ID
}

func scheduleBody(playlist, group int64) map[string]any {
	return map[string]any{"playlist_id": playlist, "group_id": group, "starts_on": "2026-12-01", "ends_on": "2026-12-31",
		"weekdays": 127, "start_time": "06:00", "end_time": "22:00", "priority": 10}
}

func (v *env) schedule(unit int64) int64 {
	v.t.Helper()
	g := v.group()
	x, err := v.st.CreateSchedule(context.Background(), store.System, store.Schedule{PlaylistID: v.playlist(unit, store.StatusApproved), GroupID: &g,
		StartsOn: "2026-12-01", EndsOn: "2026-12-31", Weekdays: 127, StartTime: "06:00", EndTime: "22:00"})
	if err != nil {
		v.t.Fatal(err)
	}
	return x.ID
}

func (v *env) auditCount() int {
	v.t.Helper()
	n, _, err := v.st.VerifyAudit(context.Background())
	if err != nil {
		v.t.Fatal(err)
	}
	return n
}
