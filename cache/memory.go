package cache

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// DefaultMemoryBytes bounds the bytes a Memory holds (keys, values and bookkeeping), whatever its entry count.
const DefaultMemoryBytes = 16 << 20

// entryOverhead approximates what one entry costs beyond its key and value: the map slot and the entry struct.
const entryOverhead = 96

// Memory is an in-process LRU cache with a per-entry expiry, bounded in entries and in bytes. It is safe for
// concurrent use. Expired entries are dropped when touched or when they reach the cold end of the list; there is
// no background sweeper to stop.
//
// Why not github.com/hashicorp/golang-lru/v2/expirable: it has one TTL for the whole cache and a bound in entries
// only, while each key here has its own TTL (cache/keys.go), the bound is in bytes too (catalogs vary in size), and
// Incr keeps counters (login limits) whose expiry is renewed or not per call.
type Memory struct {
	mu         sync.Mutex
	items      map[string]*entry
	head, tail *entry // head is the most recently used
	maxEntries int
	maxBytes   int64
	bytes      int64
	now        func() time.Time
}

type entry struct {
	key        string
	val        []byte
	expires    int64 // unix nanoseconds
	prev, next *entry
}

// MemoryOption configures a Memory.
type MemoryOption func(*Memory)

// WithMaxBytes bounds the bytes held (DefaultMemoryBytes otherwise). A single value larger than an eighth of
// the bound is not stored, so one big value cannot flush the whole cache.
func WithMaxBytes(n int64) MemoryOption {
	return func(m *Memory) {
		if n > 0 {
			m.maxBytes = n
		}
	}
}

// NewMemory returns an empty Memory holding at most maxEntries entries (DefaultMemoryEntries when <= 0).
func NewMemory(maxEntries int, opts ...MemoryOption) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMemoryEntries
	}
	m := &Memory{items: make(map[string]*entry), maxEntries: maxEntries, maxBytes: DefaultMemoryBytes, now: time.Now}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Get returns a copy of the value under key.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.live(key)
	if e == nil {
		return nil, false
	}
	m.toFront(e)
	return append([]byte{}, e.val...), true
}

// Set stores a copy of val for ttl.
func (m *Memory) Set(_ context.Context, key string, val []byte, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size(key, val) > m.maxBytes/8 {
		// Too big to keep, but the old value must not survive a write that replaced it.
		if e := m.items[key]; e != nil {
			m.remove(e)
		}
		return
	}
	m.put(key, bytes.Clone(val), m.now().Add(ttlOrDefault(ttl)).UnixNano())
}

// Delete removes keys.
func (m *Memory) Delete(_ context.Context, keys ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if e := m.items[k]; e != nil {
			m.remove(e)
		}
	}
}

// Incr increments the decimal counter under key; a new counter starts at 1 and expires after ttl. The error is
// non-nil only when key holds something that is not an integer, as with Valkey.
func (m *Memory) Incr(_ context.Context, key string, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.incr(key, ttl, false)
}

// bump increments a generation counter and, unlike Incr, renews its expiry each time (see Bump).
func (m *Memory) bump(_ context.Context, key string, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.incr(key, ttl, true)
}

func (m *Memory) incr(key string, ttl time.Duration, renew bool) (int64, error) {
	exp := m.now().Add(ttlOrDefault(ttl)).UnixNano()
	e := m.live(key)
	if e == nil {
		m.put(key, []byte{'1'}, exp)
		return 1, nil
	}
	n, err := strconv.ParseInt(string(e.val), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cache: incr %q: value is not an integer", key)
	}
	n++
	old := len(e.val)
	e.val = strconv.AppendInt(e.val[:0], n, 10) // e.val is ours: Set and Get copy
	m.bytes += int64(len(e.val) - old)
	if renew {
		e.expires = exp
	}
	m.toFront(e)
	return n, nil
}

// Status is always StatusMemory.
func (m *Memory) Status() string { return StatusMemory }

// Close does nothing: a Memory holds no resources beyond its entries.
func (m *Memory) Close() {}

// Len reports the number of entries, expired ones included until they are dropped.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

func size(key string, val []byte) int64 { return int64(len(key) + len(val) + entryOverhead) }

// live returns the unexpired entry under key, dropping an expired one.
func (m *Memory) live(key string) *entry {
	e := m.items[key]
	if e == nil {
		return nil
	}
	if m.now().UnixNano() >= e.expires {
		m.remove(e)
		return nil
	}
	return e
}

func (m *Memory) put(key string, val []byte, expires int64) {
	if e := m.items[key]; e != nil {
		m.bytes += int64(len(val) - len(e.val))
		e.val, e.expires = val, expires
		m.toFront(e)
	} else {
		e = &entry{key: key, val: val, expires: expires}
		m.items[key] = e
		m.bytes += size(key, val)
		m.pushFront(e)
	}
	for (len(m.items) > m.maxEntries || m.bytes > m.maxBytes) && m.tail != nil {
		m.remove(m.tail)
	}
}

func (m *Memory) remove(e *entry) {
	m.unlink(e)
	delete(m.items, e.key)
	m.bytes -= size(e.key, e.val)
}

func (m *Memory) toFront(e *entry) {
	if m.head == e {
		return
	}
	m.unlink(e)
	m.pushFront(e)
}

func (m *Memory) pushFront(e *entry) {
	e.prev, e.next = nil, m.head
	if m.head != nil {
		m.head.prev = e
	}
	m.head = e
	if m.tail == nil {
		m.tail = e
	}
}

func (m *Memory) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		m.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		m.tail = e.prev
	}
	e.prev, e.next = nil, nil
}
