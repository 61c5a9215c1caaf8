package repository_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func seedCustomer(t *testing.T, s *repository.Store, b models.Business, p models.PhoneNumber, waID, name string) int64 {
	t.Helper()
	at := time.Now().UTC()
	d := delivery(b, p, "seed-"+waID+"-"+testutil.RandomHex(4), waID, at)
	d.Customers[0].Name = name
	if _, err := s.StoreDeliveries(context.Background(), []repository.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.InboundMessages(context.Background(), b.ID, 1)
	return msgs[0].CustomerID
}

func TestCreateOrder_NumbersPerBusinessAndRejectsDuplicates(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "501")
			cid := seedCustomer(t, s, b, p, "1555", "Ann")
			var wg sync.WaitGroup
			errs := make(chan error, 5)
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- s.Tx(ctx, func(tx *repository.Store) error {
						o := models.Order{BusinessID: b.ID, CustomerID: cid, Currency: "USD", SourceKey: "wamid.same",
							Items: []models.OrderItem{{Name: "Tea", Quantity: 2, UnitPriceMinor: 250}}}
						return tx.CreateOrder(ctx, &o)
					})
				}()
			}
			wg.Wait()
			close(errs)
			ok := 0
			for err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, models.ErrDuplicate):
					t.Fatalf("unexpected error: %v", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d orders created from one source, want 1", ok)
			}
			o2 := models.Order{BusinessID: b.ID, CustomerID: cid, Currency: "USD", SourceKey: "wamid.other",
				Items: []models.OrderItem{{Name: "Cake", Quantity: 1, UnitPriceMinor: 400}}}
			if err := s.CreateOrder(ctx, &o2); err != nil {
				t.Fatal(err)
			}
			if o2.Number != 2 || o2.TotalMinor != 400 {
				t.Fatalf("second order: number %d total %d", o2.Number, o2.TotalMinor)
			}
			got, err := s.Order(ctx, b.ID, o2.ID)
			if err != nil || len(got.Items) != 1 || got.Customer == nil || got.Customer.Name != "Ann" {
				t.Fatalf("loaded order %+v, %v", got, err)
			}
			other, _ := seedBusiness(t, s, "502")
			if _, err := s.Order(ctx, other.ID, o2.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another business reading the order: %v, want models.ErrNotFound", err)
			}
		})
	}
}

func TestListOrders_PagesFiltersAndSearches(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "601")
			ann := seedCustomer(t, s, b, p, "1555", "Ann Lee")
			bob := seedCustomer(t, s, b, p, "1666", "Bob")
			for i := range 25 {
				cid := ann
				if i%5 == 0 {
					cid = bob
				}
				o := models.Order{BusinessID: b.ID, CustomerID: cid, Currency: "USD", SourceKey: "k" + testutil.RandomHex(6),
					Items: []models.OrderItem{{Name: "x", Quantity: 1, UnitPriceMinor: 100}}}
				if err := s.CreateOrder(ctx, &o); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.UpdateOrderStatus(ctx, b.ID, 1, models.StatusConfirmed, "test"); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name      string
				f         models.OrderFilter
				wantLen   int
				wantTotal int64
			}{
				{"first page", models.OrderFilter{Page: 1, PageSize: 10}, 10, 25},
				{"last page", models.OrderFilter{Page: 3, PageSize: 10}, 5, 25},
				{"by status", models.OrderFilter{Status: models.StatusConfirmed, PageSize: 20}, 1, 1},
				{"by customer name", models.OrderFilter{Query: "bob", PageSize: 20}, 5, 5},
				{"by order number", models.OrderFilter{Query: "#7", PageSize: 20}, 1, 1},
			}
			for _, tt := range tests {
				got, total, err := s.ListOrders(ctx, b.ID, tt.f)
				if err != nil || len(got) != tt.wantLen || total != tt.wantTotal {
					t.Errorf("%s: %d rows, total %d, err %v; want %d, %d", tt.name, len(got), total, err, tt.wantLen, tt.wantTotal)
				}
			}
			if _, _, err := s.ListOrders(ctx, b.ID, models.OrderFilter{Page: 1}); models.ErrorCode(err) != models.EINVALID {
				t.Errorf("no page size: %v, want it refused (the size is the caller's rule, not a default here)", err)
			}
			if _, err := s.UpdateOrderStatus(ctx, b.ID, 1, models.StatusPending, "test"); !errors.Is(err, models.ErrInvalidTransition) {
				t.Fatalf("moving back: %v", err)
			}
			st, err := s.OrderStats(ctx, b.ID, time.Now().Add(-7*24*time.Hour))
			if err != nil || st.Orders != 25 || st.RevenueMinor != 2500 || st.AvgBasketMinor != 100 || len(st.Daily) < 7 {
				t.Fatalf("stats %+v, %v", st, err)
			}
		})
	}
}

func TestProducts_CRUDScopedByBusiness(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "701")
			other, _ := seedBusiness(t, s, "702")
			p := models.Product{BusinessID: b.ID, RetailerID: "tea", Name: "Tea", PriceMinor: 250, Currency: "USD", Available: true}
			if err := s.CreateProduct(ctx, &p); err != nil {
				t.Fatal(err)
			}
			dup := p
			dup.ID = 0
			if err := s.CreateProduct(ctx, &dup); !errors.Is(err, models.ErrConflict) {
				t.Fatalf("duplicate retailer id: %v", err)
			}
			p.Available = false
			if err := s.UpdateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
			if avail, _ := s.Products(ctx, b.ID, true); len(avail) != 0 {
				t.Fatalf("unavailable product listed: %v", avail)
			}
			hijack := p
			hijack.BusinessID = other.ID
			if err := s.UpdateProduct(ctx, hijack); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("update from another business: %v", err)
			}
			if err := s.DeleteProduct(ctx, other.ID, p.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("delete from another business: %v", err)
			}
			if err := s.DeleteProduct(ctx, b.ID, p.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The live order feed starts after the business's highest order: none is 0, another business's orders don't count.
func TestLatestOrderID_ZeroWithoutOrdersThenTheHighest(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "502")
			other, op := seedBusiness(t, s, "503")
			if id, err := s.LatestOrderID(ctx, b.ID); err != nil || id != 0 {
				t.Fatalf("no orders: %d, %v; want 0", id, err)
			}
			cid := seedCustomer(t, s, b, p, "1555", "Ann")
			ocid := seedCustomer(t, s, other, op, "1666", "Bob")
			var last int64
			for i, c := range []struct {
				biz  int64
				cust int64
			}{{b.ID, cid}, {b.ID, cid}, {other.ID, ocid}} {
				o := models.Order{BusinessID: c.biz, CustomerID: c.cust, Currency: "USD", SourceKey: fmt.Sprint("wamid.", i),
					Items: []models.OrderItem{{Name: "Tea", Quantity: 1, UnitPriceMinor: 250}}}
				if err := s.Tx(ctx, func(tx *repository.Store) error { return tx.CreateOrder(ctx, &o) }); err != nil {
					t.Fatal(err)
				}
				if c.biz == b.ID {
					last = o.ID
				}
			}
			if id, err := s.LatestOrderID(ctx, b.ID); err != nil || id != last {
				t.Fatalf("latest order: %d, %v; want %d", id, err, last)
			}
		})
	}
}
