// Package cache keeps the agent's content-addressed files: every asset is
// stored under its SHA-256, downloaded from the controller with resumable
// HTTP Range requests, verified before it is used, and written to a
// temporary name, fsynced and renamed, so a power cut never leaves a
// half-written file where a complete one is expected.
//
// Layout under the cache directory:
//
//	ab/abcdef…      complete, verified assets
//	partial/abcd…   downloads in progress (kept across restarts to resume)
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pano-signage/pano/agent/internal/atomicfile"
	"github.com/pano-signage/pano/protocol"
)

var hashRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ErrCorrupt is returned when a download does not hash to its name.
var ErrCorrupt = errors.New("cache: downloaded bytes do not match their SHA-256")

// DefaultIdleTimeout ends a download that has received nothing for this
// long: a link that went silent without closing (a mobile link lost, a NAT
// that forgot the connection) would otherwise hold it for TCP's own
// timeout, a quarter of an hour, while the agent reconnects around it.
const DefaultIdleTimeout = 30 * time.Second

// Cache is safe for concurrent use.
type Cache struct {
	// IdleTimeout overrides DefaultIdleTimeout; set it before the first
	// Fetch.
	IdleTimeout time.Duration

	dir    string
	base   atomic.Pointer[string] // controller base URL, http(s)://host:port
	token  func() string
	client *http.Client

	mu       sync.Mutex
	inflight map[string]*call
}

type call struct {
	done chan struct{}
	err  error
}

