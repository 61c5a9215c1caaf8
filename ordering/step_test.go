package ordering

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
)

func catalog(n int) []models.Product {
	var out []models.Product
	for i := range n {
		out = append(out, models.Product{ID: int64(i + 1), RetailerID: fmt.Sprint("sku", i), Name: fmt.Sprint("Item ", i),
			PriceMinor: 100, Currency: "USD", Category: "Food", Available: true})
	}
	return out
}

func TestStep_MenuPagesPastTenRows(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	st, out, _ := Step(State{Step: StepMenu}, Input{To: "1", Text: "menu"}, catalog(23), biz, time.Now())
	rows := out[0].Interactive.Action.Sections[0].Rows
	if len(rows) != 10 || rows[9].ID != "page:1" || st.Page != 0 {
		t.Fatalf("page 1: %d rows, last %+v", len(rows), rows[len(rows)-1])
	}
	st, out, _ = Step(st, Input{To: "1", ReplyID: "page:2"}, catalog(23), biz, time.Now())
	rows = out[0].Interactive.Action.Sections[0].Rows
	if st.Page != 2 || len(rows) != 6 || rows[5].ID != "page:0" || !strings.HasPrefix(rows[0].Title, "Item 18") {
		t.Fatalf("page 3: %+v", rows)
	}
}

func TestStep_OpeningHoursInTheBusinessTimezone(t *testing.T) {
	biz := Business{Name: "Casa", OpeningHours: `{"mon":[["09:00","17:00"]]}`, Timezone: "America/New_York"}
	monday10NY := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC) // 10:00 in New York
	if open, _ := openNow(biz, monday10NY); !open {
		t.Fatal("open at 10:00 local")
	}
	if open, _ := openNow(biz, monday10NY.Add(8*time.Hour)); open {
		t.Fatal("closed at 18:00 local")
	}
	if err := ValidateHours(`{"mon":[["17:00","09:00"]]}`); err == nil {
		t.Fatal("a reversed range must be rejected")
	}
}
