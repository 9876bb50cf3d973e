// Package collect removes what the asset store holds for nothing: the
// renditions no live revision needs (a replaced revision's, a removed
// display's geometry, a draft video's beyond its preview) and the files —
// renditions and originals — that nothing in the database names any more
// (deleted media).
//
// Nothing goes at once: a rendition or file must have been unneeded for a
// grace period, at every pass, before it is removed, so an agent fetching
// an asset of the plan it was just sent is not cut off, and a file written
// just before its row is never taken for garbage. A file an agent's
// current plan names is never removed. The grace is counted from when
// this process first saw the thing unneeded: a restart starts it again,
// which only ever keeps things longer.
package collect

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/store"
)

// Store is what the collector asks of the database.
type Store interface {
	UnneededRenditions(ctx context.Context, keep store.Geometry) ([]store.Rendition, error)
	DeleteRendition(ctx context.Context, id int64) (bool, error)
	ReferencedSHAs(ctx context.Context) (map[string]bool, error)
	PlanAssetSHAs(ctx context.Context) (map[string]bool, error)
	SHAInUse(ctx context.Context, sha string) (bool, error)
}

// Files is the asset store as the collector sees it.
type Files interface {
	Files() ([]assets.StoredFile, error)
	Remove(sha string) error
}

// Options configure a Collector; zero values take the defaults.
type Options struct {
	Log   *slog.Logger
	Grace time.Duration    // default 1 h
	Every time.Duration    // Run's period, default 10 min
	Now   func() time.Time // default time.Now
	// Keep is a geometry kept for every live revision although no display
	// has it (the dashboard's thumbnails).
	Keep store.Geometry
	// FilesOnly removes files nothing names and leaves renditions' rows
	// alone: a replica trimming its own cache of the shared asset store
	// (assets.Store.Cache), while the leading replica collects the rest.
	FilesOnly bool
}

// Collector removes unneeded renditions and files; see the package doc.
type Collector struct {
	st  Store
	fs  Files
	o   Options
	mu  sync.Mutex
	row map[int64]time.Time  // rendition id → first seen unneeded
	sha map[string]time.Time // file hash → first seen unnamed
}

// New returns a collector; call Collect, or Run for a periodic one.
func New(st Store, fs Files, o Options) *Collector {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Grace <= 0 {
		o.Grace = time.Hour
	}
	if o.Every <= 0 {
		o.Every = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Collector{st: st, fs: fs, o: o, row: map[int64]time.Time{}, sha: map[string]time.Time{}}
}

// Report is what one pass removed.
type Report struct {
	Renditions int   // rows
	Files      int   // files
	Bytes      int64 // of the files
	Waiting    int   // unneeded, still within their grace
}

// Collect makes one pass.
func (c *Collector) Collect(ctx context.Context) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var rep Report
	now := c.o.Now()
	var unneeded []store.Rendition
	inPlans, err := c.st.PlanAssetSHAs(ctx)
	if err == nil && !c.o.FilesOnly {
		unneeded, err = c.st.UnneededRenditions(ctx, c.o.Keep)
	}
	if err != nil {
		return rep, err
	}
	seen := map[int64]bool{}
	for _, r := range unneeded {
		if r.SHA256 != "" && inPlans[r.SHA256] {
			continue // an agent may be fetching it: its plan names it
		}
		seen[r.ID] = true
		first, ok := c.row[r.ID]
		if !ok {
			c.row[r.ID] = now
			first = now
		}
		if now.Sub(first) < c.o.Grace {
			rep.Waiting++
			continue
		}
		gone, err := c.st.DeleteRendition(ctx, r.ID)
		if err != nil {
			return rep, err
		}
		delete(c.row, r.ID)
		if gone {
			rep.Renditions++
		}
	}
	for id := range c.row {
		if !seen[id] {
			delete(c.row, id) // needed again (a display of that geometry came back)
		}
	}

	named, err := c.st.ReferencedSHAs(ctx)
	if err != nil {
		return rep, err
	}
	files, err := c.fs.Files()
	if err != nil {
		return rep, err
	}
	unnamed := map[string]bool{}
	for _, f := range files {
		if named[f.SHA256] {
			continue
		}
		unnamed[f.SHA256] = true
		first, ok := c.sha[f.SHA256]
		if !ok {
			c.sha[f.SHA256] = now
			first = now
		}
		if now.Sub(first) < c.o.Grace {
			rep.Waiting++
			continue
		}
		// Named since the pass began (the same bytes uploaded again)?
		if again, err := c.st.SHAInUse(ctx, f.SHA256); err != nil || again {
			if err != nil {
				return rep, err
			}
			delete(c.sha, f.SHA256)
			continue
		}
		if err := c.fs.Remove(f.SHA256); err != nil && !os.IsNotExist(err) {
			return rep, err
		}
		delete(c.sha, f.SHA256)
		rep.Files++
		rep.Bytes += f.Size
	}
	for sha := range c.sha {
		if !unnamed[sha] {
			delete(c.sha, sha)
		}
	}
	return rep, nil
}

// Run collects every Options.Every until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	t := time.NewTicker(c.o.Every)
	defer t.Stop()
	for {
		rep, err := c.Collect(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			c.o.Log.Error("collect: pass failed", "err", err)
		case rep.Renditions > 0 || rep.Files > 0:
			c.o.Log.Info("collect: removed what nothing needs", "renditions", rep.Renditions, "files", rep.Files,
				"bytes", rep.Bytes, "waiting", rep.Waiting)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
