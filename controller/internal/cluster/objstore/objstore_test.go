package objstore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/cluster/objstore"
	"github.com/pano-signage/pano/controller/internal/collect"
	"github.com/pano-signage/pano/controller/internal/store"
)

// childEnv names the directory of a NATS server that this test binary,
// started again by startNATSProcess, runs until its stdin closes.
const childEnv = "PANO_OBJSTORE_NATS_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		srv, err := runNATS(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(srv.ClientURL())
		io.Copy(io.Discard, os.Stdin)
		srv.Shutdown()
		srv.WaitForShutdown()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runNATS starts a NATS server with JetStream on a random loopback port,
// keeping its streams in dir.
func runNATS(dir string) (*server.Server, error) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir,
		NoLog: true, NoSigs: true})
	if err != nil {
		return nil, err
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("the embedded NATS server did not start in 10 s")
	}
	return srv, nil
}

// startNATS runs an embedded NATS server with JetStream in this process
// for the test.
func startNATS(tb testing.TB) *server.Server {
	tb.Helper()
	srv, err := runNATS(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// startNATSProcess runs the NATS server in a child process (this test
// binary again), so that the memory it takes for the streams is not
// counted as the client's, and returns its URL.
func startNATSProcess(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+tb.TempDir())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); cmd.Wait() })
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("NATS child: %v", err)
	}
	return strings.TrimSpace(url)
}

