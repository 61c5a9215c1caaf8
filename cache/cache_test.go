package cache

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The behaviours every Cache has, run against Memory and against a real Valkey (with and without client-side
// caching).

func TestCache_GetMissesThenHitsAfterSet(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		if _, ok := c.Get(ctx, p+"k"); ok {
			t.Fatal("hit on a key never set")
		}
		c.Set(ctx, p+"k", []byte("v1"), time.Minute)
		if got, ok := c.Get(ctx, p+"k"); !ok || string(got) != "v1" {
			t.Fatalf("Get = %q, %v; want v1", got, ok)
		}
		for i := range 100 { // read-your-writes, even right after a write and with a client-side cache
			want := fmt.Sprint("v", i)
			c.Set(ctx, p+"k", []byte(want), time.Minute)
			if got, ok := c.Get(ctx, p+"k"); !ok || string(got) != want {
				t.Fatalf("Get right after Set = %q, %v; want %s", got, ok, want)
			}
			c.Get(ctx, p+"k")
		}
	})
}

func TestCache_EmptyValueIsAHit(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		c.Set(ctx, p+"empty", []byte{}, time.Minute)
		if got, ok := c.Get(ctx, p+"empty"); !ok || len(got) != 0 {
			t.Fatalf("Get = %q, %v; want empty hit", got, ok)
		}
	})
}

func TestCache_ValuesAreCopies(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		val := []byte("abc")
		c.Set(ctx, p+"k", val, time.Minute)
		val[0] = 'X' // the caller reuses its buffer
		got, _ := c.Get(ctx, p+"k")
		got[1] = 'Y' // and modifies what it read
		if again, _ := c.Get(ctx, p+"k"); string(again) != "abc" {
			t.Fatalf("stored value changed to %q", again)
		}
	})
}

func TestCache_DeleteRemovesEveryKeyGiven(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		for _, k := range []string{"a", "b", "c"} {
			c.Set(ctx, p+k, []byte(k), time.Minute)
			c.Get(ctx, p+k) // held in the client-side cache too, where there is one
		}
		c.Delete(ctx, p+"a", p+"b", p+"missing")
		c.Delete(ctx) // nothing to do
		_, a := c.Get(ctx, p+"a")
		_, b := c.Get(ctx, p+"b")
		if a || b {
			t.Fatal("deleted key read right after Delete hits")
		}
		if got, ok := c.Get(ctx, p+"c"); !ok || string(got) != "c" {
			t.Fatalf("untouched key: Get = %q, %v", got, ok)
		}
	})
}

func TestCache_EntryExpiresAfterTTL(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		c.Set(ctx, p+"short", []byte("v"), 150*time.Millisecond)
		c.Set(ctx, p+"long", []byte("v"), time.Minute)
		if _, ok := c.Get(ctx, p+"short"); !ok {
			t.Fatal("miss right after Set")
		}
		time.Sleep(200 * time.Millisecond)
		if _, ok := c.Get(ctx, p+"short"); ok {
			t.Fatal("hit after the TTL passed")
		}
		if _, ok := c.Get(ctx, p+"long"); !ok {
			t.Fatal("longer TTL expired too")
		}
	})
}

func TestCache_IncrCountsWithinAWindowSetOnFirstIncrement(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		start := time.Now()
		for want := int64(1); want <= 3; want++ {
			if n, err := c.Incr(ctx, p+"rate", 400*time.Millisecond); err != nil || n != want {
				t.Fatalf("Incr = %d, %v; want %d", n, err, want)
			}
		}
		time.Sleep(250*time.Millisecond - time.Since(start))
		if n, _ := c.Incr(ctx, p+"rate", 400*time.Millisecond); n != 4 {
			t.Fatalf("Incr = %d; want 4", n)
		}
		// Had the last increment renewed the TTL, the counter would live until ~650 ms.
		time.Sleep(550*time.Millisecond - time.Since(start))
		if got, ok := c.Get(ctx, p+"rate"); ok {
			t.Fatalf("counter %q still alive: the TTL was renewed", got)
		}
		if n, _ := c.Incr(ctx, p+"rate", time.Minute); n != 1 {
			t.Fatalf("Incr after the window = %d; want 1", n)
		}
		if got, _ := c.Get(ctx, p+"rate"); string(got) != "1" {
			t.Fatalf("counter reads %q; want 1", got)
		}
	})
}

func TestCache_IncrOnANonIntegerIsAnError(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		c.Set(ctx, p+"text", []byte("abc"), time.Minute)
		if _, err := c.Incr(ctx, p+"text", time.Minute); err == nil {
			t.Fatal("no error")
		}
		if c.Status() == StatusDown {
			t.Fatal("a refused increment opened the circuit")
		}
	})
}

func TestCache_ConcurrentUse(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		const workers, each = 8, 100
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					k := fmt.Sprintf("%sk%d", p, (w*each+i)%10)
					c.Set(ctx, k, []byte(k), time.Minute)
					c.Get(ctx, k)
					if _, err := c.Incr(ctx, p+"count", time.Minute); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if got, _ := c.Get(ctx, p+"count"); string(got) != fmt.Sprint(workers*each) {
			t.Fatalf("count = %q; want %d", got, workers*each)
		}
	})
}

func TestNew_PicksTheImplementationFromTheURL(t *testing.T) {
	ctx := context.Background()
	c, err := New(ctx, "", nil)
	if err != nil || c.Status() != StatusMemory {
		t.Fatalf("New(\"\") = %v, %v; want memory", c, err)
	}
	c.Close()
	for _, bad := range []string{"http://localhost:6379", "redis://localhost:6379/notadb", "redis://%zz"} {
		if _, err := New(ctx, bad, nil); err == nil {
			t.Errorf("New(%q): no error", bad)
		}
	}
}
