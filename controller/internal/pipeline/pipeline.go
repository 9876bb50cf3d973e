// Package pipeline makes the renditions the displays need: for every media
// revision that is current or approved and every panel geometry in use
// (the distinct width × height × fit of the displays), the exact pixels
// that geometry shows, made by package assets and recorded in the store.
//
// The queue is the renditions table itself: a row is queued, processing,
// ready or failed, so a restart resumes unfinished work (Start puts rows
// left processing back in the queue). A bounded number of workers take
// rows one at a time; a video's ffmpeg runs under the pipeline's context
// and is killed when Close cancels it, and its rendition goes back to the
// queue. Progress is stored per rendition and, while a revision is
// processing, as its processing_progress.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pano-signage/pano/assets"
	"github.com/pano-signage/pano/controller/internal/store"
)

// RenditionStore is what the pipeline reads and writes of the store (the
// renditions table is its queue), declared here so that another store can
// stand in for *store.Store.
type RenditionStore interface {
	RequeueRenditions(ctx context.Context) (int64, error)
	EnqueueRenditions(ctx context.Context) (int64, error)
	ClaimRendition(ctx context.Context) (store.RenditionJob, error)
	SetRenditionProgress(ctx context.Context, id int64, pct int) error
	FinishRendition(ctx context.Context, id int64, r store.Rendition) error
	FailRendition(ctx context.Context, id int64, msg string) error
	RequeueRendition(ctx context.Context, id int64) error
}

var _ RenditionStore = (*store.Store)(nil)

// Options configure a Pipeline; zero values take the defaults.
type Options struct {
	Log     *slog.Logger
	Store   RenditionStore
	Assets  *assets.Store
	Workers int          // concurrent renditions, default 2
	FPS     int          // video renditions' frame rate, default 25
	Tools   assets.Tools // ffmpeg and ffprobe
	// Budget bounds the memory of image decodes, shared with the API's
	// uploads and previews; the pipeline waits for room as long as it
	// takes. nil: unbounded.
	Budget *assets.Budget
	// ProbeTimeout bounds ffprobe on an accepted video (default 30 s).
	ProbeTimeout time.Duration
	// Retry is how long a worker waits after the database could not give
	// it a job, or the shared asset store (assets.ErrRemote) failed a
	// rendition, which then goes back to the queue (default 5 s).
	Retry time.Duration
	// OnReady, if set, is called (from a worker, one call at a time per
	// worker) when a rendition of the revision becomes ready. It must not
	// block for long.
	OnReady func(revisionID int64)
	// OnFailed, if set, is called when a rendition could not be made.
	OnFailed func(revisionID int64, err error)
	// OnProgress, if set, is called after a video rendition's progress is
	// stored (percent, 0–99).
	OnProgress func(revisionID int64, pct int)
}

// Pipeline runs the rendition workers.
type Pipeline struct {
	o      Options
	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New returns a pipeline; Start runs it.
func New(o Options) *Pipeline {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.FPS <= 0 {
		o.FPS = 25
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 30 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = retryAfter
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{o: o, wake: make(chan struct{}, o.Workers)}
}

// Start puts renditions left processing by an earlier run back in the
// queue, queues what the displays need and starts the workers. They stop
// when ctx ends or Close is called.
func (p *Pipeline) Start(ctx context.Context) error {
	if n, err := p.o.Store.RequeueRenditions(ctx); err != nil {
		return err
	} else if n > 0 {
		p.o.Log.Info("pipeline: resuming unfinished renditions", "count", n)
	}
	ctx, p.cancel = context.WithCancel(ctx)
	for i := 0; i < p.o.Workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.work(ctx)
		}()
	}
	return p.Kick(ctx)
}

