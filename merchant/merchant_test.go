package merchant_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

type wakeCounter struct{ n int }

func (w *wakeCounter) Wake() { w.n++ }

// caches are the caches the service must be correct with: in-process, real Valkey, and Valkey on a closed port.
func caches(t *testing.T) []struct {
	Name string
	New  func(t *testing.T) cache.Cache
} {
	return []struct {
		Name string
		New  func(t *testing.T) cache.Cache
	}{
		{"memory", func(t *testing.T) cache.Cache { return cache.NewMemory(1000) }},
		{"valkey", func(t *testing.T) cache.Cache { return valkey(t, testutil.Valkey(t)) }},
		{"valkey-down", func(t *testing.T) cache.Cache { return valkey(t, "redis://127.0.0.1:1/0") }},
	}
}

func valkey(t testing.TB, url string) cache.Cache {
	t.Helper()
	c, err := cache.New(context.Background(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestListOrders_PageSizesAndValidation(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 30)
			svc := merchant.New(s, cache.NewMemory(1000), nil, nil)
			for _, size := range []int{10, 20, 25, 50} {
				p, err := svc.ListOrders(ctx, b.Business.ID, models.OrderFilter{PageSize: size})
				if err != nil {
					t.Fatal(err)
				}
				if want := min(size, 30); len(p.Orders) != want || p.Total != 30 || p.PageSize != size || p.Page != 1 {
					t.Fatalf("size %d: got %d orders, total %d, size %d", size, len(p.Orders), p.Total, p.PageSize)
				}
			}
			p, err := svc.ListOrders(ctx, b.Business.ID, models.OrderFilter{})
			if err != nil || p.PageSize != 20 || len(p.Orders) != 20 {
				t.Fatalf("default page: %d orders size %d err %v", len(p.Orders), p.PageSize, err)
			}
			if p.Orders[0].ID != b.Orders[29].ID || p.Orders[0].Customer == nil || len(p.Orders[0].Items) != 1 {
				t.Fatalf("first order %+v, want newest with customer and items", p.Orders[0])
			}
			p, _ = svc.ListOrders(ctx, b.Business.ID, models.OrderFilter{Page: 2, PageSize: 25})
			if len(p.Orders) != 5 {
				t.Fatalf("page 2 of 25: %d orders", len(p.Orders))
			}
			for _, f := range []models.OrderFilter{{PageSize: 15}, {PageSize: -1}, {Page: -2}, {Status: "lost"}} {
				_, err := svc.ListOrders(ctx, b.Business.ID, f)
				if _, ok := models.AsInvalid(err); !ok {
					t.Fatalf("%+v: err %v, want ValidationError", f, err)
				}
			}
		})
	}
}

func TestChangeStatus_NotifiesOnceAndInvalidatesCachedList(t *testing.T) {
	for _, be := range testutil.Backends() {
		for _, cc := range caches(t) {
			t.Run(be.Name+"/"+cc.Name, func(t *testing.T) {
				s := be.Open(t)
				ctx := context.Background()
				c := cc.New(t)
				b := merchanttest.Seed(t, s, "A", 3)
				w := &wakeCounter{}
				svc := merchant.New(s, c, w, nil)
				target := b.Orders[2] // newest, first on the list
				f := models.OrderFilter{Status: models.StatusPending}
				p, err := svc.ListOrders(ctx, b.Business.ID, f)
				if err != nil || p.Total != 3 {
					t.Fatalf("list: total %d err %v", p.Total, err)
				}
				if cc.Name == "valkey" {
					gen := cache.Generation(ctx, c, b.Business.ID, cache.FamilyOrders)
					if _, ok := c.Get(ctx, cache.OrderListKey(b.Business.ID, gen, "pending", 1, 20, "")); !ok {
						t.Fatal("order list not cached in Valkey")
					}
				}
				o, err := svc.ChangeStatus(ctx, b.Business.ID, target.ID, models.StatusConfirmed, "owner@example.com")
				if err != nil {
					t.Fatal(err)
				}
				if o.Status != models.StatusConfirmed || w.n != 1 {
					t.Fatalf("status %s, wakes %d", o.Status, w.n)
				}
				key := fmt.Sprintf("order:%d:status:confirmed", target.ID)
				n, text := merchanttest.OutboundByKey(t, s, key)
				if n != 1 || !strings.Contains(text, fmt.Sprintf("#%d", target.Number)) || !strings.Contains(text, "confirmed") {
					t.Fatalf("outbound rows %d text %q", n, text)
				}
				p, err = svc.ListOrders(ctx, b.Business.ID, f)
				if err != nil || p.Total != 2 {
					t.Fatalf("after change: pending total %d (stale cache?) err %v", p.Total, err)
				}
				all, _ := svc.ListOrders(ctx, b.Business.ID, models.OrderFilter{})
				if all.Orders[0].Status != models.StatusConfirmed {
					t.Fatalf("list shows %s, want confirmed", all.Orders[0].Status)
				}
				_, err = svc.ChangeStatus(ctx, b.Business.ID, target.ID, models.StatusConfirmed, "owner@example.com")
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Fatalf("repeat: %v, want ErrInvalidTransition", err)
				}
				if n, _ := merchanttest.OutboundByKey(t, s, key); n != 1 {
					t.Fatalf("repeat left %d rows", n)
				}
				ev, err := svc.OrderEvents(ctx, b.Business.ID, target.ID)
				if err != nil || len(ev) != 2 || ev[1].Actor != "owner@example.com" {
					t.Fatalf("events %+v err %v", ev, err)
				}
			})
		}
	}
}

