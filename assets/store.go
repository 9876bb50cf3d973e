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
	"path/filepath"
	"strings"
	"sync"
)

// Store is a content-addressed file store: a file whose SHA-256 is
// abcdef… with extension .png lives at <dir>/ab/abcdef….png. Files are
// written to <dir>/tmp, fsynced and renamed into place, so a reader never
// sees a partial file and a crash leaves at most a temporary file, which
// OpenStore removes. The same bytes are stored once.
//
// A Store directory belongs to one process: OpenStore empties its tmp/.
//
// With a Remote (SetRemote), the directory is this replica's cache of a
// store that every replica shares: see remote.go.
type Store struct {
	dir string

	// remote, if set, holds every file the store commits; see SetRemote.
	remote Remote
	mu     sync.Mutex         // guards flights and stats
	flight map[string]*flight // sha → the fetch from remote under way
	stats  RemoteStats
}

// OpenStore creates dir if needed and removes temporary files left by a crash.
func OpenStore(dir string) (*Store, error) {
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("assets: open store: %w", err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, fmt.Errorf("assets: open store: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			return nil, fmt.Errorf("assets: open store: remove stale temp: %w", err)
		}
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's root directory.
func (s *Store) Dir() string { return s.dir }

// ValidSHA256 reports whether h is 64 lower-case hex digits, the only form of
// name a Store accepts (so a name from a URL can never escape the store).
func ValidSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Path is where the file with this hash and extension (".png", "" for none)
// lives; it does not say whether it is there.
func (s *Store) Path(sha, ext string) string {
	return filepath.Join(s.dir, sha[:2], sha+ext)
}

// Find returns the path of the stored file with this hash, whatever its
// extension, or an error wrapping fs.ErrNotExist. With a remote, a file
// this replica does not hold yet is fetched from it first (see fetch);
// ctx bounds this caller's wait, not the fetch, which others may share.
func (s *Store) Find(ctx context.Context, sha string) (string, error) {
	p, err := s.findLocal(sha)
	if err == nil || s.remote == nil || !errors.Is(err, fs.ErrNotExist) || !ValidSHA256(sha) {
		return p, err
	}
	return s.fetch(ctx, sha)
}

// findLocal is Find in the local directory only.
func (s *Store) findLocal(sha string) (string, error) {
	if !ValidSHA256(sha) {
		return "", fmt.Errorf("assets: find %q: %w", sha, fs.ErrNotExist)
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, sha[:2]))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("assets: find %s: %w", sha, err)
	}
	for _, e := range entries {
		if n := e.Name(); n == sha || strings.HasPrefix(n, sha+".") {
			return filepath.Join(s.dir, sha[:2], n), nil
		}
	}
	return "", fmt.Errorf("assets: find %s: %w", sha, fs.ErrNotExist)
}

// Put stores data under its SHA-256 with the extension ext and returns the
// hash and the path. Storing bytes that are already there is a no-op
// (but for making sure the remote, if any, has them too).
func (s *Store) Put(data []byte, ext string) (sha, path string, err error) {
	sum := sha256.Sum256(data)
	sha = hex.EncodeToString(sum[:])
	path = s.Path(sha, ext)
	if _, err := os.Stat(path); err == nil {
		if err := s.publish(context.Background(), sha, ext, bytes.NewReader(data)); err != nil {
			return "", "", err
		}
		return sha, path, nil
	}
	f, err := s.createTemp()
	if err != nil {
		return "", "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", "", fmt.Errorf("assets: put %s: %w", sha, err)
	}
	if _, _, err := s.commit(context.Background(), f, sha, ext); err != nil {
		return "", "", err
	}
	return sha, path, nil
}

// Remove deletes the stored file with this hash, if any: from the remote
// first, then from this replica's directory, so that when the remote
// fails nothing is removed and the error says so (a collector tries again
// at its next pass). Other replicas' copies stay on their disks until
// their own Remove.
func (s *Store) Remove(sha string) error {
	if s.remote != nil && ValidSHA256(sha) {
		if err := s.remote.Delete(context.Background(), sha); err != nil {
			return fmt.Errorf("assets: remove %s: %w: %w", sha, ErrRemote, err)
		}
	}
	p, err := s.findLocal(sha)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("assets: remove %s: %w", sha, err)
	}
	return nil
}

func (s *Store) createTemp() (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return nil, fmt.Errorf("assets: create temp: %w", err)
	}
	return f, nil
}

