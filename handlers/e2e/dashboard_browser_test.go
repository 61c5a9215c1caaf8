package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/testutil"
)

func TestBrowser_LoginShowsErrorsThenOrders(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ctx := tab(t, 1280, 800)
	do(t, ctx, "wrong password",
		chromedp.Navigate(e.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#email")), // a page that needs a session sends to the login form
		chromedp.SendKeys(chromedp.CSS("#email"), e.email),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	if got := text(t, ctx, "#login-error"); !strings.Contains(got, "Wrong email or password") {
		t.Fatalf("login error = %q", got)
	}
	if v := eval[string](t, ctx, `document.querySelector("#email").value`); v != e.email {
		t.Fatalf("email not kept after a failed login: %q", v)
	}
	loginAs(t, ctx, e.URL, e.email, e.password)
	if got := text(t, ctx, ".brand"); got != "Casa Nonna" {
		t.Fatalf("header shows %q", got)
	}
	do(t, ctx, "log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	do(t, ctx, "orders after logout", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#email")))
}

// An order stored by one instance appears, without a reload, on the orders page another instance serves: the
// live feed reads the shared database, not process memory.
func TestBrowser_OrderArrivesLive(t *testing.T) {
	onEachBackend(t, func(t *testing.T, e *dashEnv) {
		other := startApp(t, e) // a second instance behind the same "load balancer"
		ctx := tab(t, 1280, 800)
		loginAs(t, ctx, other, e.email, e.password)
		do(t, ctx, "empty list", chromedp.WaitVisible(chromedp.CSS("#orders-empty")))
		eval[bool](t, ctx, `window.__sameDocument = true`)
		dashEventually(t, 10*time.Second, "the live feed to connect", func() bool {
			return eval[bool](t, ctx, `document.getElementById("live").classList.contains("on")`)
		})

		e.product(t, "pizza-margherita", "Margherita", 950)
		// A cart from the WhatsApp catalog, then a tap on the bot's Confirm button: the order is placed.
		e.webhook(t, e.nativeOrderWebhook("351910000001", "Ana Sousa", map[string]int{"pizza-margherita": 2}))
		e.webhook(t, e.buttonWebhook("351910000001", "Ana Sousa", "confirm", "Confirm"))

		do(t, ctx, "the new row", chromedp.WaitVisible(chromedp.CSS("#orders tbody tr.fresh")))
		if got := text(t, ctx, "#orders tbody tr.fresh"); !strings.Contains(got, "Ana Sousa") || !strings.Contains(got, "#1") ||
			!strings.Contains(got, "EUR 19.00") {
			t.Fatalf("new row = %q", got)
		}
		if !eval[bool](t, ctx, `window.__sameDocument === true`) {
			t.Fatal("the page reloaded")
		}
		if got := text(t, ctx, "#orders-total"); got != "1" {
			t.Fatalf("total = %q", got)
		}
		if beeps := eval[string](t, ctx, `document.body.dataset.beeps || "0"`); beeps != "1" {
			t.Fatalf("beeps = %s", beeps)
		}
		if got := text(t, ctx, "#toast"); !strings.Contains(got, "New order #1") {
			t.Fatalf("toast = %q", got)
		}
	})
}

