package cache

import (
	"sync"
	"time"
)

// ownWriteWindow is how long after writing a key this instance reads it from the server rather than from its
// client-side cache. The server invalidates our own cached copy of a key we write only after answering the write
// (and possibly on another connection), so a Get right after a Set, Delete or Bump could otherwise return what
// was just replaced. Invalidations arrive within microseconds; the window is generous.
const ownWriteWindow = time.Second

// ownWrites is the set of keys written by this instance within ownWriteWindow, with when: two maps, rotated each
// window, so it holds no more than two windows' worth of writes and needs no sweeper.
type ownWrites struct {
	mu        sync.RWMutex
	cur, prev map[string]time.Time
	rotated   time.Time // when cur was started
}

func (w *ownWrites) add(keys ...string) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil || now.Sub(w.rotated) > ownWriteWindow {
		w.prev, w.cur, w.rotated = w.cur, make(map[string]time.Time, len(w.cur)), now
	}
	for _, k := range keys {
		w.cur[k] = now
	}
}

// has reports whether key may have been written by this instance in the last window.
func (w *ownWrites) has(key string) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	at, ok := w.cur[key]
	if !ok {
		at, ok = w.prev[key]
	}
	return ok && time.Since(at) < ownWriteWindow
}
