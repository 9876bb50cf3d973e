package assets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"
)

// memRemote is a Remote in memory; a test sets putErr or delErr to make
// it fail, or gate to hold Gets.
type memRemote struct {
	mu      sync.Mutex
	obj     map[string]memObject
	putErr  error
	delErr  error
	gate    chan struct{} // if set, each Get waits for it to close
	started chan struct{} // if set, each Get sends on it first
}

type memObject struct {
	ext  string
	data []byte
}

func newMemRemote() *memRemote { return &memRemote{obj: map[string]memObject{}} }

func (m *memRemote) Put(ctx context.Context, sha, ext string, r io.Reader) error {
	m.mu.Lock()
	err := m.putErr
	m.mu.Unlock()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.obj[sha] = memObject{ext, data}
	m.mu.Unlock()
	return nil
}

func (m *memRemote) Get(ctx context.Context, sha string, w io.Writer) (string, error) {
	if m.started != nil {
		m.started <- struct{}{}
	}
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	m.mu.Lock()
	o, ok := m.obj[sha]
	m.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("mem: %s: %w", sha, fs.ErrNotExist)
	}
	_, err := w.Write(o.data)
	return o.ext, err
}

func (m *memRemote) Delete(ctx context.Context, sha string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.delErr != nil {
		return m.delErr
	}
	delete(m.obj, sha)
	return nil
}

func (m *memRemote) List(ctx context.Context) ([]StoredFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []StoredFile
	for sha, o := range m.obj {
		out = append(out, StoredFile{SHA256: sha, Size: int64(len(o.data))})
	}
	return out, nil
}

func (m *memRemote) has(sha string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.obj[sha]
	return ok
}

func shaOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A file is not stored until the remote has it: when the remote refuses,
// Put and Ingest fail and leave no file that another replica could not
// fetch.
func TestCommitWaitsForRemote(t *testing.T) {
	s := newStore(t)
	r := newMemRemote()
	s.SetRemote(r)
	r.putErr = errors.New("NATS is away")

	data := []byte(`{"program":1}`)
	if _, _, err := s.Put(data, ".json"); err == nil {
		t.Fatal("Put succeeded without the remote")
	}
	upload := encodePNG(t, testPhoto(64, 32))
	if _, err := s.Ingest(context.Background(), bytes.NewReader(upload), IngestRequest{
		Renditions: []Geometry{{W: 32, H: 16, Fit: FitContain}}}); err == nil {
		t.Fatal("Ingest succeeded without the remote")
	}
	if got := storeFiles(t, s); len(got) > 0 {
		t.Fatalf("files left: %v", got)
	}

	r.putErr = nil
	sha, path, err := s.Put(data, ".json")
	if err != nil {
		t.Fatal(err)
	}
	if !r.has(sha) {
		t.Error("the remote lacks a file the store has")
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}

// A file already in the directory but not on the remote (put before the
// store had one, or left by a Remove cut short) reaches the remote when
// it is put again.
func TestPutAgainReachesRemote(t *testing.T) {
	s := newStore(t)
	data := []byte("stored alone")
	sha, _, err := s.Put(data, ".json")
	if err != nil {
		t.Fatal(err)
	}
	r := newMemRemote()
	s.SetRemote(r)
	if _, _, err := s.Put(data, ".json"); err != nil {
		t.Fatal(err)
	}
	if !r.has(sha) {
		t.Error("Put of bytes already stored did not reach the remote")
	}
}

// Bytes from the remote that do not hash to their name are refused and
// not cached, whatever the remote itself checked.
func TestFetchVerifiesHash(t *testing.T) {
	s := newStore(t)
	r := newMemRemote()
	s.SetRemote(r)
	good := []byte("the real program")
	sha := shaOf(good)
	for name, bad := range map[string][]byte{"truncated": good[:5], "other": []byte("an impostor!!!!!"), "empty": {}} {
		r.obj[sha] = memObject{".json", bad}
		_, err := s.Find(context.Background(), sha)
		if !errors.Is(err, ErrRemoteCorrupt) {
			t.Errorf("%s: got %v, want ErrRemoteCorrupt", name, err)
		}
		if got := storeFiles(t, s); len(got) > 0 {
			t.Fatalf("%s: files left: %v", name, got)
		}
	}
	r.obj[sha] = memObject{".json", good}
	p, err := s.Find(context.Background(), sha)
	if err != nil || p != s.Path(sha, ".json") {
		t.Fatalf("good bytes: %q, %v", p, err)
	}
}

// Remove takes the remote object first: if that fails, the local file
// stays, for the next pass, and the error says so.
func TestRemoveRemoteFirst(t *testing.T) {
	s := newStore(t)
	r := newMemRemote()
	s.SetRemote(r)
	sha, path, err := s.Put([]byte("to go"), ".json")
	if err != nil {
		t.Fatal(err)
	}
	r.delErr = errors.New("NATS is away")
	if err := s.Remove(sha); err == nil {
		t.Fatal("Remove succeeded without the remote")
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the local file went before the remote object: %v", err)
	}
	r.delErr = nil
	if err := s.Remove(sha); err != nil {
		t.Fatal(err)
	}
	if r.has(sha) {
		t.Error("the remote still has it")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the local file is still there: %v", err)
	}
}

// A Find that gives up (its request ended) does not fail the fetch for
// another Find waiting for the same file.
func TestFindGivesUpAlone(t *testing.T) {
	s := newStore(t)
	r := newMemRemote()
	data := []byte("shared")
	sha := shaOf(data)
	r.obj[sha] = memObject{".json", data}
	r.gate, r.started = make(chan struct{}), make(chan struct{}, 2)
	s.SetRemote(r)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := s.Find(ctx, sha); first <- err }()
	<-r.started // the first Find's fetch is under way
	second := make(chan error, 1)
	go func() { _, err := s.Find(context.Background(), sha); second <- err }()
	for s.Stats().Joined < 1 { // the second waits for it
		select {
		case <-r.started:
			t.Fatal("a second fetch")
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled Find: %v", err)
	}
	close(r.gate)
	if err := <-second; err != nil {
		t.Errorf("the other Find: %v", err)
	}
	if _, err := os.Stat(s.Path(sha, ".json")); err != nil {
		t.Error(err)
	}
}

// TestCacheRemovesOnlyTheCopyHere: a replica trimming its cache lists and
// removes its own copies; the shared object stays, and the file is
// fetched from it again when asked for.
func TestCacheRemovesOnlyTheCopyHere(t *testing.T) {
	s := newStore(t)
	r := newMemRemote()
	s.SetRemote(r)
	sha, path, err := s.Put([]byte("bản sao"), ".json")
	if err != nil {
		t.Fatal(err)
	}
	r.obj["ff"+sha[2:]] = memObject{} // only the remote holds it: not the cache's
	files, err := s.Cache().Files()
	if err != nil || len(files) != 1 || files[0].SHA256 != sha || files[0].Path != path {
		t.Fatalf("cache files %+v, %v; want only %s here", files, err, sha)
	}
	if err := s.Cache().Remove(sha); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the copy here is still there: %v", err)
	}
	if !r.has(sha) {
		t.Fatal("the shared object went with the copy")
	}
	if _, err := s.Find(context.Background(), sha); err != nil {
		t.Fatalf("fetched again: %v", err)
	}
}
