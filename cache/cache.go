// Package cache is the shared read cache and counter store of the service: Valkey when VALKEY_URL is set, an
// in-process LRU otherwise. It also owns every cache key and TTL (keys.go) and the rules for invalidating them.
//
// What it must not do:
//   - touch the database or import the rest of the module: callers load on a miss and write through here;
//   - return a Valkey error to callers of Get, Set or Delete, or make them wait: a fault in Valkey degrades to
//     "no cache" (Get misses, Set is a no-op) behind a circuit breaker, and the callers read the database;
//   - serve anything from an in-process fallback while Valkey is down, so an instance never diverges from the
//     others (only rate-limit counters fall back, see Valkey.Incr).
//
// Staleness is bounded by the TTLs in keys.go; see the comment on Generation for the cases that need them.
package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Cache is implemented by *Memory and *Valkey.
type Cache interface {
	// Get returns a copy of the value the caller may keep and modify; false on a miss or on any fault.
	Get(ctx context.Context, key string) ([]byte, bool)
	// Set stores val for ttl (DefaultTTL when ttl <= 0); it never fails visibly.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration)
	// Delete removes keys; on Valkey a delete that could not reach the server is replayed when it comes back.
	Delete(ctx context.Context, keys ...string)
	// Incr increments a counter and returns the new value; the TTL is set on the first increment only, so a
	// counter counts within a fixed window. See Valkey.Incr for what happens while Valkey is down.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Status is StatusUp, StatusDown or StatusMemory, for /health.
	Status() string
	// Close releases connections and background work; the cache must not be used afterwards.
	Close()
}

// Values of Cache.Status.
const (
	StatusUp     = "up"     // Valkey answers
	StatusDown   = "down"   // Valkey configured but unreachable (circuit open); the service runs uncached
	StatusMemory = "memory" // no Valkey configured: in-process cache
)

// DefaultTTL applies when a caller passes a TTL <= 0: nothing is cached forever by accident.
const DefaultTTL = 5 * time.Minute

// DefaultMemoryEntries bounds the in-process cache New creates when no Valkey URL is configured.
const DefaultMemoryEntries = 10_000

// New returns the cache for url: "" gives an in-process Memory; redis://, rediss://, valkey:// or valkeys://
// give a Valkey. A malformed URL is an error; an unreachable server is not (the cache starts "down" and recovers
// by itself).
func New(ctx context.Context, url string, logger *slog.Logger) (Cache, error) {
	if url == "" {
		return NewMemory(DefaultMemoryEntries), nil
	}
	v, err := NewValkey(ctx, url, logger)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func ttlOrDefault(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return DefaultTTL
	}
	return max(ttl, time.Millisecond)
}

// GetJSON reads key and decodes it into a T; a miss, a fault or an undecodable value (say, after a schema
// change) are all false.
func GetJSON[T any](ctx context.Context, c Cache, key string) (T, bool) {
	var v T
	b, ok := c.Get(ctx, key)
	if !ok {
		return v, false
	}
	if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, false
	}
	return v, true
}

// SetJSON stores v encoded as JSON. A value that cannot be encoded is not cached (the caller still has it).
func SetJSON(ctx context.Context, c Cache, key string, v any, ttl time.Duration) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.Set(ctx, key, b, ttl)
}

// Remember returns the cached T under key, or calls load, caches its result for ttl and returns it. Errors from
// load are returned and not cached. Concurrent misses for the same key in this process share one call to load;
// each caller gets its own copy of the value.
func Remember[T any](ctx context.Context, c Cache, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	if v, ok := GetJSON[T](ctx, c, key); ok {
		return v, nil
	}
	return loadThrough(ctx, c, key, ttl, load)
}

// loadThrough is Remember after the cache missed (or held bytes that do not decode): one load per key in this
// process, its result cached for ttl.
func loadThrough[T any](ctx context.Context, c Cache, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	loadAndSet := func() (any, []byte, error) {
		v, err := load(ctx)
		if err != nil {
			return v, nil, err
		}
		b, jerr := json.Marshal(v)
		if jerr == nil {
			c.Set(ctx, key, b, ttl)
		}
		return v, b, nil
	}
	val, data, err, shared := flights.do(ctx, key, loadAndSet)
	if !shared {
		if err != nil {
			var zero T
			return zero, err
		}
		t, _ := val.(T) // a nil interface T comes back as nil
		return t, nil
	}
	if err != nil {
		// The leader's context ended, not ours: its failure says nothing about the data, so load ourselves.
		if ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return loadOwn[T](loadAndSet)
		}
		var zero T
		return zero, err
	}
	var v T
	if data == nil || json.Unmarshal(data, &v) != nil {
		// Not encodable, or the same key used with another type: load on our own rather than guess.
		return loadOwn[T](loadAndSet)
	}
	return v, nil
}

func loadOwn[T any](loadAndSet func() (any, []byte, error)) (T, error) {
	v, _, err := loadAndSet()
	if err != nil {
		var zero T
		return zero, err
	}
	t, ok := v.(T)
	if !ok && v != nil {
		return t, fmt.Errorf("cache: loader returned %T", v)
	}
	return t, nil
}

// flights deduplicates concurrent loads process-wide, keyed by cache key (keys are unique per business).
//
// Why not golang.org/x/sync/singleflight: its Do keeps a waiter until the load ends, whatever the waiter's own
// context says, and re-panics the loader's panic in every waiter; its DoChan lets a waiter go but runs the load on
// a goroutine of its own, where a panic crashes the process. Here the load runs on the first caller's goroutine
// (so a panic stays with that caller, where the processor recovers it), a waiter leaves when its context ends, and
// waiters of a load that panicked or was cancelled load on their own.
var flights = &flightGroup{m: make(map[string]*flight)}

type flightGroup struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done    chan struct{}
	waiters int
	val     any
	data    []byte
	err     error
}

// do runs fn once for all concurrent callers with the same key; shared is true for those who waited. A waiter
// whose ctx ends stops waiting with ctx.Err().
func (g *flightGroup) do(ctx context.Context, key string, fn func() (any, []byte, error)) (val any, data []byte, err error, shared bool) {
	g.mu.Lock()
	if f, ok := g.m[key]; ok {
		f.waiters++
		g.mu.Unlock()
		select {
		case <-f.done:
			return f.val, f.data, f.err, true
		case <-ctx.Done():
			return nil, nil, ctx.Err(), true
		}
	}
	f := &flight{done: make(chan struct{})}
	g.m[key] = f
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.m, key)
		g.mu.Unlock()
		close(f.done) // also on panic: waiters then see no data and load on their own
	}()
	f.val, f.data, f.err = fn()
	return f.val, f.data, f.err, false
}

// waiting reports how many callers wait on the load of key (for tests).
func (g *flightGroup) waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.m[key]; ok {
		return f.waiters
	}
	return 0
}