// commit fsyncs and closes f, hands it to the remote if there is one, and
// renames it to the path for sha+ext. If that file exists already, f is
// removed and existed is true. On any error f is removed too: commit never
// leaves f behind.
//
// The remote comes before the rename, so that a file in the directory is
// always on the remote too: a crash before the rename leaves a temporary
// file (removed by OpenStore) and perhaps a complete remote object that
// nothing names yet, never a name for bytes the other replicas cannot
// fetch, and nothing is named in the database before commit returns.
func (s *Store) commit(ctx context.Context, f *os.File, sha, ext string) (path string, existed bool, err error) {
	tmp := f.Name()
	defer func() {
		if err != nil || existed {
			os.Remove(tmp)
		}
	}()
	if err := f.Sync(); err != nil {
		f.Close()
		return "", false, fmt.Errorf("assets: commit %s: %w", sha, err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("assets: commit %s: %w", sha, err)
	}
	path = s.Path(sha, ext)
	src := tmp
	if _, err := os.Stat(path); err == nil {
		src = path // the same bytes, already here: the remote may still lack them
	}
	if err := s.publishFile(ctx, sha, ext, src); err != nil {
		return "", false, err
	}
	return s.commitPath(tmp, sha, ext)
}

// publish makes sure the remote, if any, holds r's bytes under sha.
func (s *Store) publish(ctx context.Context, sha, ext string, r io.Reader) error {
	if s.remote == nil {
		return nil
	}
	if err := s.remote.Put(ctx, sha, ext, r); err != nil {
		return fmt.Errorf("assets: commit %s: %w: %w", sha, ErrRemote, err)
	}
	return nil
}

// publishFile is publish for the file at path.
func (s *Store) publishFile(ctx context.Context, sha, ext, path string) error {
	if s.remote == nil {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("assets: commit %s: %w", sha, err)
	}
	defer f.Close()
	return s.publish(ctx, sha, ext, f)
}

// commitPath renames the closed, synced file tmp into place (see commit);
// it does not touch the remote.
func (s *Store) commitPath(tmp, sha, ext string) (path string, existed bool, err error) {
	path = s.Path(sha, ext)
	if _, err := os.Stat(path); err == nil {
		os.Remove(tmp)
		return path, true, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		os.Remove(tmp)
		return "", false, fmt.Errorf("assets: commit %s: %w", sha, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return "", false, fmt.Errorf("assets: commit %s: %w", sha, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", false, fmt.Errorf("assets: commit %s: %w", sha, err)
	}
	// The rename is durable only once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return path, false, nil
}

// StoredFile is one file of the store.
type StoredFile struct {
	SHA256 string
	Path   string // "" for a file only the remote holds
	Size   int64
}

// Files lists the stored files (not the temporary ones being written), for
// a collector to find those nothing names any more. With a remote, those
// that only the remote holds (stored by another replica) are listed too,
// with no Path: a collector on any one replica sees every file.
func (s *Store) Files() ([]StoredFile, error) {
	out, err := s.localFiles()
	if err != nil || s.remote == nil {
		return out, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	remote, err := s.remote.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("assets: list: %w: %w", ErrRemote, err)
	}
	here := make(map[string]bool, len(out))
	for _, f := range out {
		here[f.SHA256] = true
	}
	for _, f := range remote {
		if ValidSHA256(f.SHA256) && !here[f.SHA256] {
			here[f.SHA256] = true
			out = append(out, StoredFile{SHA256: f.SHA256, Size: f.Size})
		}
	}
	return out, nil
}

// Cache is this replica's directory of a store with a remote, as a
// collector of its own copies sees it: Files lists only the files here,
// Remove deletes only the copy here (the remote's object, and the rows
// naming it, are the leading replica's collector's).
func (s *Store) Cache() CacheFiles { return CacheFiles{s} }

// CacheFiles is a store's own directory; see Store.Cache.
type CacheFiles struct{ s *Store }

// Files lists the files in the directory.
func (c CacheFiles) Files() ([]StoredFile, error) { return c.s.localFiles() }

// Remove deletes the directory's copy of the file, if any.
func (c CacheFiles) Remove(sha string) error {
	p, err := c.s.findLocal(sha)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("assets: remove the copy of %s: %w", sha, err)
	}
	return nil
}

// localFiles lists the files of the directory.
func (s *Store) localFiles() ([]StoredFile, error) {
	dirs, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("assets: list: %w", err)
	}
	var out []StoredFile
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue // tmp/ and anything not ours
		}
		entries, err := os.ReadDir(filepath.Join(s.dir, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("assets: list: %w", err)
		}
		for _, e := range entries {
			sha, _, _ := strings.Cut(e.Name(), ".")
			if !e.Type().IsRegular() || !ValidSHA256(sha) || sha[:2] != d.Name() {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			out = append(out, StoredFile{SHA256: sha, Path: filepath.Join(s.dir, d.Name(), e.Name()), Size: fi.Size()})
		}
	}
	return out, nil
}