// bucket connects to url and opens pano's bucket, as one replica does.
func bucket(tb testing.TB, url string) *objstore.Bucket {
	tb.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	b, err := objstore.Open(context.Background(), nc, objstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// replica opens an asset store in a directory of its own over remote.
func replica(tb testing.TB, remote assets.Remote) *assets.Store {
	tb.Helper()
	s, err := assets.OpenStore(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	s.SetRemote(remote)
	return s
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func testPNG(t *testing.T) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 320, 160))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noFiles fails unless s's directory holds no file, stored or temporary
// (Files would list the remote's too).
func noFiles(t *testing.T, s *assets.Store) {
	t.Helper()
	var left []string
	filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("files left in the replica's directory: %v", left)
	}
}

// A file stored on replica A (an upload with its renditions, and a
// program's JSON) is served by replica B, fetched from the object store
// into B's directory, and then from B's disk alone: with NATS stopped,
// B still has it.
func TestReplicaServesAnotherReplicasFile(t *testing.T) {
	ctx := context.Background()
	srv := startNATS(t)
	a := replica(t, bucket(t, srv.ClientURL()))
	b := replica(t, bucket(t, srv.ClientURL()))

	upload := testPNG(t)
	o, err := a.Ingest(ctx, bytes.NewReader(upload), assets.IngestRequest{Filename: "poster.png",
		Renditions: []assets.Geometry{{W: 64, H: 32, Fit: assets.FitContain}}})
	if err != nil {
		t.Fatal(err)
	}
	prog := randomBytes(300<<10, 1) // three chunks of the object store
	progSHA, _, err := a.Put(prog, ".json")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{o.SHA256: upload, o.Renditions[0].SHA256: readFile(t, o.Renditions[0].Path), progSHA: prog}
	ext := map[string]string{o.SHA256: ".png", o.Renditions[0].SHA256: ".png", progSHA: ".json"}
	paths := map[string]string{}
	for sha, data := range want {
		p, err := b.Find(ctx, sha)
		if err != nil {
			t.Fatalf("replica B: %v", err)
		}
		if p != b.Path(sha, ext[sha]) {
			t.Errorf("replica B keeps %s at %s, want %s", sha, p, b.Path(sha, ext[sha]))
		}
		if !bytes.Equal(readFile(t, p), data) {
			t.Errorf("replica B's copy of %s differs from A's", sha)
		}
		paths[sha] = p
	}
	st := b.Stats()
	if st.Fetches != 3 || st.Bytes != int64(len(upload)+len(want[o.Renditions[0].SHA256])+len(prog)) {
		t.Errorf("B's stats %+v, want 3 fetches of all the bytes", st)
	}

	srv.Shutdown()
	srv.WaitForShutdown()
	for sha := range want {
		p, err := b.Find(ctx, sha)
		if err != nil || p != paths[sha] {
			t.Errorf("with NATS stopped, B finds %s at %q, %v; want its copy at %s", sha, p, err, paths[sha])
		}
	}
	if st := b.Stats(); st.Fetches != 3 {
		t.Errorf("%d fetches after NATS stopped, want still 3 (B's disk)", st.Fetches)
	}
}

// A file that is nowhere is fs.ErrNotExist on every replica, as before.
func TestMissingEverywhere(t *testing.T) {
	srv := startNATS(t)
	b := replica(t, bucket(t, srv.ClientURL()))
	_, err := b.Find(context.Background(), sum([]byte("nothing")))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	noFiles(t, b)
}

// A damaged remote object is refused with ErrRemoteCorrupt and nothing is
// cached; a Put of the right bytes then repairs it.
func TestCorruptRemoteObjectRefused(t *testing.T) {
	ctx := context.Background()
	srv := startNATS(t)
	data := randomBytes(300<<10, 2)
	sha := sum(data)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, obs jetstream.ObjectStore, js jetstream.JetStream)
	}{
		{"truncated", func(t *testing.T, obs jetstream.ObjectStore, _ jetstream.JetStream) {
			if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: sha, Metadata: map[string]string{"pano-ext": ".png"}}, bytes.NewReader(data[:len(data)/2])); err != nil {
				t.Fatal(err)
			}
		}},
		{"other bytes", func(t *testing.T, obs jetstream.ObjectStore, _ jetstream.JetStream) {
			if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: sha}, bytes.NewReader(randomBytes(len(data), 3))); err != nil {
				t.Fatal(err)
			}
		}},
		{"a chunk replaced", func(t *testing.T, obs jetstream.ObjectStore, js jetstream.JetStream) {
			// The right object, then its first chunk deleted and one of
			// junk added: the metadata is right, the bytes are not.
			if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: sha, Metadata: map[string]string{"pano-ext": ".png"}}, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			info, err := obs.GetInfo(ctx, sha)
			if err != nil {
				t.Fatal(err)
			}
			subj := fmt.Sprintf("$O.%s.C.%s", info.Bucket, info.NUID)
			stream, err := js.Stream(ctx, "OBJ_"+info.Bucket)
			if err != nil {
				t.Fatal(err)
			}
			first, err := stream.GetMsg(ctx, 0, jetstream.WithGetMsgSubject(subj))
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.DeleteMsg(ctx, first.Sequence); err != nil {
				t.Fatal(err)
			}
			if _, err := js.Publish(ctx, subj, bytes.Repeat([]byte("junk"), 32<<10)); err != nil {
				t.Fatal(err)
			}
		}},
		{"a path for an extension", func(t *testing.T, obs jetstream.ObjectStore, _ jetstream.JetStream) {
			if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: sha, Metadata: map[string]string{"pano-ext": "/../../x"}}, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rb := bucket(t, srv.ClientURL())
			nc, _ := nats.Connect(srv.ClientURL())
			defer nc.Close()
			js, _ := jetstream.New(nc)
			if err := rb.Delete(ctx, sha); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, rb.Store(), js)

			b := replica(t, rb)
			_, err := b.Find(ctx, sha)
			if !errors.Is(err, assets.ErrRemoteCorrupt) {
				t.Fatalf("got %v, want ErrRemoteCorrupt", err)
			}
			t.Logf("refused: %v", err)
			noFiles(t, b)
			if st := b.Stats(); st.Refused != 1 || st.Bytes != 0 {
				t.Errorf("stats %+v, want one refused and no bytes", st)
			}
			// The bucket's own check, without the Store's.
			if _, err := rb.Get(ctx, sha, io.Discard); tc.name != "a path for an extension" && !errors.Is(err, assets.ErrRemoteCorrupt) {
				t.Errorf("Bucket.Get: %v, want ErrRemoteCorrupt", err)
			}

			// Another replica that has the right bytes stores them again.
			switch tc.name {
			case "a path for an extension":
				return // the bytes are right: Put keeps them
			case "a chunk replaced":
				// The metadata is right, so Put keeps the object: damage
				// below it takes a Remove before the bytes are put again.
				if err := rb.Delete(ctx, sha); err != nil {
					t.Fatal(err)
				}
			}
			a := replica(t, rb)
			if _, _, err := a.Put(data, ".png"); err != nil {
				t.Fatal(err)
			}
			p, err := b.Find(ctx, sha)
			if err != nil || !bytes.Equal(readFile(t, p), data) {
				t.Fatalf("after the repair: %q, %v", p, err)
			}
		})
	}
}