func TestStats_InvalidatedByStatusChange(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b := merchanttest.Seed(t, s, "A", 2)
	svc := merchant.New(s, cache.NewMemory(1000), nil, nil)
	st, err := svc.Stats(ctx, b.Business.ID, 7)
	if err != nil || st.Orders != 2 || st.ByStatus[models.StatusPending] != 2 {
		t.Fatalf("stats %+v err %v", st, err)
	}
	if _, err := svc.ChangeStatus(ctx, b.Business.ID, b.Orders[0].ID, models.StatusCancelled, "x"); err != nil {
		t.Fatal(err)
	}
	st, _ = svc.Stats(ctx, b.Business.ID, 7)
	if st.ByStatus[models.StatusCancelled] != 1 {
		t.Fatalf("stats not invalidated: %+v", st.ByStatus)
	}
	for _, d := range []int{1, 30} {
		if _, err := svc.Stats(ctx, b.Business.ID, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Stats(ctx, b.Business.ID, 3); err == nil {
		t.Fatal("3 days accepted")
	}
}

func TestOtherBusiness_IsNotFound(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a := merchanttest.Seed(t, s, "A", 1)
			other := merchanttest.Seed(t, s, "B", 1)
			svc := merchant.New(s, cache.NewMemory(1000), nil, nil)
			oid, pid := other.Orders[0].ID, other.Products[0].ID
			checks := map[string]error{}
			_, checks["order"] = svc.Order(ctx, a.Business.ID, oid)
			_, checks["events"] = svc.OrderEvents(ctx, a.Business.ID, oid)
			_, checks["status"] = svc.ChangeStatus(ctx, a.Business.ID, oid, models.StatusConfirmed, "x")
			_, checks["product"] = svc.Product(ctx, a.Business.ID, pid)
			p := other.Products[0]
			p.BusinessID, p.Name = a.Business.ID, "stolen"
			checks["update product"] = svc.UpdateProduct(ctx, p)
			checks["delete product"] = svc.DeleteProduct(ctx, a.Business.ID, pid)
			for name, err := range checks {
				if !errors.Is(err, models.ErrNotFound) {
					t.Errorf("%s: %v, want ErrNotFound", name, err)
				}
			}
			if o, _ := s.Order(ctx, other.Business.ID, oid); o.Status != models.StatusPending {
				t.Fatalf("other business's order changed to %s", o.Status)
			}
			if pr, _ := s.Product(ctx, other.Business.ID, pid); pr.Name != other.Products[0].Name {
				t.Fatalf("other business's product renamed to %q", pr.Name)
			}
			ps, _ := svc.Products(ctx, a.Business.ID)
			for _, pr := range ps {
				if pr.BusinessID != a.Business.ID {
					t.Fatalf("catalog shows product of business %d", pr.BusinessID)
				}
			}
		})
	}
}

func TestProducts_ValidateAndInvalidateCatalog(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b := merchanttest.Seed(t, s, "A", 0)
	svc := merchant.New(s, cache.NewMemory(1000), nil, nil)
	if ps, _ := svc.Products(ctx, b.Business.ID); len(ps) != 2 {
		t.Fatalf("%d products", len(ps))
	}
	bad := map[string]models.Product{
		"name":        {RetailerID: "x", PriceMinor: 1},
		"retailer_id": {Name: "X", PriceMinor: 1},
		"price":       {Name: "X", RetailerID: "x", PriceMinor: -1},
		"currency":    {Name: "X", RetailerID: "x", Currency: "dollars"},
	}
	bad["name"] = models.Product{Name: strings.Repeat("n", 201), RetailerID: "x"}
	for field, p := range bad {
		p.BusinessID = b.Business.ID
		v, ok := models.AsInvalid(svc.CreateProduct(ctx, &p))
		if !ok || v.Field != field {
			t.Errorf("%s: got %+v", field, v)
		}
	}
	p := models.Product{BusinessID: b.Business.ID, RetailerID: "pie", Name: "Pie", PriceMinor: 500, Available: true}
	if err := svc.CreateProduct(ctx, &p); err != nil || p.Currency != "USD" {
		t.Fatalf("create: %v currency %q", err, p.Currency)
	}
	if ps, _ := svc.Products(ctx, b.Business.ID); len(ps) != 3 {
		t.Fatalf("catalog not invalidated: %d products", len(ps))
	}
	dup := models.Product{BusinessID: b.Business.ID, RetailerID: "pie", Name: "Pie 2"}
	if err := svc.CreateProduct(ctx, &dup); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("duplicate retailer id: %v", err)
	}
	p.Name = "Apple pie"
	if err := svc.UpdateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	ps, _ := svc.Products(ctx, b.Business.ID)
	found := false
	for _, x := range ps {
		found = found || x.Name == "Apple pie"
	}
	if !found {
		t.Fatal("update not visible in catalog")
	}
	if err := svc.DeleteProduct(ctx, b.Business.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if ps, _ := svc.Products(ctx, b.Business.ID); len(ps) != 2 {
		t.Fatalf("delete not visible: %d", len(ps))
	}
}

