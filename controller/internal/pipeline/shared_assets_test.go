package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/store"
)

// awayRemote is a shared asset store that is away for its first fails
// Puts (NATS restarting), then keeps what it is given.
type awayRemote struct {
	mu    sync.Mutex
	fails int
	puts  int
	obj   map[string][]byte
}

func (r *awayRemote) Put(_ context.Context, sha, _ string, rd io.Reader) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.puts++
	if r.puts <= r.fails {
		return errors.New("nats: timeout")
	}
	var b bytes.Buffer
	b.ReadFrom(rd)
	r.obj[sha] = b.Bytes()
	return nil
}

func (r *awayRemote) Get(_ context.Context, sha string, w io.Writer) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.obj[sha]
	if !ok {
		return "", fmt.Errorf("%s: %w", sha, fs.ErrNotExist)
	}
	_, err := w.Write(b)
	return ".png", err
}

func (r *awayRemote) Delete(context.Context, string) error { return nil }

func (r *awayRemote) List(context.Context) ([]assets.StoredFile, error) { return nil, nil }

// A rendition made while the shared asset store is away goes back to the
// queue and is made once it is back, rather than failing for good.
func TestRenditionWaitsForSharedStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	defer f.st.Close()
	remote := &awayRemote{fails: 3, obj: map[string][]byte{}}
	f.as.SetRemote(remote)
	u := mustUnit(t, f.st)
	f.display("a", 64, 32, "contain")
	m, err := f.st.CreateMedia(ctx, store.System, store.NewMedia{UnitID: u.ID, Title: "Mất điện", Kind: store.KindText, Body: "Cắt điện 8 giờ."})
	if err != nil {
		t.Fatal(err)
	}
	p := New(Options{Store: f.st, Assets: f.as, Workers: 1, Retry: time.Millisecond,
		OnReady: func(rev int64) { f.ready <- rev }, OnFailed: func(_ int64, err error) { f.failed <- err }})
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	f.wait(1)
	r, err := f.st.RenditionFor(ctx, m.Current.ID, 64, 32, "contain")
	if err != nil {
		t.Fatal(err)
	}
	remote.mu.Lock()
	defer remote.mu.Unlock()
	if remote.puts != 4 || remote.obj[r.SHA256] == nil {
		t.Errorf("%d Puts, rendition on the shared store: %v; want 4 and true", remote.puts, remote.obj[r.SHA256] != nil)
	}
}
