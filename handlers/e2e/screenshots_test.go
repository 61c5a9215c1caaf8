package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// seedDay fills the business with what a busy day looks like: customers, a conversation, orders in every status,
// products (the first with a picture, uploaded as the merchant does). It returns the order worth opening.
func seedDay(t *testing.T, e *dashEnv) models.Order {
	t.Helper()
	ctx := context.Background()
	names := []string{"Ana Sousa", "Bruno Lima", "Carla Dias", "", "Eva Martins", "Filipe Rocha", "Gabriela Nunes"}
	statuses := []models.OrderStatus{models.StatusDelivered, models.StatusCancelled, models.StatusOutForDelivery,
		models.StatusReady, models.StatusPreparing, models.StatusConfirmed, models.StatusPending}
	var open models.Order
	for i, name := range names {
		c := e.customer(t, fmt.Sprintf("3519100000%02d", 10+i), name)
		items := []models.OrderItem{{Name: "Margherita", RetailerID: "pizza-margherita", Quantity: 2, UnitPriceMinor: 950},
			{Name: "Lemonade", RetailerID: "lemonade", Quantity: 1, UnitPriceMinor: 300}}
		if i%2 == 1 {
			items = append(items, models.OrderItem{Name: "Tiramisu", RetailerID: "tiramisu", Quantity: 3, UnitPriceMinor: 550},
				models.OrderItem{Name: "Quattro Formaggi with extra basil", RetailerID: "pizza-4f", Quantity: 1, UnitPriceMinor: 1250})
		}
		o := e.order(t, c, items...)
		e.advance(t, o, statuses[i])
		if i == 0 {
			open = o
		}
	}
	var products []models.Product
	for _, p := range []models.Product{
		{Name: "Margherita", RetailerID: "pizza-margherita", PriceMinor: 950, Category: "Pizza", Available: true},
		{Name: "Quattro Formaggi", RetailerID: "pizza-4f", PriceMinor: 1250, Category: "Pizza", Available: true,
			Description: "Mozzarella, gorgonzola, parmesan, fontina"},
		{Name: "Tiramisu", RetailerID: "tiramisu", PriceMinor: 550, Category: "Dessert", Available: false},
		{Name: "Lemonade", RetailerID: "lemonade", PriceMinor: 300, Category: "Drinks", Available: true},
	} {
		p.BusinessID, p.Currency = e.biz.ID, e.biz.Currency
		if err := e.store.CreateProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		products = append(products, p)
	}
	owner := e.login(t, e.email, e.password)
	if got := owner.upload(t, fmt.Sprintf("/catalog/%d/picture", products[0].ID), "margherita.png", "image/png",
		pngPicture(t, 480, 320)); got != http.StatusSeeOther {
		t.Fatalf("upload the product picture: %d", got)
	}
	// Last, so the bot's writes do not race the seeding above on SQLite.
	e.webhook(t, e.textWebhook("351910000010", "Ana Sousa", "Hi! Can I see the menu?"))
	e.webhook(t, e.textWebhook("351910000010", "Ana Sousa", "margherita"))
	return open
}

// advance moves an order step by step to status, as a merchant would.
func (e *dashEnv) advance(t *testing.T, o models.Order, to models.OrderStatus) {
	t.Helper()
	steps := []models.OrderStatus{to}
	if to != models.StatusCancelled {
		steps = nil
		for _, s := range models.OrderStatuses[1:] {
			if rankOf(s) > rankOf(to) || s == models.StatusCancelled {
				break
			}
			steps = append(steps, s)
		}
	}
	for _, s := range steps {
		if _, err := e.store.UpdateOrderStatus(context.Background(), e.biz.ID, o.ID, s, "owner@example.com"); err != nil {
			t.Fatal(err)
		}
	}
}

func rankOf(s models.OrderStatus) int {
	for i, v := range models.OrderStatuses {
		if v == s {
			return i
		}
	}
	return -1
}

// Screenshots of the merchant's pages on a phone and a desktop, for a person to look at (WAORDER_SCREENSHOTS=dir
// keeps them). The test also checks that nothing is wider than the phone's screen.
func TestBrowser_Screenshots(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	open := seedDay(t, e)
	byID, err := e.store.ProductsByRetailerID(context.Background(), e.biz.ID, []string{"pizza-margherita"})
	if err != nil {
		t.Fatal(err)
	}
	pictured := byID["pizza-margherita"]
	e.webhook(t, e.nativeOrderWebhook("351910000010", "Ana Sousa", map[string]int{"pizza-margherita": 2}))
	e.webhook(t, e.buttonWebhook("351910000010", "Ana Sousa", "confirm", "Confirm"))
	ana, err := e.store.CustomerByWaID(context.Background(), e.biz.ID, "351910000010")
	if err != nil {
		t.Fatal(err)
	}
	e.heldReply(t, "351910000060", "Hugo Reis")
	e.failedReply(t, "351910000061", "Inês Faria")
	for _, vp := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
		ctx := e.ownerTab(t, vp.width, vp.height)
		dashEventually(t, 10*time.Second, "the webhook's order", func() bool {
			do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#orders-total")))
			return text(t, ctx, "#orders-total") == "8"
		})
		pages := []struct{ name, path, ready string }{
			{"orders", "/", "#orders"},
			{"order", fmt.Sprintf("/orders/%d", open.ID), "#history"},
			{"stats", "/stats?days=7", ".chart"},
			{"catalog", "/catalog", "#products"},
			{"product", fmt.Sprintf("/catalog/%d", pictured.ID), "#picture img"},
			{"settings", "/settings", "#numbers"},
			{"templates", "/templates", "#create-template"},
			{"team", "/team", "#members"},
			{"account", "/account", "#current_password"},
			{"simulator", "/simulator?wa_id=351910000010&name=Ana+Sousa", "#sim-chat .bubble"},
			{"notfound", "/orders/999999999", "main"},
			{"inbox", "/conversations", ".thread"},
			{"thread", fmt.Sprintf("/conversations/%d", ana.ID), "#conversation .msg"},
			{"customers", "/customers", "#customers"},
			{"attention", "/attention", "#replies"},
			{"ticket", fmt.Sprintf("/orders/%d/print", open.ID), "#ticket"},
		}
		for _, p := range pages {
			do(t, ctx, p.name, chromedp.Navigate(e.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
			dashEventually(t, 10*time.Second, p.name+"'s pictures decoded", func() bool {
				return eval[bool](t, ctx, `[...document.images].every(i => i.complete && i.naturalWidth > 0)`)
			})
			screenshot(t, ctx, p.name+"-"+vp.name)
			if over := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
				t.Errorf("%s on %s: page is %dpx wider than the screen", p.name, vp.name, over)
			}
		}
	}
}
