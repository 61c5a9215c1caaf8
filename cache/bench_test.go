package cache

import (
	"context"
	"testing"
	"time"
)

// BenchmarkGetHit reads one 1 KiB value that is in the cache.
func BenchmarkGetHit(b *testing.B) {
	val := make([]byte, 1<<10)
	// writer sets the key: a reader that wrote it itself would skip its client-side cache for a while.
	run := func(b *testing.B, c, writer Cache, key string) {
		ctx := context.Background()
		writer.Set(ctx, key, val, time.Minute)
		if _, ok := c.Get(ctx, key); !ok {
			b.Fatal("miss")
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, ok := c.Get(ctx, key); !ok {
				b.Fatal("miss")
			}
		}
	}
	b.Run("memory", func(b *testing.B) { m := NewMemory(1000); run(b, m, m, "k") })
	b.Run("valkey-client-cache", func(b *testing.B) {
		url := testValkeyURL(b)
		run(b, newTestValkey(b, url), newTestValkey(b, url), uniquePrefix(b, url)+"k")
	})
	b.Run("valkey", func(b *testing.B) {
		url := testValkeyURL(b)
		run(b, newTestValkey(b, url, WithClientCache(false)), newTestValkey(b, url), uniquePrefix(b, url)+"k")
	})
}