func TestSettings_ValidatedAndBusinessCacheInvalidated(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b := merchanttest.Seed(t, s, "A", 0)
	svc := merchant.New(s, cache.NewMemory(1000), nil, nil)
	biz, err := svc.Business(ctx, b.Business.ID)
	if err != nil {
		t.Fatal(err)
	}
	biz.Name = "Renamed"
	if err := svc.UpdateSettings(ctx, biz); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Business(ctx, b.Business.ID); got.Name != "Renamed" {
		t.Fatalf("cached business not invalidated: %q", got.Name)
	}
	biz.Timezone = "Mars/Base"
	if v, ok := models.AsInvalid(svc.UpdateSettings(ctx, biz)); !ok || v.Field != "timezone" {
		t.Fatalf("bad timezone: %+v", v)
	}
}

// BenchmarkListOrders compares a page of 20 orders read from PostgreSQL with the same page served by each cache:
// in-process memory, Valkey over the network (client-side caching off) and Valkey with client-side caching (where
// a hot page is answered from this process's memory, kept current by Valkey's invalidation messages).
func BenchmarkListOrders(b *testing.B) {
	s := testutil.Postgres(b)
	ctx := context.Background()
	biz := merchanttest.Seed(b, s, "Bench", 200)
	server := valkeyUp(b, cache.WithClientCache(false))
	csc := valkeyUp(b)
	for _, bc := range []struct {
		name string
		c    cache.Cache
	}{{"uncached-postgres", nil}, {"cached-memory", cache.NewMemory(1000)}, {"cached-valkey-server", server},
		{"cached-valkey-client-side", csc}} {
		svc := merchant.New(s, bc.c, nil, nil)
		b.Run(bc.name, func(b *testing.B) {
			f := models.OrderFilter{PageSize: 20}
			if _, err := svc.ListOrders(ctx, biz.Business.ID, f); err != nil {
				b.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // past the window in which an instance reads its own writes from the server
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.ListOrders(ctx, biz.Business.ID, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func valkeyUp(b *testing.B, opts ...cache.Option) cache.Cache {
	b.Helper()
	c, err := cache.NewValkey(context.Background(), testutil.Valkey(b), nil, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	for deadline := time.Now().Add(5 * time.Second); c.Status() != cache.StatusUp; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("valkey not up at " + testutil.ValkeyURL())
		}
	}
	return c
}

// Accepting with a ready time and cancelling with a reason: the order keeps both and the customer's message says them.
func TestUpdateStatus_ReadyTimeAndCancelReasonReachTheCustomer(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 2)
			svc := merchant.New(s, cache.NewMemory(100), nil, nil)
			o, err := svc.UpdateStatus(ctx, b.Business.ID, b.Orders[0].ID, merchant.StatusUpdate{To: models.StatusConfirmed, Actor: "x", ReadyIn: 25 * time.Minute})
			if err != nil || o.ReadyAt == nil || time.Until(*o.ReadyAt) < 20*time.Minute {
				t.Fatalf("accept: %+v %v", o.ReadyAt, err)
			}
			_, text := merchanttest.OutboundByKey(t, s, fmt.Sprintf("order:%d:status:confirmed", o.ID))
			if want := "ready around " + o.ReadyAt.UTC().Format("15:04"); !strings.Contains(text, want) {
				t.Fatalf("accept message %q, want %q", text, want)
			}
			o, err = svc.UpdateStatus(ctx, b.Business.ID, b.Orders[1].ID, merchant.StatusUpdate{To: models.StatusCancelled, Actor: "x", Reason: " We ran out of tea "})
			if err != nil || o.CancelReason != "We ran out of tea" {
				t.Fatalf("cancel: %q %v", o.CancelReason, err)
			}
			if _, text := merchanttest.OutboundByKey(t, s, fmt.Sprintf("order:%d:status:cancelled", o.ID)); !strings.Contains(text, "cancelled: We ran out of tea") {
				t.Fatalf("cancel message %q", text)
			}
			for _, u := range []merchant.StatusUpdate{
				{To: models.StatusPreparing, Reason: "why"},
				{To: models.StatusCancelled, Reason: strings.Repeat("x", 301)},
				{To: models.StatusCancelled, ReadyIn: time.Minute},
				{To: models.StatusConfirmed, ReadyIn: 13 * time.Hour},
			} {
				if _, err := svc.UpdateStatus(ctx, b.Business.ID, b.Orders[0].ID, u); err == nil {
					t.Fatalf("%+v accepted", u)
				} else if _, ok := models.AsInvalid(err); !ok {
					t.Fatalf("%+v: %v, want a validation error", u, err)
				}
			}
		})
	}
}
