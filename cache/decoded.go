package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Decoded keeps, per key, the last value RememberDecoded decoded and the bytes it came from, so a reader that gets
// the same bytes again (on Valkey, a hit of the client-side cache; in memory, the same entry) skips the JSON decode.
// The bot reads the business's catalog and settings this way for every message: their decode was 7 % of the
// service's CPU in the benchmark's drain. Invalidation needs nothing of its own: a changed value comes with other
// bytes (or as a miss) and is decoded again.
//
// Values are shared between every caller that gets them: callers must treat them as read-only (the bot's Step only
// reads the catalog). The zero value is ready to use.
//
// Why not an LRU library: a key that falls out costs one decode, not a load from the database, so it is bounded by
// forgetting an arbitrary entry when full, which needs no order to maintain.
type Decoded[T any] struct {
	mu   sync.Mutex
	last map[string]decoded[T]
}

type decoded[T any] struct {
	raw []byte
	v   T
}

// maxDecoded bounds the keys a Decoded keeps (one per business the instance answers for).
const maxDecoded = 1024

// RememberDecoded is Remember for values that are read far more often than they change: a cached value whose bytes
// are those decoded last time under key is returned without decoding. See Decoded for what callers may do with it.
func RememberDecoded[T any](ctx context.Context, c Cache, d *Decoded[T], key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	raw, ok := c.Get(ctx, key)
	if !ok {
		return loadThrough(ctx, c, key, ttl, load) // a miss: the next read decodes what this one caches
	}
	d.mu.Lock()
	e, seen := d.last[key]
	d.mu.Unlock()
	if seen && bytes.Equal(e.raw, raw) {
		return e.v, nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return loadThrough(ctx, c, key, ttl, load) // undecodable (a schema change): load afresh, as Remember does
	}
	d.mu.Lock()
	if d.last == nil {
		d.last = make(map[string]decoded[T])
	}
	if _, ok := d.last[key]; !ok && len(d.last) >= maxDecoded {
		for k := range d.last {
			delete(d.last, k)
			break
		}
	}
	d.last[key] = decoded[T]{raw: raw, v: v}
	d.mu.Unlock()
	return v, nil
}
