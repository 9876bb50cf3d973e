package assets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Remote is a store of files shared by every controller replica (NATS
// JetStream's object store in pano: controller/internal/cluster/objstore),
// keyed by SHA-256 like Store. With one, a Store's directory is this
// replica's cache: every file it commits is on the remote before it has a
// name here, and a file it lacks is fetched from the remote on demand.
type Remote interface {
	// Put stores r's bytes under sha, remembering ext. Once it returns nil,
	// Get(sha) gives exactly those bytes; if it fails, Get gives what it
	// gave before (nothing, or an earlier complete object), never part of
	// r. If the remote already holds an intact object under sha, Put may
	// return without reading r.
	Put(ctx context.Context, sha, ext string, r io.Reader) error
	// Get writes the object's bytes to w, in order, as they arrive (a video
	// is never held whole in memory), and returns its ext. With no object
	// under sha the error wraps fs.ErrNotExist. It may have written part of
	// the object before an error; the Store discards it.
	Get(ctx context.Context, sha string, w io.Writer) (ext string, err error)
	// Delete removes the object; none there is not an error.
	Delete(ctx context.Context, sha string) error
	// List returns every object (SHA256 and Size; no Path), for the
	// collector, which must see the files other replicas stored too.
	List(ctx context.Context) ([]StoredFile, error)
}

// listTimeout bounds Files' listing of the remote, which would otherwise
// wait as long as NATS is away.
const listTimeout = time.Minute

// ErrRemoteCorrupt is the error of a fetch whose bytes do not hash to the
// name they were fetched under (the remote object is damaged or
// truncated). Nothing is cached then.
var ErrRemoteCorrupt = errors.New("the shared store's copy is corrupt")

// ErrRemote wraps the errors of a remote that failed (away, timed out,
// full): the operation may succeed later, as against a corrupt or a
// missing object, or a refused upload.
var ErrRemote = errors.New("the shared store failed")

// RemoteStats count what a Store fetched from its remote.
type RemoteStats struct {
	Fetches int64 // remote reads started
	Joined  int64 // Finds that waited for a fetch another Find had started
	Bytes   int64 // read by fetches that were cached
	Refused int64 // fetches refused as corrupt (ErrRemoteCorrupt)
}

// flight is one fetch under way; done closes when path or err is set.
type flight struct {
	done chan struct{}
	path string
	err  error
}

// SetRemote makes r the store shared with the other replicas (see Remote).
// Call it once, before the store is used. Files already in the directory
// are not uploaded: see UploadMissing.
func (s *Store) SetRemote(r Remote) {
	s.remote = r
	s.flight = map[string]*flight{}
}

// Stats returns the counts of remote fetches so far.
func (s *Store) Stats() RemoteStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// fetch brings the file sha from the remote into the directory, once
// however many Finds ask for it at the same time, and returns its path.
// The fetch runs in its own goroutine, so that a caller that gives up
// (ctx) does not fail the others waiting for it; it ends when the remote
// has sent the object or failed (the JetStream client gives up on a stalled
// read after its request timeout).
func (s *Store) fetch(ctx context.Context, sha string) (string, error) {
	s.mu.Lock()
	f := s.flight[sha]
	if f != nil {
		s.stats.Joined++
	} else {
		f = &flight{done: make(chan struct{})}
		s.flight[sha] = f
		s.stats.Fetches++
		go s.fly(context.WithoutCancel(ctx), sha, f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.path, f.err
	case <-ctx.Done():
		return "", fmt.Errorf("assets: find %s: %w", sha, ctx.Err())
	}
}

func (s *Store) fly(ctx context.Context, sha string, f *flight) {
	var n int64
	f.path, n, f.err = s.fetchNow(ctx, sha)
	s.mu.Lock()
	delete(s.flight, sha)
	switch {
	case f.err == nil:
		s.stats.Bytes += n
	case errors.Is(f.err, ErrRemoteCorrupt):
		s.stats.Refused++
	}
	s.mu.Unlock()
	close(f.done)
}

// fetchNow copies the remote object into a temporary file, hashing as it
// goes, and renames it into place only if the hash is its name: the same
// path as a Put, so a crash leaves only a temporary file.
func (s *Store) fetchNow(ctx context.Context, sha string) (path string, n int64, err error) {
	// A Put may have finished since the caller looked.
	if p, err := s.findLocal(sha); err == nil {
		return p, 0, nil
	}
	tmp, err := s.createTemp()
	if err != nil {
		return "", 0, err
	}
	sealed := false
	defer func() {
		if err != nil {
			if !sealed {
				tmp.Close()
			}
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	ext, err := s.remote.Get(ctx, sha, cw)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, fmt.Errorf("assets: find %s: not here nor in the shared store: %w", sha, err)
	}
	if errors.Is(err, ErrRemoteCorrupt) {
		return "", 0, fmt.Errorf("assets: fetch %s from the shared store: %w", sha, err)
	}
	if err != nil {
		return "", 0, fmt.Errorf("assets: fetch %s: %w: %w", sha, ErrRemote, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return "", 0, fmt.Errorf("assets: fetch %s from the shared store: %w: its %d bytes have the SHA-256 %s; not cached (upload the file again)",
			sha, ErrRemoteCorrupt, cw.n, got)
	}
	if !validExt(ext) {
		return "", 0, fmt.Errorf("assets: fetch %s from the shared store: %w: its extension %q is not one the store makes", sha, ErrRemoteCorrupt, ext)
	}
	sealed = true
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", 0, fmt.Errorf("assets: fetch %s: %w", sha, err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("assets: fetch %s: %w", sha, err)
	}
	path, _, err = s.commitPath(tmp.Name(), sha, ext) // removes tmp itself
	return path, cw.n, err
}

// validExt reports whether ext is one the store could have made: empty, or
// a dot and 1 to 8 lower-case letters or digits (it becomes part of a path).
func validExt(ext string) bool {
	if ext == "" {
		return true
	}
	if len(ext) < 2 || len(ext) > 9 || ext[0] != '.' {
		return false
	}
	for i := 1; i < len(ext); i++ {
		if c := ext[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// UploadMissing puts every file of the directory on the remote that does
// not hold it yet: for a store that ran without a remote (one replica)
// before it joined others. Put skips what the remote has, so a second run
// costs one look-up per file. It stops at the first error.
func (s *Store) UploadMissing(ctx context.Context) (checked int, err error) {
	if s.remote == nil {
		return 0, nil
	}
	files, err := s.localFiles()
	if err != nil {
		return 0, err
	}
	for _, f := range files {
		_, ext, _ := strings.Cut(filepath.Base(f.Path), ".")
		if ext != "" {
			ext = "." + ext
		}
		if err := s.publishFile(ctx, f.SHA256, ext, f.Path); err != nil {
			return checked, err
		}
		checked++
	}
	return checked, nil
}
