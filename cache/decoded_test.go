package cache

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestRememberDecoded_SameBytesAreNotDecodedAgainAndAChangeIs(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		var d Decoded[[]product]
		var loads atomic.Int32
		price := int64(1250)
		load := func(context.Context) ([]product, error) {
			loads.Add(1)
			return []product{{ID: 7, Name: "Pizza", Price: price}}, nil
		}
		read := func() []product {
			t.Helper()
			got, err := RememberDecoded(ctx, c, &d, p+"cat", time.Minute, load)
			if err != nil || len(got) != 1 {
				t.Fatalf("RememberDecoded = %+v, %v", got, err)
			}
			return got
		}
		read() // a miss: loaded and cached
		first := read()
		again := read()
		if loads.Load() != 1 {
			t.Fatalf("loaded %d times, want once", loads.Load())
		}
		// The same backing array: the second read handed out what the first decoded.
		if &first[0] != &again[0] {
			t.Fatal("the same cached bytes were decoded again")
		}

		// The merchant changes the price: the key is invalidated and the next read has the new price.
		price = 990
		c.Delete(ctx, p+"cat")
		if got := read(); got[0].Price != 990 {
			t.Fatalf("after the change: price %d, want 990", got[0].Price)
		}
		// Another writer replaces the bytes (another instance's load): decoded again, not the old value.
		SetJSON(ctx, c, p+"cat", []product{{ID: 7, Name: "Pizza", Price: 1500}}, time.Minute)
		var got []product
		eventually(t, 2*time.Second, "the new bytes read", func() bool {
			got, _ = RememberDecoded(ctx, c, &d, p+"cat", time.Minute, load)
			return len(got) == 1 && got[0].Price == 1500
		})
	})
}

func TestRememberDecoded_KeepsABoundedNumberOfKeys(t *testing.T) {
	c := NewMemory(2 * maxDecoded)
	ctx := context.Background()
	var d Decoded[product]
	for i := range maxDecoded + 50 {
		key := fmt.Sprint("k", i)
		if _, err := RememberDecoded(ctx, c, &d, key, time.Minute, func(context.Context) (product, error) {
			return product{ID: int64(i)}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := RememberDecoded(ctx, c, &d, key, time.Minute, nil); err != nil { // cached: decoded, kept
			t.Fatal(err)
		}
	}
	if n := len(d.last); n != maxDecoded {
		t.Fatalf("kept %d decoded keys, want the bound %d", n, maxDecoded)
	}
}
