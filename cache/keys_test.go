package cache

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestKeys_AreScopedByBusiness(t *testing.T) {
	keys := func(biz int64) []string {
		return []string{BusinessKey(biz), CatalogKey(biz), StatsKey(biz, "7d"), CustomerKey(biz, 3),
			OrderListKey(biz, 2, "pending", 1, 20, "pizza"), GenerationKey(biz, FamilyOrders)}
	}
	seen := map[string]bool{}
	for _, biz := range []int64{1, 12, 123} {
		for _, k := range keys(biz) {
			if !strings.Contains(k, "{"+itoa(biz)+"}") {
				t.Errorf("%q is not scoped by business %d", k, biz)
			}
			if seen[k] {
				t.Errorf("%q built twice", k)
			}
			seen[k] = true
		}
	}
}

func TestOrderListKey_VariesWithEveryInputAndHidesTheQuery(t *testing.T) {
	base := OrderListKey(5, 1, "pending", 1, 20, "rue de la paix")
	if base != OrderListKey(5, 1, "pending", 1, 20, "rue de la paix") {
		t.Fatal("not deterministic")
	}
	if strings.Contains(base, "paix") || strings.Count(base, ":") != 7 {
		t.Fatalf("query shapes the key: %q", base)
	}
	for _, other := range []string{
		OrderListKey(6, 1, "pending", 1, 20, "rue de la paix"),
		OrderListKey(5, 2, "pending", 1, 20, "rue de la paix"),
		OrderListKey(5, 1, "ready", 1, 20, "rue de la paix"),
		OrderListKey(5, 1, "pending", 2, 20, "rue de la paix"),
		OrderListKey(5, 1, "pending", 1, 50, "rue de la paix"),
		OrderListKey(5, 1, "pending", 1, 20, "rue de la paix "),
		OrderListKey(5, 1, "pending", 1, 20, ""),
	} {
		if other == base {
			t.Errorf("%q collides", other)
		}
	}
}

func TestGeneration_BumpOrphansListKeys(t *testing.T) {
	for _, im := range impls(t) {
		t.Run(im.name, func(t *testing.T) {
			ctx := context.Background()
			c := im.open(t)
			biz := testBizID(t, im.url)
			gen := Generation(ctx, c, biz, FamilyOrders)
			if gen != 0 {
				t.Fatalf("fresh generation = %d", gen)
			}
			page := OrderListKey(biz, gen, "", 1, 20, "")
			SetJSON(ctx, c, page, []string{"order 1"}, OrderListTTL)
			if _, ok := GetJSON[[]string](ctx, c, page); !ok {
				t.Fatal("list page not cached")
			}
			InvalidateOrders(ctx, c, biz)
			next := Generation(ctx, c, biz, FamilyOrders)
			if next == gen {
				t.Fatal("generation read right after a bump did not move")
			}
			if _, ok := GetJSON[[]string](ctx, c, OrderListKey(biz, next, "", 1, 20, "")); ok {
				t.Fatal("list page read after a bump hits")
			}
			if other := Generation(ctx, c, biz+1, FamilyOrders); other != 0 {
				t.Fatalf("another business's generation moved to %d", other)
			}
		})
	}
}

func TestInvalidate_DeletesTheKeysOfThatBusinessOnly(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, _ string) {
		ctx := context.Background()
		url := ""
		if _, ok := c.(*Valkey); ok {
			url = testValkeyURL(t)
		}
		biz, other := testBizID(t, url), testBizID(t, url)
		all := func(b int64) []string {
			keys := []string{BusinessKey(b), CatalogKey(b), CustomerKey(b, 9)}
			for _, p := range StatsPeriods {
				keys = append(keys, StatsKey(b, p))
			}
			return keys
		}
		for _, b := range []int64{biz, other} {
			for _, k := range all(b) {
				c.Set(ctx, k, []byte("x"), time.Minute)
			}
		}
		catalogGen := Generation(ctx, c, biz, FamilyCatalog)
		InvalidateOrders(ctx, c, biz)
		InvalidateCatalog(ctx, c, biz)
		InvalidateBusiness(ctx, c, biz)
		InvalidateCustomer(ctx, c, biz, 9)
		for _, k := range all(biz) {
			if _, ok := c.Get(ctx, k); ok {
				t.Errorf("%s survived its invalidation", k)
			}
		}
		for _, k := range all(other) {
			if _, ok := c.Get(ctx, k); !ok {
				t.Errorf("%s of another business deleted", k)
			}
		}
		if Generation(ctx, c, biz, FamilyCatalog) <= catalogGen {
			t.Error("catalog generation not bumped")
		}
	})
}
