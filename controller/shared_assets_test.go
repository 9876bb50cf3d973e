package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/pano-signage/pano/controller/internal/cluster/natstest"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/cluster/objstore"
)

// serve --nats with no NATS server there stops at once and says what to do.
func TestServeNATSUnreachable(t *testing.T) {
	code, _, errs := runCLI(t, "", "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--nats", "nats://127.0.0.1:1")
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "cannot connect to NATS at nats://127.0.0.1:1") ||
		!strings.Contains(errs, "drop --nats") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// serve --nats puts the asset files it stored while alone on the object
// store, where the other replicas find them.
func TestServeSharesAssetsThroughNATS(t *testing.T) {
	natsURL, _ := natstest.Start(t)
	data := t.TempDir()
	alone, err := assets.OpenStore(filepath.Join(data, "assets"))
	if err != nil {
		t.Fatal(err)
	}
	program := []byte(`{"stored":"before --nats"}`)
	sha, _, err := alone.Put(program, ".json")
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	outr, outw := io.Pipe()
	exited := make(chan int, 1)
	go func() {
		exited <- runIO(ctx, []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--nats", natsURL}, strings.NewReader(""), outw, pw)
		pw.Close()
		outw.Close()
	}()
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outr)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), "listening on "); ok {
				listening <- strings.Fields(url)[0]
			}
		}
		io.Copy(io.Discard, outr)
	}()
	shared := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "asset files shared through NATS") && strings.Contains(sc.Text(), "checked=1") {
				close(shared)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-shared:
	case code := <-exited:
		t.Fatalf("serve exited with %d before it shared its files", code)
	case <-time.After(time.Minute):
		t.Fatal("no 'asset files shared through NATS' line in a minute")
	}

	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b, err := objstore.Open(context.Background(), nc, objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if ext, err := b.Get(context.Background(), sha, &got); err != nil || ext != ".json" || !bytes.Equal(got.Bytes(), program) {
		t.Fatalf("the object store has %q (%q), %v; want the program", got.Bytes(), ext, err)
	}
	// Its fetches are counted on /metrics (none yet: it holds its files).
	res, err := http.Get(<-listening + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(metrics), "\npano_asset_fetches_total 0\n") {
		t.Errorf("/metrics lacks pano_asset_fetches_total 0")
	}
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
}