// gated counts the remote reads and holds each until release closes.
type gated struct {
	assets.Remote
	gets    atomic.Int32
	started chan struct{}
	release chan struct{}
}

func (g *gated) Get(ctx context.Context, sha string, w io.Writer) (string, error) {
	g.gets.Add(1)
	g.started <- struct{}{}
	<-g.release
	return g.Remote.Get(ctx, sha, w)
}

// Two Finds of one file that B lacks, at the same time, read it from the
// object store once; both get B's copy.
func TestConcurrentFindsFetchOnce(t *testing.T) {
	ctx := context.Background()
	srv := startNATS(t)
	a := replica(t, bucket(t, srv.ClientURL()))
	data := randomBytes(1<<20, 4)
	sha, _, err := a.Put(data, ".png")
	if err != nil {
		t.Fatal(err)
	}
	g := &gated{Remote: bucket(t, srv.ClientURL()), started: make(chan struct{}, 2), release: make(chan struct{})}
	b := replica(t, g)

	type result struct {
		path string
		err  error
	}
	results := make(chan result, 2)
	find := func() {
		p, err := b.Find(ctx, sha)
		results <- result{p, err}
	}
	go find()
	<-g.started // the first Find is reading
	go find()
	// Wait until the second Find waits for the first's fetch; a second
	// remote read instead is the failure.
	for b.Stats().Joined < 1 {
		select {
		case <-g.started:
			t.Fatal("the second Find read the object from the remote too")
		case <-time.After(time.Millisecond):
		}
	}
	close(g.release)
	r1, r2 := <-results, <-results
	if r1.err != nil || r2.err != nil || r1.path != r2.path {
		t.Fatalf("finds: %+v, %+v", r1, r2)
	}
	if !bytes.Equal(readFile(t, r1.path), data) {
		t.Error("B's copy differs")
	}
	if n := g.gets.Load(); n != 1 {
		t.Errorf("%d remote reads, want 1", n)
	}
}

// Remove on one replica removes the object for all: another replica that
// lacks the file no longer finds it.
func TestRemoveRemovesRemotely(t *testing.T) {
	ctx := context.Background()
	srv := startNATS(t)
	a := replica(t, bucket(t, srv.ClientURL()))
	b := replica(t, bucket(t, srv.ClientURL()))
	sha, _, err := a.Put([]byte("a program"), ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Remove(sha); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Find(ctx, sha); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("B finds a removed file: %v", err)
	}
	if err := a.Remove(sha); err != nil {
		t.Errorf("removing it again: %v", err)
	}
}

// UploadMissing puts the files of a store that ran alone on the object
// store, where another replica finds them.
func TestUploadMissing(t *testing.T) {
	ctx := context.Background()
	srv := startNATS(t)
	dir := t.TempDir()
	alone, err := assets.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	sha, _, err := alone.Put([]byte("stored before the cluster"), ".json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := assets.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a.SetRemote(bucket(t, srv.ClientURL()))
	b := replica(t, bucket(t, srv.ClientURL()))
	if _, err := b.Find(ctx, sha); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("before the upload B finds it: %v", err)
	}
	if n, err := a.UploadMissing(ctx); err != nil || n != 1 {
		t.Fatalf("UploadMissing: %d, %v", n, err)
	}
	p, err := b.Find(ctx, sha)
	if err != nil || p != b.Path(sha, ".json") {
		t.Fatalf("after the upload: %q, %v", p, err)
	}
}

