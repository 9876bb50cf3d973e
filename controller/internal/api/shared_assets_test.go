package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/pano-signage/pano/controller/internal/cluster/natstest"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/cluster/objstore"
	"github.com/pano-signage/pano/controller/internal/hub"
	srvpkg "github.com/pano-signage/pano/controller/internal/server"
	"github.com/pano-signage/pano/controller/internal/store"
)

// sharedBucket runs an embedded NATS server with JetStream for the test
// and returns a function that opens pano's asset bucket on it, one
// connection per replica.
func sharedBucket(t *testing.T) func() *objstore.Bucket {
	t.Helper()
	natsURL, _ := natstest.Start(t)
	return func() *objstore.Bucket {
		nc, err := nats.Connect(natsURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		b, err := objstore.Open(context.Background(), nc, objstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// replica is a second controller's API over the same database (as
// replicas share PostgreSQL), with an asset directory of its own over
// remote.
func (v *env) replica(remote assets.Remote) *env {
	v.t.Helper()
	as, err := assets.OpenStore(v.t.TempDir())
	if err != nil {
		v.t.Fatal(err)
	}
	as.SetRemote(remote)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := &env{t: v.t, st: v.st, as: as, unitA: v.unitA, unitB: v.unitB}
	b.api = New(Options{Log: log, Store: v.st, Hub: fakeHub{}, Now: v.clock, Passwords: fastHash, Assets: as, Limits: v.limits})
	b.e = srvpkg.New(srvpkg.Deps{Log: log, Store: v.st, Hub: hub.New(log, v.st, hub.Options{}), Version: "test", API: b.api})
	return b
}

// An agent connected to replica B downloads a rendition of an upload made
// through replica A, which B fetches from NATS; so does the dashboard's
// rendition view on B.
func TestReplicaServesUploadFromAnother(t *testing.T) {
	open := sharedBucket(t)
	v := newEnv(t, func(v *env) { v.remote = open() })
	b := v.replica(open())

	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	var d store.Display
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "cong-phuong", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &d)
	var m store.Media
	must(t, v.upload(ed, "a.png", testPNG(t, 400, 300), map[string]string{"title": "Lịch tiêm chủng"}), 201).json(t, &m)
	var r store.Rendition
	for _, x := range m.Current.Renditions {
		if x.Width == 64 && x.Status == "ready" {
			r = x
		}
	}
	if r.SHA256 == "" {
		t.Fatalf("no ready 64 px rendition: %+v", m.Current.Renditions)
	}
	want, err := os.ReadFile(v.as.Path(r.SHA256, ".png"))
	if err != nil {
		t.Fatal(err)
	}
	v.sendPlan(d.ID, r.SHA256)
	secret := v.enrolAgent(d.ID)

	if files := b.assetFiles(); len(files) != 0 {
		t.Fatalf("replica B holds %v before any request", files)
	}
	got := b.agentGet(secret, r.SHA256, nil)
	if got.Status != 200 || !bytes.Equal(got.Body, want) {
		t.Fatalf("agent on B: %d, %d bytes (%.100s), want 200 and A's %d bytes", got.Status, len(got.Body), got.Body, len(want))
	}
	if got.Header.Get("ETag") != `"`+r.SHA256+`"` {
		t.Errorf("ETag %q", got.Header.Get("ETag"))
	}
	// Resumed from B's copy.
	part := b.agentGet(secret, r.SHA256, map[string]string{"Range": "bytes=10-"})
	if part.Status != 206 || !bytes.Equal(part.Body, want[10:]) {
		t.Errorf("range on B: %d, %d bytes", part.Status, len(part.Body))
	}
	view := b.do(ed, "GET", fmt.Sprintf("/media/%d/rendition?w=64&h=32&fit=contain", m.ID), nil)
	if view.Status != 200 || !bytes.Equal(view.Body, want) {
		t.Errorf("rendition view on B: %d, %d bytes", view.Status, len(view.Body))
	}
	if st := b.as.Stats(); st.Fetches != 1 {
		t.Errorf("B fetched %d times, want once (then from its disk)", st.Fetches)
	}
}

// memShared is a shared asset store in memory that can be away.
type memShared struct {
	mu   sync.Mutex
	away bool
	obj  map[string][]byte
	ext  map[string]string
}

var errAway = errors.New("nats: connection closed")

func (m *memShared) Put(_ context.Context, sha, ext string, r io.Reader) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.away {
		return errAway
	}
	b, err := io.ReadAll(r)
	m.obj[sha], m.ext[sha] = b, ext
	return err
}

func (m *memShared) Get(_ context.Context, sha string, w io.Writer) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.away {
		return "", errAway
	}
	b, ok := m.obj[sha]
	if !ok {
		return "", fs.ErrNotExist
	}
	_, err := w.Write(b)
	return m.ext[sha], err
}

func (m *memShared) Delete(context.Context, string) error { return nil }

func (m *memShared) List(context.Context) ([]assets.StoredFile, error) { return nil, nil }

func (m *memShared) setAway(away bool) {
	m.mu.Lock()
	m.away = away
	m.mu.Unlock()
}

// With NATS away, an upload is refused with 503 and leaves nothing (it is
// not stored until every replica can reach it), and an agent's download
// of a file its replica lacks is 503 too: both may be tried again.
func TestSharedStoreAway(t *testing.T) {
	shared := &memShared{obj: map[string][]byte{}, ext: map[string]string{}}
	v := newEnv(t, func(v *env) { v.remote = shared })
	b := v.replica(shared)
	ed := v.bearer(v.user(store.RoleEditor, v.unitA.ID))
	tech := v.bearer(v.user(store.RoleTechnician, v.unitA.ID))
	var d store.Display
	must(t, v.do(tech, "POST", "/displays", map[string]any{"name": "cong-phuong", "width": 64, "height": 32, "profile": "virtual"}), 201).json(t, &d)

	shared.setAway(true)
	r := v.upload(ed, "a.png", testPNG(t, 400, 300), map[string]string{"title": "Lịch tiêm chủng"})
	if r.Status != 503 || r.code() != "unavailable" || !strings.Contains(string(r.Body), "NATS") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("upload: %d %s (Retry-After %q), want 503 unavailable", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if files := v.assetFiles(); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
	if _, n, err := v.st.ListMedia(context.Background(), store.MediaFilter{}); err != nil || n != 0 {
		t.Errorf("%d media rows after a refused upload (%v)", n, err)
	}

	shared.setAway(false)
	var m store.Media
	must(t, v.upload(ed, "a.png", testPNG(t, 400, 300), map[string]string{"title": "Lịch tiêm chủng"}), 201).json(t, &m)
	if _, n, err := v.st.ListMedia(context.Background(), store.MediaFilter{}); err != nil || n != 1 {
		t.Errorf("%d media rows after an upload (%v)", n, err)
	}
	sha := ""
	for _, x := range m.Current.Renditions {
		if x.Width == 64 && x.Status == "ready" {
			sha = x.SHA256
		}
	}
	v.sendPlan(d.ID, sha)
	secret := v.enrolAgent(d.ID)
	shared.setAway(true)
	if r := b.agentGet(secret, sha, nil); r.Status != 503 || r.code() != "unavailable" {
		t.Fatalf("agent on B with NATS away: %d %s, want 503 unavailable", r.Status, r.Body)
	}
	shared.setAway(false)
	if r := b.agentGet(secret, sha, nil); r.Status != 200 {
		t.Fatalf("agent on B with NATS back: %d %s", r.Status, r.Body)
	}
}
