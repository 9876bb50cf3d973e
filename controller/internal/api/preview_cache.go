package api

import (
	lst "container/list"
	"sync"
)

// previewCacheBytes bounds the PNGs previewCache keeps: previews are at
// most MaxPreviewSide a side (or a display's size), mostly a few KiB.
const previewCacheBytes = 16 << 20

// previewKey names an image preview: the original's bytes (by hash, so a
// new revision or file is a new key) and the panel geometry.
type previewKey struct {
	sha  string
	w, h int
	fit  string
}

// previewCache keeps recent on-demand image previews, least recently used
// first out, within a byte budget.
type previewCache struct {
	mu    sync.Mutex
	max   int
	bytes int
	order lst.List // of *previewEntry, most recent at the front
	byKey map[previewKey]*lst.Element
}

type previewEntry struct {
	key  previewKey
	data []byte
}

func newPreviewCache(maxBytes int) *previewCache {
	return &previewCache{max: maxBytes, byKey: map[previewKey]*lst.Element{}}
}

func (pc *previewCache) get(k previewKey) ([]byte, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	el, ok := pc.byKey[k]
	if !ok {
		return nil, false
	}
	pc.order.MoveToFront(el)
	return el.Value.(*previewEntry).data, true
}

func (pc *previewCache) put(k previewKey, data []byte) {
	if len(data) > pc.max/4 { // one huge preview must not flush the rest
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el, ok := pc.byKey[k]; ok {
		pc.order.MoveToFront(el)
		return
	}
	pc.byKey[k] = pc.order.PushFront(&previewEntry{key: k, data: data})
	pc.bytes += len(data)
	for pc.bytes > pc.max {
		el := pc.order.Back()
		e := el.Value.(*previewEntry)
		pc.order.Remove(el)
		delete(pc.byKey, e.key)
		pc.bytes -= len(e.data)
	}
}