// BenchmarkLargeFile puts a 200 MB file on the object store from disk (as
// a Store commits an upload) and fetches it into another replica's
// directory, and reports the peak Go heap of each: both stream, so the
// peak is a few MB whatever the size. The NATS server runs in a child
// process so that its memory is not counted.
//
//	go test -run '^$' -bench LargeFile -benchtime 1x ./controller/internal/cluster/objstore
func BenchmarkLargeFile(b *testing.B) {
	const size = 200 << 20
	ctx := context.Background()
	url := startNATSProcess(b)
	rb := bucket(b, url)
	// The file, written in 1 MiB pieces.
	src := filepath.Join(b.TempDir(), "big")
	f, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{5})
	buf := make([]byte, 1<<20)
	for n := 0; n < size; n += len(buf) {
		rng.Read(buf)
		f.Write(buf)
		h.Write(buf)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	buf = nil

	var putPeak, getPeak uint64
	b.SetBytes(size)
	for b.Loop() {
		if err := rb.Delete(ctx, sha); err != nil {
			b.Fatal(err)
		}
		putPeak = max(putPeak, peakHeap(func() {
			f, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if err := rb.Put(ctx, sha, ".zip", f); err != nil {
				b.Fatal(err)
			}
		}))
		s := replica(b, rb)
		getPeak = max(getPeak, peakHeap(func() {
			if _, err := s.Find(ctx, sha); err != nil {
				b.Fatal(err)
			}
		}))
		os.RemoveAll(s.Dir())
	}
	b.ReportMetric(float64(putPeak)/(1<<20), "put-peak-heap-MiB")
	b.ReportMetric(float64(getPeak)/(1<<20), "fetch-peak-heap-MiB")
}

// peakHeap runs fn and returns the largest Go heap (live and not yet
// collected objects) seen every millisecond while it ran.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak
}

// names is the database as the collector sees it: the hashes in names are
// named, nothing is in a plan and no rendition is unneeded.
type names map[string]bool

func (n names) UnneededRenditions(context.Context, store.Geometry) ([]store.Rendition, error) {
	return nil, nil
}
func (n names) DeleteRendition(context.Context, int64) (bool, error)    { return false, nil }
func (n names) ReferencedSHAs(context.Context) (map[string]bool, error) { return n, nil }
func (n names) PlanAssetSHAs(context.Context) (map[string]bool, error)  { return nil, nil }
func (n names) SHAInUse(_ context.Context, sha string) (bool, error)    { return n[sha], nil }

// The collector of one replica removes the files nothing names that other
// replicas stored, although it never held them: retention may run on one
// replica only.
func TestCollectorOnOneReplicaSeesAllFiles(t *testing.T) {
	ctx := context.Background()
	srv := startNATS(t)
	a := replica(t, bucket(t, srv.ClientURL()))
	b := replica(t, bucket(t, srv.ClientURL()))
	kept, _, err := a.Put([]byte("named"), ".json")
	if err != nil {
		t.Fatal(err)
	}
	gone, _, err := a.Put([]byte("named by nothing"), ".json")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	c := collect.New(names{kept: true}, b, collect.Options{Grace: time.Hour, Now: func() time.Time { return now }})
	if rep, err := c.Collect(ctx); err != nil || rep.Waiting != 1 {
		t.Fatalf("first pass: %+v, %v; want the unnamed file waiting", rep, err)
	}
	now = now.Add(time.Hour)
	rep, err := c.Collect(ctx)
	if err != nil || rep.Files != 1 || rep.Bytes != int64(len("named by nothing")) {
		t.Fatalf("second pass: %+v, %v; want the unnamed file removed", rep, err)
	}
	if _, err := b.Find(ctx, gone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the removed file is still fetched: %v", err)
	}
	if _, err := b.Find(ctx, kept); err != nil {
		t.Errorf("the named file: %v", err)
	}
}

// A bucket the operator made (here with a size limit; in production with
// three replicas) is used as it is, not reconfigured at each start.
func TestOpenKeepsOperatorsBucket(t *testing.T) {
	ctx := context.Background()
	srv := startNATS(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: objstore.DefaultBucket, MaxBytes: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	b := bucket(t, srv.ClientURL())
	st, err := b.Store().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.(*jetstream.ObjectBucketStatus).StreamInfo().Config.MaxBytes; got != 1<<30 {
		t.Errorf("the bucket's limit is %d after Open, want the operator's %d", got, 1<<30)
	}
}
