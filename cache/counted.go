package cache

import "context"

// Counted wraps c so every Get is reported to onGet (true on a hit), for the cache hit ratio. The wrapper changes
// nothing else: writes, deletes and counters go straight to c.
func Counted(c Cache, onGet func(hit bool)) Cache {
	return counted{Cache: c, onGet: onGet}
}

type counted struct {
	Cache
	onGet func(hit bool)
}

func (c counted) Get(ctx context.Context, key string) ([]byte, bool) {
	v, ok := c.Cache.Get(ctx, key)
	c.onGet(ok)
	return v, ok
}
