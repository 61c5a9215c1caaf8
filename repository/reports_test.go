package repository_test

import (
	"context"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// placeAt stores an order for a customer and moves its creation time to at.
func placeAt(t *testing.T, s *repository.Store, b models.Business, cust models.Customer, total int64, at time.Time, status models.OrderStatus) models.Order {
	t.Helper()
	ctx := context.Background()
	o := models.Order{BusinessID: b.ID, CustomerID: cust.ID, Currency: "USD", Fulfillment: models.FulfillPickup, Source: "chat",
		SourceKey: "wamid." + testutil.RandomHex(8), Status: status,
		Items: []models.OrderItem{{RetailerID: "tea", Name: "Tea", Quantity: 1, UnitPriceMinor: total}}}
	if err := s.Tx(ctx, func(tx *repository.Store) error { return tx.CreateOrder(ctx, &o) }); err != nil {
		t.Fatal(err)
	}
	if err := s.DB(ctx).Model(&models.Order{}).Where("id = ?", o.ID).Update("created_at", at.UTC()).Error; err != nil {
		t.Fatal(err)
	}
	return o
}

func newCustomer(t *testing.T, s *repository.Store, b models.Business, name string, lastInbound *time.Time) models.Customer {
	t.Helper()
	now := time.Now().UTC()
	c := models.Customer{BusinessID: b.ID, WaID: "1555" + testutil.RandomHex(4), Name: name, LastInboundAt: lastInbound, CreatedAt: now, UpdatedAt: now}
	if err := s.DB(context.Background()).Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

// Daily buckets are the business's calendar days: an order at 02:00 UTC is the previous evening in Los Angeles.
func TestOrderStats_DailyBucketsInTheBusinessTimeZone(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "801"+testutil.RandomHex(3))
			la, _ := time.LoadLocation("America/Los_Angeles")
			ann := newCustomer(t, s, b, "Ann", nil)
			today := time.Now().In(la)
			midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, la)
			yesterdayEvening := midnight.Add(-2 * time.Hour) // 22:00 local yesterday = the next UTC day
			placeAt(t, s, b, ann, 500, yesterdayEvening, "")
			placeAt(t, s, b, ann, 700, midnight.Add(time.Minute), "")
			st, err := s.OrderStats(ctx, b.ID, midnight.AddDate(0, 0, -1))
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Daily) != 2 || st.Daily[0].Day != midnight.AddDate(0, 0, -1).Format("2006-01-02") ||
				st.Daily[0].RevenueMinor != 500 || st.Daily[1].RevenueMinor != 700 {
				t.Fatalf("daily %+v", st.Daily)
			}
		})
	}
}

func TestReports_OrdersOfAPeriodAndCustomerSummaries(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "802"+testutil.RandomHex(3))
			other, _ := seedBusiness(t, s, "803"+testutil.RandomHex(3))
			day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
			recent := time.Now().Add(-time.Hour)
			ann := newCustomer(t, s, b, "Ann", &recent)
			newCustomer(t, s, b, "Bob", nil)
			placeAt(t, s, b, ann, 500, day.Add(10*time.Hour), "")
			placeAt(t, s, b, ann, 900, day.Add(30*time.Hour), "")
			placeAt(t, s, b, ann, 300, day.Add(-time.Hour), models.StatusCancelled)
			placeAt(t, s, other, newCustomer(t, s, other, "Eve", nil), 100, day.Add(time.Hour), "")
			got, err := s.OrdersBetween(ctx, b.ID, day, day.Add(24*time.Hour), 100)
			if err != nil || len(got) != 1 || got[0].TotalMinor != 500 || got[0].Customer == nil || len(got[0].Items) != 1 {
				t.Fatalf("orders of the day %+v %v", got, err)
			}
			sums, err := s.CustomerSummaries(ctx, b.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(sums) != 2 || sums[0].Name != "Ann" || sums[0].Orders != 2 || sums[0].SpentMinor != 1400 || sums[0].LastOrderAt == nil ||
				!sums[0].LastOrderAt.Equal(day.Add(30*time.Hour)) || sums[1].Name != "Bob" || sums[1].Orders != 0 || sums[1].LastOrderAt != nil {
				t.Fatalf("summaries %+v", sums)
			}
		})
	}
}
