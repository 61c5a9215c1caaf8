package cache

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestMemory_EvictsTheLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(3)
	for _, k := range []string{"a", "b", "c"} {
		m.Set(ctx, k, []byte(k), time.Minute)
	}
	m.Get(ctx, "a") // b is now the coldest
	m.Set(ctx, "d", []byte("d"), time.Minute)
	if _, ok := m.Get(ctx, "b"); ok {
		t.Fatal("b survived")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := m.Get(ctx, k); !ok {
			t.Fatalf("%s evicted", k)
		}
	}
	if m.Len() != 3 {
		t.Fatalf("Len = %d", m.Len())
	}
}

func TestMemory_StaysWithinItsByteBound(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(1000, WithMaxBytes(8<<10))
	val := []byte(strings.Repeat("x", 500))
	for i := range 100 {
		m.Set(ctx, "k"+itoa(int64(i)), val, time.Minute)
	}
	if m.bytes > 8<<10 || m.Len() > 8<<10/500 {
		t.Fatalf("holds %d bytes in %d entries", m.bytes, m.Len())
	}
	if _, ok := m.Get(ctx, "k99"); !ok {
		t.Fatal("newest entry evicted")
	}
	m.Set(ctx, "big", []byte("old"), time.Minute)
	m.Set(ctx, "big", make([]byte, 2<<10), time.Minute) // over an eighth of the bound: not kept
	if _, ok := m.Get(ctx, "big"); ok {
		t.Fatal("oversized value stored, or the value it replaced survived")
	}
}

func TestMemory_ExpiredEntriesAreDropped(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(10)
	now := time.Now()
	m.now = func() time.Time { return now }
	m.Set(ctx, "k", []byte("v"), time.Second)
	if _, err := m.Incr(ctx, "n", time.Second); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if _, ok := m.Get(ctx, "k"); ok {
		t.Fatal("expired entry served")
	}
	if n, _ := m.Incr(ctx, "n", time.Second); n != 1 {
		t.Fatalf("expired counter continued at %d", n)
	}
	if m.Len() != 1 || m.bytes != size("n", []byte("1")) {
		t.Fatalf("Len = %d, bytes = %d after expiry", m.Len(), m.bytes)
	}
}