// Kick queues the renditions that are missing (after a media was created
// or edited, or a display created or changed) and wakes the workers.
func (p *Pipeline) Kick(ctx context.Context) error {
	n, err := p.o.Store.EnqueueRenditions(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		p.o.Log.Debug("pipeline: renditions queued", "count", n)
	}
	for i := 0; i < p.o.Workers; i++ {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Close stops the workers, killing any ffmpeg, and waits for them until
// ctx ends. Renditions in progress go back to the queue.
func (p *Pipeline) Close(ctx context.Context) error {
	p.once.Do(func() {
		if p.cancel != nil {
			p.cancel()
		}
	})
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pipeline: close: %w", ctx.Err())
	}
}

// retryAfter is the default Options.Retry: how long a worker waits after
// the store failed to give it a job (a locked or broken database), unless
// woken before, or after the shared asset store failed.
const retryAfter = 5 * time.Second

func (p *Pipeline) work(ctx context.Context) {
	for ctx.Err() == nil {
		job, err := p.o.Store.ClaimRendition(ctx)
		if err == nil {
			if !p.run(ctx, job) {
				// The shared asset store failed: wait before the next
				// job, which would most likely fail too.
				select {
				case <-ctx.Done():
				case <-time.After(p.o.Retry):
				}
			}
			continue
		}
		var retry <-chan time.Time
		if !errors.Is(err, store.ErrNotFound) {
			if ctx.Err() != nil {
				return
			}
			p.o.Log.Error("pipeline: cannot take a job", "err", err)
			retry = time.After(p.o.Retry)
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-retry:
		}
	}
}

// run makes one claimed rendition and records the outcome. It returns
// false if the shared asset store failed (NATS away): the rendition is
// then back in the queue, not failed, since it will succeed later.
func (p *Pipeline) run(ctx context.Context, job store.RenditionJob) bool {
	r, rev := job.Rendition, job.Revision
	log := p.o.Log.With("rendition", r.ID, "revision", rev.ID, "kind", rev.Kind, "geometry", fmt.Sprintf("%dx%d-%s", r.Width, r.Height, r.Fit))
	start := time.Now()
	row, err := p.make(ctx, job)
	// The outcome is recorded even when ctx ended meanwhile.
	bg := context.WithoutCancel(ctx)
	if err != nil && ctx.Err() != nil {
		log.Info("pipeline: stopped; the rendition goes back to the queue")
		if err := p.o.Store.RequeueRendition(bg, r.ID); err != nil {
			log.Error("pipeline: requeue", "err", err)
		}
		return true
	}
	if errors.Is(err, assets.ErrRemote) {
		log.Warn("pipeline: the shared asset store failed; the rendition goes back to the queue", "retry", p.o.Retry, "err", err)
		if err := p.o.Store.RequeueRendition(bg, r.ID); err != nil {
			log.Error("pipeline: requeue", "err", err)
		}
		return false
	}
	if err != nil {
		msg := "internal error; see the controller log"
		if e, ok := assets.AsError(err); ok {
			msg = e.Message
		}
		log.Warn("pipeline: rendition failed", "err", err)
		if err := p.o.Store.FailRendition(bg, r.ID, msg); err != nil {
			log.Error("pipeline: record failure", "err", err)
		}
		if p.o.OnFailed != nil {
			p.o.OnFailed(rev.ID, err)
		}
		return true
	}
	if err := p.o.Store.FinishRendition(bg, r.ID, row); err != nil {
		log.Error("pipeline: record rendition", "err", err)
		return true
	}
	log.Info("pipeline: rendition ready", "sha256", row.SHA256, "bytes", row.Bytes, "ms", time.Since(start).Milliseconds())
	if p.o.OnReady != nil {
		p.o.OnReady(rev.ID)
	}
	return true
}

func (p *Pipeline) make(ctx context.Context, job store.RenditionJob) (store.Rendition, error) {
	r, rev := job.Rendition, job.Revision
	g := Geometry(r.Width, r.Height, r.Fit)
	if rev.Kind != store.KindVideo {
		out, err := Render(ctx, p.o.Assets, p.o.Budget, rev, g)
		if err != nil {
			return store.Rendition{}, err
		}
		if err := p.o.Assets.PutRendition(out); err != nil {
			return store.Rendition{}, err
		}
		return Row(rev.ID, g, out)
	}
	path, err := p.o.Assets.Find(ctx, rev.SHA256)
	if err != nil {
		return store.Rendition{}, fmt.Errorf("pipeline: original of revision %d: %w", rev.ID, err)
	}
	vi, err := assets.ProbeVideo(ctx, path, p.o.Tools, p.o.ProbeTimeout)
	if err != nil {
		return store.Rendition{}, err
	}
	last := -1
	out, err := p.o.Assets.TranscodeVideo(ctx, path, vi, g, assets.TranscodeOptions{
		FPS: p.o.FPS, Tools: p.o.Tools,
		Progress: func(pct int) {
			if pct == last || pct >= 100 {
				return
			}
			last = pct
			if err := p.o.Store.SetRenditionProgress(ctx, r.ID, pct); err != nil {
				if ctx.Err() == nil {
					p.o.Log.Warn("pipeline: record progress", "rendition", r.ID, "err", err)
				}
				return
			}
			if p.o.OnProgress != nil {
				p.o.OnProgress(rev.ID, pct)
			}
		},
	})
	if err != nil {
		return store.Rendition{}, err
	}
	return Row(rev.ID, g, out)
}
