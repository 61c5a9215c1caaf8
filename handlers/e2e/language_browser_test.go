package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// A merchant switches the business to Spanish on the settings page: the dashboard's labels follow, the inbox lists
// the thread waiting for a person first although another is newer, and an order's status change reaches the open
// thread live.
func TestBrowser_SpanishDashboardAndAFlaggedThreadFirst(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ana := e.customer(t, "351910000020", "Ana Sousa")
	order := e.order(t, ana, models.OrderItem{Name: "Margherita", RetailerID: "pizza-margherita", Quantity: 1, UnitPriceMinor: 950})
	e.webhook(t, e.textWebhook("351910000020", "Ana Sousa", "agente")) // asks for a person
	e.webhook(t, e.textWebhook("351910000021", "Bruno Lima", "hola"))  // newer, but nobody needs to answer it

	ctx := tab(t, 1280, 900)
	loginAs(t, ctx, e.URL, e.email, e.password)
	do(t, ctx, "open settings in English", chromedp.Navigate(e.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS("#language")))
	if got := text(t, ctx, `nav.nav a[href="/"]`); got != "Orders" {
		t.Fatalf("the English dashboard's first tab says %q", got)
	}
	do(t, ctx, "choose Spanish", chromedp.SetValue(chromedp.CSS("#language"), "es"),
		chromedp.Click(chromedp.CSS(`form[action="/settings"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".alert-ok")))
	do(t, ctx, "reload settings", chromedp.Navigate(e.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS("#language")))
	for sel, want := range map[string]string{`nav.nav a[href="/"]`: "Pedidos", `nav.nav a[href="/conversations"]`: "Mensajes",
		`nav.nav a[href="/settings"]`: "Ajustes", "h1": "Ajustes", `label[for="language"]`: "Idioma"} {
		if got := text(t, ctx, sel); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	if lang := eval[string](t, ctx, `document.documentElement.lang`); lang != "es" {
		t.Errorf("the page's language is %q", lang)
	}
	screenshot(t, ctx, "settings-es-desktop")

	do(t, ctx, "orders in Spanish", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#orders")))
	if got := eval[string](t, ctx, `document.querySelector("#orders thead th").textContent`); got != "Pedido" {
		t.Errorf("the orders table's first column is %q", got)
	}
	if got := text(t, ctx, "#orders tbody .badge"); got != "Pendiente" {
		t.Errorf("a pending order's badge says %q", got)
	}

	for _, pg := range []struct{ path, sel, want string }{ // pages that were English-only until every word had a catalog id
		{"/team", "#invite-h", "Invitar a alguien"},
		{"/account", "h1", "Cuenta"},
		{"/attention", "h1", "Requiere atención"},
		{"/templates", "h1", "Plantillas de mensaje"},
	} {
		do(t, ctx, pg.path+" in Spanish", chromedp.Navigate(e.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.sel)))
		if got := text(t, ctx, pg.sel); got != pg.want {
			t.Errorf("%s: %s says %q, want %q", pg.path, pg.sel, got, pg.want)
		}
	}

	do(t, ctx, "inbox", chromedp.Navigate(e.URL+"/conversations"), chromedp.WaitVisible(chromedp.CSS(".thread")))
	names := eval[[]string](t, ctx, `[...document.querySelectorAll(".thread .thread-name")].map(e => e.textContent)`)
	if len(names) != 2 || names[0] != "Ana Sousa" || names[1] != "Bruno Lima" {
		t.Fatalf("threads in the order %v, want Ana's (waiting for a person) first", names)
	}
	if got := liveText(t, ctx, ".thread.needs .badge"); got != "Necesita a una persona" {
		t.Errorf("the flag says %q", got)
	}
	screenshot(t, ctx, "inbox-es-desktop")

	do(t, ctx, "open Ana's thread", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", e.URL, ana.ID)),
		chromedp.WaitVisible(chromedp.CSS("#conversation .msg")))
	time.Sleep(300 * time.Millisecond) // let the live stream connect before the change
	e.advance(t, order, models.StatusConfirmed)
	want := fmt.Sprintf("Pedido #%d: Confirmado", order.Number)
	dashEventually(t, 10*time.Second, "the order's change in the open thread", func() bool {
		return strings.Contains(eval[string](t, ctx, `[...document.querySelectorAll("#conversation .order-move")].map(e => e.textContent).join("|")`), want)
	})
	if got := eval[string](t, ctx, `document.querySelector("#thread-`+fmt.Sprint(ana.ID)+` [data-order]").textContent`); got != want {
		t.Errorf("Ana's thread row says %q, want %q", got, want)
	}
}