// 60 orders: three pages of 20 with a total, then 50 per page.
func TestBrowser_PagesThroughSixtyOrders(t *testing.T) {
	onEachBackend(t, func(t *testing.T, e *dashEnv) {
		c := e.customer(t, "351910000002", "Bruno Lima")
		for range 60 {
			e.order(t, c)
		}
		ctx := e.ownerTab(t, 1280, 800)
		check := func(page, wantRows int, wantRange, wantFirst string) {
			t.Helper()
			if n := rows(t, ctx); n != wantRows {
				t.Fatalf("page %d: %d rows, want %d", page, n, wantRows)
			}
			if got := text(t, ctx, ".pager > span"); got != wantRange {
				t.Fatalf("page %d: range %q, want %q", page, got, wantRange)
			}
			if got := firstRowNumber(t, ctx); got != wantFirst {
				t.Fatalf("page %d: first order %s, want %s", page, got, wantFirst)
			}
		}
		if got := text(t, ctx, "#orders-total"); got != "60" {
			t.Fatalf("total = %q", got)
		}
		check(1, 20, "1–20 of 60", "#60")
		do(t, ctx, "page 2", chromedp.Click(chromedp.CSS(`.pager a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`.pager .cur`)))
		dashEventually(t, 5*time.Second, "page 2", func() bool { return text(t, ctx, ".pager .cur") == "2" })
		check(2, 20, "21–40 of 60", "#40")
		do(t, ctx, "page 3", chromedp.Click(chromedp.CSS(`.pager a[rel="next"]`)))
		dashEventually(t, 5*time.Second, "page 3", func() bool { return text(t, ctx, ".pager .cur") == "3" })
		check(3, 20, "41–60 of 60", "#20")
		if eval[bool](t, ctx, `!!document.querySelector('.pager a[rel="next"]')`) {
			t.Fatal("a next link on the last page")
		}
		// SetValue fires "change", and the select submits its form by itself.
		do(t, ctx, "50 per page", chromedp.SetValue(chromedp.CSS(`select[name="page_size"]`), "50"))
		dashEventually(t, 5*time.Second, "50 per page", func() bool { return rows(t, ctx) == 50 })
		check(1, 50, "1–50 of 60", "#60")
	})
}

// Adding a product: a bad price is explained on the page and what was typed is kept; a good one lists it.
func TestBrowser_AddProduct(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ctx := e.ownerTab(t, 1280, 800)
	do(t, ctx, "bad price",
		chromedp.Navigate(e.URL+"/catalog"),
		chromedp.WaitVisible(chromedp.CSS("#add #name")),
		chromedp.SendKeys(chromedp.CSS("#add #name"), "Quattro Formaggi"),
		chromedp.SendKeys(chromedp.CSS("#add #price"), "abc"),
		chromedp.SendKeys(chromedp.CSS("#add #category"), "Pizza"),
		chromedp.Click(chromedp.CSS("#add button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".field.invalid .field-error")))
	if got := text(t, ctx, ".field.invalid .field-error"); !strings.Contains(got, "number") {
		t.Fatalf("price error = %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#add #name").value + "|" + document.querySelector("#add #price").value`); got != "Quattro Formaggi|abc" {
		t.Fatalf("typed values not kept: %q", got)
	}
	do(t, ctx, "good price",
		chromedp.SetValue(chromedp.CSS("#add #price"), "11,50"),
		chromedp.Click(chromedp.CSS("#add button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#products")))
	if got := text(t, ctx, "#products tbody"); !strings.Contains(got, "Quattro Formaggi") || !strings.Contains(got, "EUR 11.50") {
		t.Fatalf("catalog = %q", got)
	}
	do(t, ctx, "mark unavailable",
		chromedp.Click(chromedp.CSS(`#products form[action$="/availability"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#products .st-unavailable")))
}

// A status change made on the order page reaches the customer: the fake Graph API receives the notification.
func TestBrowser_ChangeStatusNotifiesCustomer(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	e.webhook(t, e.textWebhook("351910000003", "Carla Dias", "hello")) // opens the 24-hour window
	c := e.customer(t, "351910000003", "Carla Dias")
	o := e.order(t, c)
	ctx := e.ownerTab(t, 390, 844)
	do(t, ctx, "open the order", chromedp.Navigate(fmt.Sprintf("%s/orders/%d", e.URL, o.ID)),
		chromedp.WaitVisible(chromedp.CSS(`#status-actions button[data-status="confirmed"]`)))
	e.graph.Reset()
	do(t, ctx, "confirm", chromedp.Click(chromedp.CSS(`#status-actions button[data-status="confirmed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#status-actions button[data-status="preparing"]`)))
	if got := text(t, ctx, "#order-status"); got != "Confirmed" {
		t.Fatalf("status shows %q", got)
	}
	if got := text(t, ctx, ".alert-ok"); !strings.Contains(got, "notified") {
		t.Fatalf("flash %q", got)
	}
	if got := text(t, ctx, "#history"); !strings.Contains(got, "Confirmed") || !strings.Contains(got, e.email) {
		t.Fatalf("history %q", got)
	}
	dashEventually(t, 15*time.Second, "the notification at the Graph API", func() bool {
		for _, r := range e.graph.Sent() {
			if r.To == "351910000003" && r.MetaPhoneID == e.phone.MetaPhoneID && r.Status == 200 {
				return true
			}
		}
		return false
	})
	do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#conversation .bubble.out")))
}

// In the sandbox simulator a person chats as a customer: the bot's list rows and buttons are choices to tap.
func TestBrowser_SimulatorChatsWithTheBot(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	e.product(t, "pizza-margherita", "Margherita", 950)
	ctx := e.ownerTab(t, 390, 844)
	do(t, ctx, "say hi",
		chromedp.Navigate(e.URL+"/simulator?wa_id=351910000040&name=Sim"),
		chromedp.WaitVisible(chromedp.CSS("#sim-text")),
		chromedp.SendKeys(chromedp.CSS("#sim-text"), "hi"),
		chromedp.Click(chromedp.CSS("#sim-form button")),
		chromedp.WaitVisible(chromedp.CSS(`#sim-chat .bubble.out button[data-kind="list"]`)))
	do(t, ctx, "pick the pizza",
		chromedp.Click(chromedp.CSS(`#sim-chat .bubble.out button[data-kind="list"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sim-chat .bubble.out button[data-kind="button"]`)))
	if got := text(t, ctx, "#sim-chat .bubble.out:last-child"); !strings.Contains(got, "Margherita") || !strings.Contains(got, "How many") {
		t.Fatalf("the bot answered %q", got)
	}
	// The customer's own last bubble, wherever the poll placed the bot's reply around it.
	if got := eval[string](t, ctx, `[...document.querySelectorAll("#sim-chat .bubble.in")].pop().textContent`); !strings.Contains(got, "Margherita") {
		t.Fatalf("the tap shows as %q", got)
	}
}
