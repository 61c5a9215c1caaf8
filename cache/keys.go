package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Every key is built here and scoped by business id, so no two businesses can ever share an entry. The business
// id sits in braces, a Valkey cluster hash tag: all keys of one business live on one shard.
//
// TTLs bound staleness wherever invalidation cannot reach (see Generation).
const (
	BusinessTTL   = 10 * time.Minute
	CatalogTTL    = 10 * time.Minute
	StatsTTL      = 10 * time.Minute
	CustomerTTL   = 30 * time.Minute
	OrderListTTL  = 5 * time.Minute
	GenerationTTL = 24 * time.Hour // far above every TTL it guards; renewed on each bump
)

// Families of keys invalidated together by a generation counter.
const (
	FamilyOrders  = "orders"  // order lists (OrderListKey)
	FamilyCatalog = "catalog" // product lists and pages derived from the catalog
	FamilyStats   = "stats"   // stats variants keyed by generation (custom ranges); StatsKey is deleted instead
)

// StatsPeriods are the periods StatsKey may be used with: InvalidateOrders deletes exactly these. A stats view
// for anything else must embed Generation(…, FamilyStats) in its key instead.
var StatsPeriods = [...]string{"today", "7d", "30d", "90d", "all"}

func scope(bizID int64) string { return "biz:{" + strconv.FormatInt(bizID, 10) + "}:" }

// BusinessKey holds the business's settings; InvalidateBusiness deletes it. TTL BusinessTTL.
func BusinessKey(bizID int64) string { return scope(bizID) + "business" }

// CatalogKey holds the business's whole catalog; InvalidateCatalog deletes it. TTL CatalogTTL.
func CatalogKey(bizID int64) string { return scope(bizID) + "catalog" }

// StatsKey holds the stats of one of StatsPeriods; InvalidateOrders deletes them. TTL StatsTTL.
func StatsKey(bizID int64, period string) string { return scope(bizID) + "stats:" + period }

// CustomerKey holds one customer of the business; InvalidateCustomer deletes it. TTL CustomerTTL.
func CustomerKey(bizID, customerID int64) string {
	return scope(bizID) + "customer:" + strconv.FormatInt(customerID, 10)
}

// OrderListKey holds one page of an order list. gen is Generation(ctx, c, bizID, FamilyOrders): a bump makes
// every list key of the business unreachable at once. The free-text query is hashed, so the key stays short and
// nothing a user types can shape it. TTL OrderListTTL.
func OrderListKey(bizID, gen int64, status string, page, pageSize int, query string) string {
	q := "-"
	if query != "" {
		sum := sha256.Sum256([]byte(query))
		q = hex.EncodeToString(sum[:12])
	}
	if status == "" {
		status = "-"
	}
	return scope(bizID) + "orders:g" + strconv.FormatInt(gen, 10) + ":" + status + ":" +
		strconv.Itoa(page) + ":" + strconv.Itoa(pageSize) + ":" + q
}

// GenerationKey is the counter of a family: gen:{bizID}:family.
func GenerationKey(bizID int64, family string) string {
	return "gen:{" + strconv.FormatInt(bizID, 10) + "}:" + family
}

// Generation returns the current generation of a family, 0 if it was never bumped or cannot be read.
//
// How stale can a read be?
//   - Valkey down on this instance: Generation is 0, but Get misses and Set is a no-op, so nothing is read from or
//     written to the cache; callers read the database.
//   - This instance could not reach Valkey while others could (or Valkey came back before it did): its bumps and
//     deletes are recorded and replayed when its circuit closes, before it caches again. Others may serve stale
//     entries until then. If the replay set overflowed (WithReplayLimit) or the instance stopped before
//     replaying, the bound is the entry's TTL: OrderListTTL for lists, the key's TTL otherwise.
//   - A single failed read of the counter returns 0: an entry cached at generation 0, before the first bump, can
//     be served for at most OrderListTTL after that bump.
//   - The counter lives GenerationTTL (far above OrderListTTL) from its last bump, so it does not expire while
//     entries of an older generation live. It was written after every such entry was last written, so LRU
//     eviction (approximate in Valkey) should take them first; if not, the bound is again OrderListTTL.
//   - Client-side caching: an instance learns of a bump by Valkey's invalidation message, normally well under a
//     millisecond after it.
//   - The usual cache-aside race (a slow reader caching what a concurrent writer just replaced) lasts until TTL.
func Generation(ctx context.Context, c Cache, bizID int64, family string) int64 {
	b, ok := c.Get(ctx, GenerationKey(bizID, family))
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// bumper is implemented by the caches in this package: a bump renews the counter's TTL and, on Valkey, is
// replayed if it could not be applied (which Incr, a rate-limit counter, must not be).
type bumper interface {
	bump(ctx context.Context, key string, ttl time.Duration)
}

// Bump increments a family's generation, orphaning every key built from the previous one.
func Bump(ctx context.Context, c Cache, bizID int64, family string) {
	key := GenerationKey(bizID, family)
	if b, ok := c.(bumper); ok {
		b.bump(ctx, key, GenerationTTL)
		return
	}
	_, _ = c.Incr(ctx, key, GenerationTTL)
}

// InvalidateOrders is called after any change to a business's orders: order lists (generation), stats.
func InvalidateOrders(ctx context.Context, c Cache, bizID int64) {
	Bump(ctx, c, bizID, FamilyOrders)
	Bump(ctx, c, bizID, FamilyStats)
	keys := make([]string, len(StatsPeriods))
	for i, p := range StatsPeriods {
		keys[i] = StatsKey(bizID, p)
	}
	c.Delete(ctx, keys...)
}

// InvalidateCatalog is called after any change to a business's products.
func InvalidateCatalog(ctx context.Context, c Cache, bizID int64) {
	c.Delete(ctx, CatalogKey(bizID))
	Bump(ctx, c, bizID, FamilyCatalog)
}

// InvalidateBusiness is called after a change to a business's settings.
func InvalidateBusiness(ctx context.Context, c Cache, bizID int64) {
	c.Delete(ctx, BusinessKey(bizID))
}

// InvalidateCustomer is called after a change to one customer.
func InvalidateCustomer(ctx context.Context, c Cache, bizID, customerID int64) {
	c.Delete(ctx, CustomerKey(bizID, customerID))
}
