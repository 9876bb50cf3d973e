package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/plans"
	"github.com/pano-signage/pano/controller/internal/seed"
	"github.com/pano-signage/pano/controller/internal/store"
	"github.com/pano-signage/pano/controller/internal/store/testdb"
	"github.com/pano-signage/pano/protocol"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// demoStore is a fresh store in dir with the demo ward.
func demoStore(t *testing.T) (st *store.Store, dir string) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	st = testdb.Open(t, dir)
	if _, err := seed.Demo(ctx, st, auth.Params{Memory: 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	return st, dir
}

// rendition stands in for the pipeline: every revision has a rendition
// per geometry.
func rendition(_ context.Context, rev int64, w, h int, fit string) (protocol.Asset, error) {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%dx%d/%s", rev, w, h, fit)))
	return protocol.Asset{SHA256: hex.EncodeToString(sum[:]), Kind: protocol.AssetImage, Bytes: 100}, nil
}

// setup is a sink on the demo ward's store, and the plan service that
// compiles the plans its records are checked against.
func setup(t *testing.T) (*Sink, *store.Store, *plans.Service) {
	t.Helper()
	st, _ := demoStore(t)
	return New(st, discard(), Options{}), st, plans.New(st, rendition, discard(), plans.Options{})
}

// fleet is a sink on the demo ward's store with n displays more.
type fleet struct {
	sink *Sink
	st   *store.Store
	dir  string // the data directory
}

func newFleet(t *testing.T, n int) *fleet {
	t.Helper()
	ctx := context.Background()
	st, dir := demoStore(t)
	for i := 0; i < n; i++ {
		if _, err := st.CreateDisplay(ctx, store.System, store.Display{Name: fmt.Sprintf("man-hinh-%05d", i),
			Width: 192, Height: 96, Fit: "contain", Profile: "virtual"}); err != nil {
			t.Fatal(err)
		}
	}
	return &fleet{sink: New(st, discard(), Options{}), st: st, dir: dir}
}

func displayNamed(t *testing.T, st *store.Store, name string) store.Display {
	t.Helper()
	ds, err := st.Displays(context.Background(), store.DisplayFilter{Q: name})
	if err != nil || len(ds) != 1 {
		t.Fatalf("display %s: %v %v", name, ds, err)
	}
	return ds[0]
}
