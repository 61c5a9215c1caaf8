package repository_test

import (
	"context"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// TestListOrders_SearchTreatsPercentAndUnderscoreLiterally: "%" and "_" typed into the search box find the customers
// whose names hold them, not every customer.
func TestListOrders_SearchTreatsPercentAndUnderscoreLiterally(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "like-"+testutil.RandomHex(3))
			names := map[string]string{"1601": "50% Club", "1602": "Ann Smith", "1603": "a_b Deli", "1604": "axb Deli",
				"1605": `Back\slash`}
			orderOf := map[int64]string{}
			for waID, name := range names {
				cid := seedCustomer(t, s, b, p, waID, name)
				o := models.Order{BusinessID: b.ID, CustomerID: cid, Currency: "USD", SourceKey: "src-" + waID,
					Items: []models.OrderItem{{Name: "Tea", Quantity: 1, UnitPriceMinor: 100}}}
				if err := s.CreateOrder(ctx, &o); err != nil {
					t.Fatal(err)
				}
				orderOf[o.ID] = name
			}
			for query, want := range map[string]string{"%": "50% Club", "_": "a_b Deli", "a_b": "a_b Deli", `\`: `Back\slash`,
				"0%": "50% Club"} {
				got, total, err := s.ListOrders(ctx, b.ID, models.OrderFilter{Query: query, PageSize: 20})
				if err != nil {
					t.Fatal(err)
				}
				if total != 1 || len(got) != 1 || orderOf[got[0].ID] != want {
					var found []string
					for _, o := range got {
						found = append(found, orderOf[o.ID])
					}
					t.Errorf("search %q found %v (total %d), want only %q", query, found, total, want)
				}
			}
		})
	}
}
