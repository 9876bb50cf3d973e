package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/cluster/objstore"
)

// shareAssets makes the asset store one that every replica reaches (serve
// --nats): files go to JetStream's object store before they are named and
// are fetched from it into --data when missing here (see assets.Remote).
// Files stored while this controller ran alone are uploaded in the
// background. stop ends that upload and closes the NATS connection, once
// nothing uses the store any more.
func shareAssets(ctx context.Context, url string, as *assets.Store, log *slog.Logger) (stop func(), err error) {
	nc, err := nats.Connect(url, nats.Name("pano-controller assets"), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("NATS disconnected: asset files this replica lacks cannot be fetched until it is back", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted()) }))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to NATS at %s: %w (start nats-server with JetStream, nats-server -js, or drop --nats)", url, err)
	}
	b, err := objstore.Open(ctx, nc, objstore.Options{})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cannot open the shared asset store on NATS at %s: %w", url, err)
	}
	as.SetRemote(b)

	up, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		n, err := as.UploadMissing(up)
		if err != nil && up.Err() == nil {
			log.Error("cannot upload this replica's asset files to NATS; they are uploaded again at the next start", "checked", n, "err", err)
			return
		}
		log.Info("asset files shared through NATS", "bucket", objstore.DefaultBucket, "checked", n)
	})
	return func() {
		cancel()
		wg.Wait()
		nc.Close()
	}, nil
}
