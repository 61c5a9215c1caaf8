package ordering

import (
	"fmt"
	"testing"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

func catalog(n int) []models.Product {
	var out []models.Product
	for i := range n {
		out = append(out, models.Product{ID: int64(i + 1), RetailerID: fmt.Sprint("sku", i), Name: fmt.Sprint("Item ", i),
			PriceMinor: 100, Currency: "USD", Category: "Food", Available: true})
	}
	return out
}

// rows lists the ids of a list reply's rows, across sections.
func rows(t *testing.T, out []whatsapp.OutgoingMessage) []string {
	t.Helper()
	for _, m := range out {
		if m.Interactive != nil && m.Interactive.Type == "list" {
			var ids []string
			for _, s := range m.Interactive.Action.Sections {
				for _, r := range s.Rows {
					ids = append(ids, r.ID)
				}
			}
			return ids
		}
	}
	t.Fatalf("no list in %v", out)
	return nil
}

func TestStep_MenuPagesPastTenRows(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	if got := rows(t, second(step(State{Step: StepMenu}, Input{To: "1", Text: "menu"}, catalog(10), biz, time.Now()))); len(got) != 10 ||
		got[9] != "p:sku9" {
		t.Fatalf("ten products fit one page: %v", got)
	}
	st, out, _ := step(State{Step: StepMenu}, Input{To: "1", Text: "menu"}, catalog(23), biz, time.Now())
	if got := rows(t, out); len(got) != 9 || got[8] != "page:1" || st.Page != 0 {
		t.Fatalf("page 1: %v", got)
	}
	st, out, _ = step(st, Input{To: "1", ReplyID: "page:1"}, catalog(23), biz, time.Now())
	if got := rows(t, out); len(got) != 10 || got[0] != "p:sku8" || got[8] != "page:2" || got[9] != "page:0" || st.Page != 1 {
		t.Fatalf("page 2: %v", got)
	}
	st, out, _ = step(st, Input{To: "1", ReplyID: "page:2"}, catalog(23), biz, time.Now())
	if got := rows(t, out); len(got) != 8 || got[0] != "p:sku16" || got[7] != "page:1" || st.Page != 2 {
		t.Fatalf("page 3: %v", got)
	}
}

func second(_ State, out []whatsapp.OutgoingMessage, _ *OrderDraft) []whatsapp.OutgoingMessage {
	return out
}

func TestStep_OpeningHoursInTheBusinessTimezone(t *testing.T) {
	biz := Business{Name: "Casa", OpeningHours: `{"mon":[["09:00","17:00"]]}`, Timezone: "America/New_York"}
	monday10NY := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC) // 10:00 in New York
	if open, _ := openNow(biz, monday10NY, locale.For("en")); !open {
		t.Fatal("open at 10:00 local")
	}
	if open, _ := openNow(biz, monday10NY.Add(8*time.Hour), locale.For("en")); open {
		t.Fatal("closed at 18:00 local")
	}
	night := Business{Name: "Casa", OpeningHours: `{"fri":[["18:00","02:00"]]}`, Timezone: "America/New_York"}
	saturday1amNY := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	if open, hours := openNow(night, saturday1amNY, locale.For("en")); !open || hours != "Fri 18:00–02:00" {
		t.Fatalf("friday's night range at 01:00 saturday: open %v, %q", open, hours)
	}
}

// step runs Step and splits its outcome, for tests that look at the state, the replies and a placed order.
func step(st State, in Input, cat []models.Product, biz Business, now time.Time) (State, []whatsapp.OutgoingMessage, *OrderDraft) {
	o := Step(st, in, cat, biz, now)
	return o.State, o.Replies, o.Order
}

func TestStep_ItemMessageShowsTheProductPictureWhenItHasOne(t *testing.T) {
	cat := catalog(2)
	cat[0].ImageKey, cat[0].ImageType = "b1/products/ab12.jpg", "image/jpeg"
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth, PicturesURL: "https://orders.example.com/p/"}
	header := func(retailerID string, biz Business) *whatsapp.InteractiveHeader {
		_, out, _ := step(State{Step: StepMenu}, Input{To: "1", ReplyID: "p:" + retailerID}, cat, biz, time.Now())
		if len(out) != 1 || out[0].Interactive == nil || out[0].Interactive.Type != "button" {
			t.Fatalf("item message: %+v", out)
		}
		return out[0].Interactive.Header
	}
	if h := header("sku0", biz); h == nil || h.Type != "image" || h.Image.Link != "https://orders.example.com/p/b1/products/ab12.jpg" {
		t.Fatalf("header of a product with a picture: %+v", h)
	}
	if h := header("sku1", biz); h != nil {
		t.Fatalf("header of a product without a picture: %+v", h)
	}
	biz.PicturesURL = ""
	if h := header("sku0", biz); h != nil {
		t.Fatalf("header with no public address to serve it from: %+v", h)
	}
}
