package assets

import (
	"container/list"
	"context"
	"errors"
	"image"
	"image/color"
	"runtime"
	"sync"
	"time"
)

// ErrDecodeBusy is returned when a decode waited its longest for room in
// its Budget: the machine is decoding other large pictures. It is nobody's
// fault; the caller may try again later (an API answers 503 with
// Retry-After).
var ErrDecodeBusy = errors.New("assets: the controller is decoding other large pictures; try again shortly")

// Budget bounds the memory that decoding pictures takes at once. Decoded
// pixels are what cost memory (a 290 KB PNG of 100 megapixels is 400 MB
// decoded), so a decode takes as many units of the budget as its picture
// has pixels (twice that for 16 bits a channel), before the pixels are
// allocated, and gives them back when it is done. A decode larger than the
// whole budget waits for all of it. Waiters are served in order, so a large
// decode is not starved by a stream of small ones.
//
// One Budget is shared by everything that decodes (uploads, previews and
// the rendition pipeline); Wait makes a view of it that gives up after a
// while, for callers that have a person waiting. A nil *Budget bounds
// nothing.
type Budget struct {
	p    *pool
	wait time.Duration // 0: as long as the context allows
}

type pool struct {
	capacity int64

	mu      sync.Mutex
	used    int64
	peak    int64
	waiters list.List // of *waiter, in arrival order
}

type waiter struct {
	n     int64
	ready chan struct{} // closed when the units are granted
}

// NewBudget returns a budget of pixels decoded at once (e.g. 150_000_000
// for about 600 MB of 8-bit RGBA pixels).
func NewBudget(pixels int64) *Budget {
	return &Budget{p: &pool{capacity: max(1, pixels)}}
}

// Wait returns a view of the same budget whose Acquire gives up with
// ErrDecodeBusy after d (d ≤ 0: waits as long as the context allows).
func (b *Budget) Wait(d time.Duration) *Budget {
	if b == nil {
		return nil
	}
	return &Budget{p: b.p, wait: max(0, d)}
}

// BudgetStats is a budget's state: what it holds, what is in use now, the
// most ever in use at once, and how many decodes are waiting.
type BudgetStats struct {
	Capacity, InUse, Peak int64
	Waiting               int
}

// Stats reports the budget's state (zero for a nil budget).
func (b *Budget) Stats() BudgetStats {
	if b == nil {
		return BudgetStats{}
	}
	b.p.mu.Lock()
	defer b.p.mu.Unlock()
	return BudgetStats{Capacity: b.p.capacity, InUse: b.p.used, Peak: b.p.peak, Waiting: b.p.waiters.Len()}
}

// Acquire takes room for a decode of pixels, waiting for it in turn, and
// returns the function that gives it back (call it once). It fails with
// ErrDecodeBusy when the view's wait runs out, or with the context's error.
func (b *Budget) Acquire(ctx context.Context, pixels int64) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	p := b.p
	n := min(max(1, pixels), p.capacity)
	p.mu.Lock()
	if p.waiters.Len() == 0 && p.used+n <= p.capacity {
		p.take(n)
		p.mu.Unlock()
		return p.releaser(n), nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	el := p.waiters.PushBack(w)
	p.mu.Unlock()

	var timeout <-chan time.Time
	if b.wait > 0 {
		t := time.NewTimer(b.wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-w.ready:
		return p.releaser(n), nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timeout:
		err = ErrDecodeBusy
	}
	p.mu.Lock()
	select {
	case <-w.ready: // granted while we gave up: give it back
		p.mu.Unlock()
		p.releaser(n)()
	default:
		p.waiters.Remove(el)
		p.grant() // the waiters behind us may fit now
		p.mu.Unlock()
	}
	return nil, err
}

// take records n more in use; p.mu is held.
func (p *pool) take(n int64) {
	p.used += n
	p.peak = max(p.peak, p.used)
}

// grant hands room to waiters at the front while they fit; p.mu is held.
func (p *pool) grant() {
	for e := p.waiters.Front(); e != nil; e = p.waiters.Front() {
		w := e.Value.(*waiter)
		if p.used+w.n > p.capacity {
			return
		}
		p.take(w.n)
		p.waiters.Remove(e)
		close(w.ready)
	}
}

func (p *pool) releaser(n int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.used -= n
			p.grant()
			p.mu.Unlock()
		})
	}
}

// decodeCost is what decoding a picture of cfg takes from a Budget: its
// pixels, twice for the 16-bit models (8 bytes a pixel instead of 4).
func decodeCost(cfg image.Config) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	switch cfg.ColorModel {
	case color.RGBA64Model, color.NRGBA64Model:
		return 2 * px
	}
	return px
}

// decoding counts the decoded pictures held right now, in Budget units,
// whatever bounds them (or not): what a Budget is meant to keep low. Tests
// and metrics read it with DecodeCounters.
var decoding struct {
	mu            sync.Mutex
	now, peak, nr int64
}

// DecodeCounters reports the units of decoded pictures held now, the most
// held at once since ResetDecodePeak, and how many decodes were started.
func DecodeCounters() (now, peak, decodes int64) {
	decoding.mu.Lock()
	defer decoding.mu.Unlock()
	return decoding.now, decoding.peak, decoding.nr
}

// ResetDecodePeak starts a new peak from what is held now.
func ResetDecodePeak() {
	decoding.mu.Lock()
	decoding.peak = decoding.now
	decoding.mu.Unlock()
}

// holdDecode takes room for a decode of cost in b (nil: no bound) and
// counts it as held; the returned function gives both back once the
// decoded picture is no longer used.
func holdDecode(ctx context.Context, b *Budget, cost int64) (func(), error) {
	release, err := b.Acquire(ctx, cost)
	if err != nil {
		return nil, err
	}
	decoding.mu.Lock()
	decoding.now += cost
	decoding.peak = max(decoding.peak, decoding.now)
	decoding.nr++
	decoding.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			decoding.mu.Lock()
			decoding.now -= cost
			decoding.mu.Unlock()
			if cost >= bigDecode {
				// Collect the picture before the next decode starts:
				// otherwise it allocates on top of garbage the collector
				// has not reclaimed yet (GOGC lets the heap double), and
				// a budget of one picture costs the memory of two.
				runtime.GC()
			}
			release()
		})
	}, nil
}

// bigDecode is the size, in Budget units, from which a finished decode
// is collected at once: a few milliseconds of GC against hundreds of MB.
const bigDecode = 8_000_000