// New returns a cache in dir fetching from base (http or https URL of the
// controller) with the bearer token that token returns.
func New(dir, base string, token func() string, client *http.Client) (*Cache, error) {
	for _, d := range []string{dir, filepath.Join(dir, "partial")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	if client == nil {
		client = &http.Client{Timeout: 0} // bounded per request by ctx and IdleTimeout (download)
	}
	c := &Cache{dir: dir, token: token, client: client, inflight: map[string]*call{}}
	c.SetBase(base)
	return c, nil
}

// SetBase points later fetches at another controller: the agent fetches
// from the replica its link is on, which serves every asset as any other.
func (c *Cache) SetBase(base string) {
	base = strings.TrimRight(base, "/")
	c.base.Store(&base)
}

// Path is where a complete asset lives.
func (c *Cache) Path(sha string) string {
	return filepath.Join(c.dir, sha[:2], sha)
}

func (c *Cache) partial(sha string) string {
	return filepath.Join(c.dir, "partial", sha)
}

// Has reports whether a complete, verified asset is cached.
func (c *Cache) Has(sha string) bool {
	if !hashRe.MatchString(sha) {
		return false
	}
	_, err := os.Stat(c.Path(sha))
	return err == nil
}

// PartialSize is how many bytes of an unfinished download are on disk.
func (c *Cache) PartialSize(sha string) int64 {
	st, err := os.Stat(c.partial(sha))
	if err != nil {
		return 0
	}
	return st.Size()
}

// Fetch makes sure the asset is cached, downloading (or resuming) it when
// needed. Concurrent calls for one asset share one download. progress, if
// not nil, is called with bytes written as they arrive.
func (c *Cache) Fetch(ctx context.Context, sha string, progress func(n int64)) error {
	if !hashRe.MatchString(sha) {
		return fmt.Errorf("cache: %q is not a SHA-256", sha)
	}
	if c.Has(sha) {
		return nil
	}
	c.mu.Lock()
	if cl, ok := c.inflight[sha]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[sha] = cl
	c.mu.Unlock()

	cl.err = c.download(ctx, sha, progress)
	c.mu.Lock()
	delete(c.inflight, sha)
	c.mu.Unlock()
	close(cl.done)
	return cl.err
}

func (c *Cache) download(ctx context.Context, sha string, progress func(int64)) error {
	idle := c.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var silent atomic.Bool
	watchdog := time.AfterFunc(idle, func() { silent.Store(true); cancel() })
	defer watchdog.Stop()
	err := c.fetchInto(ctx, sha, func(n int64) {
		watchdog.Reset(idle)
		if progress != nil {
			progress(n)
		}
	})
	if err != nil && silent.Load() {
		return fmt.Errorf("%w (nothing arrived for %v)", err, idle)
	}
	return err
}

// fetchInto downloads (or resumes) sha into its partial file and renames it
// into place once it hashes right; progress is called as bytes arrive.
func (c *Cache) fetchInto(ctx context.Context, sha string, progress func(int64)) error {
	part := c.partial(sha)
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer f.Close()

	// Hash what we already have, then continue from there.
	h := sha256.New()
	have, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("cache: read partial %s: %w", sha[:12], err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *c.base.Load()+protocol.AssetsPath+sha, nil)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if c.token != nil {
		req.Header.Set("Authorization", "Bearer "+c.token())
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
		// Resume only if the file is still the one we started: assets are
		// immutable, so the strong ETag is the hash itself.
		req.Header.Set("If-Range", `"`+sha+`"`)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("cache: fetch %s: %w", sha[:12], err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		if !strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes "+strconv.FormatInt(have, 10)+"-") {
			return fmt.Errorf("cache: fetch %s: controller resumed at %q, asked %d", sha[:12], resp.Header.Get("Content-Range"), have)
		}
	case resp.StatusCode == http.StatusOK:
		// Whole file: start over.
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		h.Reset()
		have = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// The partial file is as long as the asset (or longer): verify it.
	default:
		return fmt.Errorf("cache: fetch %s: controller answered %s", sha[:12], resp.Status)
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if progress != nil && have > 0 {
		progress(have)
	}
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		w := io.MultiWriter(f, h, progressWriter(progress))
		if n, err := io.Copy(w, resp.Body); err != nil {
			// Keep what arrived (fsynced) so the next attempt resumes.
			_ = f.Sync()
			return fmt.Errorf("cache: fetch %s: cut after %d bytes arrived (%d on disk to resume from): %w", sha[:12], n, have+n, err)
		}
	}
	if hex.EncodeToString(h.Sum(nil)) != sha {
		f.Close()
		os.Remove(part)
		return fmt.Errorf("%w (%s); the partial file was removed and will be fetched again", ErrCorrupt, sha[:12])
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cache: sync: %w", err)
	}
	dst := c.Path(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(part, dst); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(part))
}

type progressWriter func(int64)

func (p progressWriter) Write(b []byte) (int, error) {
	if p != nil {
		p(int64(len(b)))
	}
	return len(b), nil
}

// Verify re-hashes every complete asset and removes those that do not match
// their name (bit rot, a file edited by hand). It returns the removed hashes.
func (c *Cache) Verify() ([]string, error) {
	var bad []string
	for _, sha := range c.list() {
		f, err := os.Open(c.Path(sha.name))
		if err != nil {
			continue
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil || hex.EncodeToString(h.Sum(nil)) != sha.name {
			os.Remove(c.Path(sha.name))
			bad = append(bad, sha.name)
		}
	}
	return bad, nil
}

type entry struct {
	name  string
	size  int64
	mtime time.Time
}

func (c *Cache) list() []entry {
	var out []entry
	_ = filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if d.Name() == "partial" {
				return filepath.SkipDir
			}
			return nil
		}
		if !hashRe.MatchString(d.Name()) || filepath.Base(filepath.Dir(path)) != d.Name()[:2] {
			return nil
		}
		if info, err := d.Info(); err == nil {
			out = append(out, entry{d.Name(), info.Size(), info.ModTime()})
		}
		return nil
	})
	return out
}

// Bytes is the size of the complete assets.
func (c *Cache) Bytes() int64 {
	var n int64
	for _, e := range c.list() {
		n += e.size
	}
	return n
}

// Evict removes assets not in keep, oldest first, until the cache holds at
// most quota bytes, and drops partial downloads of assets not in keep. Assets
// in keep are never removed, even over quota.
func (c *Cache) Evict(keep map[string]bool, quota int64) (removed int) {
	entries := c.list()
	sort.Slice(entries, func(i, j int) bool { return entries[i].mtime.Before(entries[j].mtime) })
	var total int64
	for _, e := range entries {
		total += e.size
	}
	for _, e := range entries {
		if total <= quota {
			break
		}
		if keep[e.name] {
			continue
		}
		if os.Remove(c.Path(e.name)) == nil {
			total -= e.size
			removed++
		}
	}
	parts, _ := os.ReadDir(filepath.Join(c.dir, "partial"))
	for _, p := range parts {
		if !keep[p.Name()] {
			os.Remove(filepath.Join(c.dir, "partial", p.Name()))
		}
	}
	return removed
}
