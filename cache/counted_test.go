package cache

import (
	"context"
	"testing"
	"time"
)

func TestCounted_ReportsEveryGetAsHitOrMiss(t *testing.T) {
	ctx := context.Background()
	var hits, misses int
	c := Counted(NewMemory(10), func(hit bool) {
		if hit {
			hits++
		} else {
			misses++
		}
	})
	c.Get(ctx, "k")
	c.Set(ctx, "k", []byte("v"), time.Minute)
	if v, ok := c.Get(ctx, "k"); !ok || string(v) != "v" {
		t.Fatalf("the wrapped cache lost the value: %q %v", v, ok)
	}
	if _, err := Remember(ctx, c, "r", time.Minute, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	if hits != 1 || misses != 2 {
		t.Fatalf("hits %d misses %d, want 1 and 2", hits, misses)
	}
}
