// Package merchanttest seeds businesses with numbers, customers, products and orders for tests of the merchant
// service and the API. Business ids are random and large, so tests sharing one Valkey never share cache keys.
package merchanttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// Biz is one seeded business.
type Biz struct {
	Business models.Business
	Phone    models.PhoneNumber
	Customer models.Customer
	Products []models.Product
	Orders   []models.Order // oldest first
}

// Seed creates a business with a connected number, one customer, two products and n pending orders.
func Seed(t testing.TB, s *repository.Store, name string, n int) Biz {
	t.Helper()
	ctx := context.Background()
	var b Biz
	b.Business = models.Business{ID: 1_000_000 + rand.Int64N(1<<40), Name: name, Currency: "USD", Timezone: "UTC"}
	must(t, s.CreateBusiness(ctx, &b.Business))
	b.Phone = models.PhoneNumber{BusinessID: b.Business.ID, MetaPhoneID: "pn-" + testutil.RandomHex(6), WABAID: "waba",
		DisplayPhoneNumber: "+1 555 0100", AccessTokenEnc: "x", Status: models.PhoneConnected}
	must(t, s.AddPhoneNumber(ctx, &b.Phone))
	now := time.Now().UTC()
	b.Customer = models.Customer{BusinessID: b.Business.ID, WaID: "1555" + fmt.Sprint(rand.IntN(1_000_000)), Name: "Ann " + name,
		LastInboundAt: &now, CreatedAt: now, UpdatedAt: now}
	must(t, s.DB(ctx).Create(&b.Customer).Error)
	for i, pr := range []models.Product{{RetailerID: "tea", Name: "Tea", PriceMinor: 250}, {RetailerID: "cake", Name: "Cake", PriceMinor: 400}} {
		pr.BusinessID, pr.Currency, pr.Available, pr.Sort = b.Business.ID, "USD", true, i
		must(t, s.CreateProduct(ctx, &pr))
		b.Products = append(b.Products, pr)
	}
	for i := range n {
		o := models.Order{BusinessID: b.Business.ID, CustomerID: b.Customer.ID, Currency: "USD", Fulfillment: models.FulfillDelivery,
			Address: "1 Main St", Source: "chat", SourceKey: "wamid." + testutil.RandomHex(8),
			Items: []models.OrderItem{{RetailerID: "tea", Name: "Tea", Quantity: i%3 + 1, UnitPriceMinor: 250}}}
		o.TotalMinor = models.ItemsTotal(o.Items)
		must(t, s.Tx(ctx, func(tx *repository.Store) error { return tx.CreateOrder(ctx, &o) }))
		b.Orders = append(b.Orders, o)
	}
	return b
}

// OutboundByKey counts outbound rows with an idempotency key and returns the last one's summary.
func OutboundByKey(t testing.TB, s *repository.Store, key string) (int64, string) {
	t.Helper()
	var rows []models.OutboundMessage
	must(t, s.DB(context.Background()).Where("idempotency_key = ?", key).Find(&rows).Error)
	if len(rows) == 0 {
		return 0, ""
	}
	return int64(len(rows)), rows[len(rows)-1].Summary
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
