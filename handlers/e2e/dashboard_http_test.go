package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// A form post without the session's CSRF token is refused and changes nothing.
func TestDashboard_PostWithoutCSRFTokenIsRejected(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	o := e.order(t, e.customer(t, "351910000020", "Dina"))
	c := e.login(t, e.email, e.password)
	path := fmt.Sprintf("/orders/%d/status", o.ID)
	for name, form := range map[string]url.Values{
		"missing": {"status": {"confirmed"}},
		"wrong":   {"status": {"confirmed"}, dashboard.CSRFField: {"not-the-token"}},
	} {
		if got := c.status(t, http.MethodPost, path, form); got != http.StatusForbidden {
			t.Errorf("%s token: status change answered %d, want 403", name, got)
		}
	}
	if got := c.status(t, http.MethodPost, "/catalog", url.Values{"name": {"X"}, "price": {"1"}}); got != http.StatusForbidden {
		t.Errorf("add product without token: %d, want 403", got)
	}
	if got, _ := e.store.Order(context.Background(), e.biz.ID, o.ID); got.Status != models.StatusPending {
		t.Fatalf("order changed to %s", got.Status)
	}
	form := url.Values{"status": {"confirmed"}, dashboard.CSRFField: {c.csrf}}
	if got := c.status(t, http.MethodPost, path, form); got != http.StatusSeeOther {
		t.Fatalf("with the token: %d, want 303", got)
	}
}

// Another business's orders and products are not found, page by page and form by form, exactly like ids that do
// not exist; nothing of theirs changes.
func TestDashboard_OtherBusinessIDsAreNotFound(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	theirOrder := e.order(t, e.customer(t, "351910000021", "Eli"))
	theirProduct := models.Product{BusinessID: e.biz.ID, RetailerID: "secret", Name: "Secret sauce", PriceMinor: 100, Currency: "EUR", Available: true}
	if err := e.store.CreateProduct(context.Background(), &theirProduct); err != nil {
		t.Fatal(err)
	}
	_, _, intruderEmail := seedBusiness(t, e.store, "Intruder Inc")
	c := e.login(t, intruderEmail, dashPassword)
	tok := c.csrf
	for _, r := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", fmt.Sprintf("/orders/%d", theirOrder.ID), nil},
		{"POST", fmt.Sprintf("/orders/%d/status", theirOrder.ID), url.Values{"status": {"cancelled"}}},
		{"GET", fmt.Sprintf("/catalog/%d", theirProduct.ID), nil},
		{"POST", fmt.Sprintf("/catalog/%d", theirProduct.ID), url.Values{"name": {"Mine"}, "price": {"1"}}},
		{"POST", fmt.Sprintf("/catalog/%d/availability", theirProduct.ID), url.Values{"available": {"false"}}},
		{"POST", fmt.Sprintf("/catalog/%d/delete", theirProduct.ID), url.Values{}},
		{"GET", "/orders/999999999999", nil},
		{"GET", "/orders/not-a-number", nil},
		{"GET", "/catalog/999999999999", nil},
	} {
		if r.form != nil {
			r.form.Set(dashboard.CSRFField, tok)
		}
		if got := c.status(t, r.method, r.path, r.form); got != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", r.method, r.path, got)
		}
	}
	if page := c.get(t, "/"); strings.Contains(page, "Eli") {
		t.Error("another business's order is listed")
	}
	if page := c.get(t, "/catalog"); strings.Contains(page, "Secret sauce") {
		t.Error("another business's product is listed")
	}
	o, _ := e.store.Order(context.Background(), e.biz.ID, theirOrder.ID)
	p, _ := e.store.Product(context.Background(), e.biz.ID, theirProduct.ID)
	if o.Status != models.StatusPending || p.Name != "Secret sauce" || !p.Available {
		t.Fatalf("the other business's rows changed: order %s, product %q available=%v", o.Status, p.Name, p.Available)
	}
}

// Pages need a session; the login form says when attempts are rate limited.
func TestDashboard_LoginNeedsSessionAndIsRateLimited(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	anon := &dashClient{Client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: e.URL}
	for _, p := range []string{"/", "/stats", "/catalog", "/settings", "/simulator", "/orders/1"} {
		resp, err := anon.Get(e.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("GET %s without a session: %d to %q, want a redirect to /login", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	jar, _ := cookiejar.New(nil)
	c := &dashClient{Client: &http.Client{Jar: jar}, base: e.URL}
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		page := c.get(t, "/login")
		token := dashBetween(page, `name="login_token" value="`, `"`)
		resp, err := c.PostForm(e.URL+"/login", url.Values{"email": {e.email}, "password": {"wrong"}, "login_token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(resp)
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			if !strings.Contains(body, "Wrong email or password") {
				t.Fatal("a wrong password does not say so")
			}
		case http.StatusTooManyRequests:
			limited = true
			if !strings.Contains(body, "Too many attempts") {
				t.Fatal("the rate limit does not say so")
			}
		default:
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
	}
	if !limited {
		t.Fatal("40 wrong passwords in a row were never rate limited")
	}
}

// Static assets are embedded and cached for a year; pages are never cached.
func TestDashboard_StaticAssetsCacheLongPagesNever(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	for _, p := range []string{"/static/app.css", "/static/app.js", "/static/simulator.js", "/static/favicon.svg"} {
		resp, err := http.Get(e.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=31536000") {
			t.Errorf("%s: %d, Cache-Control %q", p, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	c := e.login(t, e.email, e.password)
	resp, err := c.Get(e.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("orders page Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
}

// The simulator's message goes through the webhook path and shows in its conversation.
func TestDashboard_SimulatorMessageReachesTheConversation(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	form := url.Values{"wa_id": {"15550100001"}, "name": {"Sim"}, "text": {"hi there"}, dashboard.CSRFField: {c.csrf}}
	if got := c.status(t, http.MethodPost, "/simulator/send", form); got != http.StatusSeeOther {
		t.Fatalf("send: %d", got)
	}
	dashEventually(t, 5*time.Second, "the message in the conversation", func() bool {
		return strings.Contains(c.get(t, "/simulator/messages?wa_id=15550100001"), `"text":"hi there"`)
	})
	form = url.Values{"wa_id": {"15550100001"}, "reply_kind": {"button"}, "reply_id": {"checkout"}, "reply_title": {"Checkout"},
		dashboard.CSRFField: {c.csrf}}
	if got := c.status(t, http.MethodPost, "/simulator/send", form); got != http.StatusSeeOther {
		t.Fatalf("send a button reply: %d", got)
	}
	dashEventually(t, 5*time.Second, "the button reply stored", func() bool {
		msgs, _ := e.store.InboundMessages(context.Background(), e.biz.ID, 10)
		return len(msgs) == 2 && msgs[0].Type == "interactive"
	})
}

// Settings: a bad value is explained on the page, a good one is saved; a number whose token expired says so.
func TestDashboard_SettingsValidateAndSave(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	reason := "Graph API error 190: Error validating access token: Session has expired"
	if err := e.store.SetPhoneStatus(context.Background(), e.biz.ID, e.phone.ID, models.PhoneTokenExpired, reason); err != nil {
		t.Fatal(err)
	}
	if page := c.get(t, "/settings"); !strings.Contains(page, "Token expired") || !strings.Contains(page, "Session has expired") {
		t.Fatal("the settings page does not show the expired token and its reason")
	}
	form := url.Values{"name": {"Casa Nonna"}, "currency": {"EURO"}, "timezone": {"Europe/Lisbon"}, "fulfillment": {"both"},
		"hours_mon": {"9-22"}, dashboard.CSRFField: {c.csrf}}
	resp, err := c.PostForm(e.URL+"/settings", form)
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "three-letter currency code") ||
		!strings.Contains(page, "Monday: write hours like") || !strings.Contains(page, `value="EURO"`) {
		t.Fatalf("bad settings: %d", resp.StatusCode)
	}
	form.Set("currency", "EUR")
	form.Set("timezone", "Mars/Olympus")
	resp, err = c.PostForm(e.URL+"/settings", form) // the service's rules judge what the form parsed
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Enter a time zone like") ||
		!strings.Contains(page, "Monday: write hours like") {
		t.Fatalf("bad time zone: %d", resp.StatusCode)
	}
	form.Set("timezone", "Europe/Lisbon")
	form.Set("name", "")
	form.Set("hours_mon", "09:00-14:00, 18:00-22:00")
	resp, err = c.PostForm(e.URL+"/settings", form)
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Enter the business name customers see") {
		t.Fatalf("no name: %d", resp.StatusCode)
	}
	form.Set("name", "Casa Nonna")
	form.Set("min_order", "12.5")
	form.Set("greeting", "Ciao!")
	if resp := c.post(t, "/settings", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good settings: %d", resp.StatusCode)
	}
	b, err := e.store.Business(context.Background(), e.biz.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.MinOrderMinor != 1250 || b.Greeting != "Ciao!" || b.OpeningHours != `{"mon":[["09:00","14:00"],["18:00","22:00"]]}` {
		t.Fatalf("saved %+v", b)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Connecting a number: pasted ids and token are checked with the Graph API and the token is stored sealed; an
// Embedded Signup code is exchanged server-side; bad input is explained.
func TestDashboard_ConnectWhatsAppNumber(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	page := c.get(t, "/settings")
	if !strings.Contains(page, `id="signup-btn"`) || !strings.Contains(page, "connect.facebook.net/en_US/sdk.js") {
		t.Fatal("with META_APP_ID and META_CONFIG_ID the settings page offers Embedded Signup")
	}
	if orders := c.get(t, "/"); strings.Contains(orders, "connect.facebook.net") {
		t.Fatal("Meta's SDK is loaded outside the settings page")
	}
	bad := url.Values{"phone_number_id": {"12ab"}, "waba_id": {""}, "access_token": {"x"}, dashboard.CSRFField: {c.csrf}}
	resp, err := c.PostForm(e.URL+"/settings/connect", bad)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter the phone number id") {
		t.Fatalf("bad ids: %d", resp.StatusCode)
	}
	token := "EAAG" + strings.Repeat("x", 40)
	good := url.Values{"phone_number_id": {"1098765432101"}, "waba_id": {"2098765432101"}, "access_token": {token}, dashboard.CSRFField: {c.csrf}}
	if got := c.status(t, http.MethodPost, "/settings/connect", good); got != http.StatusOK {
		t.Fatalf("connect: %d", got)
	}
	signup := url.Values{"code": {"one-time-code"}, "phone_number_id": {"1098765432102"}, "waba_id": {"2098765432101"}, dashboard.CSRFField: {c.csrf}}
	if got := c.status(t, http.MethodPost, "/settings/connect/signup", signup); got != http.StatusOK {
		t.Fatalf("signup: %d", got)
	}
	if page := c.get(t, "/settings"); !strings.Contains(page, "1098765432101") || !strings.Contains(page, "1098765432102") {
		t.Fatal("the connected numbers are not listed")
	}
	nums, err := e.store.PhoneNumbers(context.Background(), e.biz.ID)
	if err != nil || len(nums) != 3 {
		t.Fatalf("numbers %v %v", nums, err)
	}
	for _, n := range nums[1:] {
		if n.AccessTokenEnc == "" || strings.Contains(n.AccessTokenEnc, "EAAG") || strings.Contains(n.AccessTokenEnc, "FAKE-TOKEN") {
			t.Fatalf("token stored as %q", n.AccessTokenEnc)
		}
		if n.DisplayPhoneNumber == "" || n.Status != models.PhoneConnected {
			t.Fatalf("number %+v", n)
		}
	}
	signup["phone_number_id"] = []string{"1098765432101"}
	if got := c.status(t, http.MethodPost, "/settings/connect/signup", signup); got != http.StatusUnprocessableEntity {
		t.Fatalf("a used code: %d, want 422", got)
	}
}

// The orders list filters by status and finds orders by customer name, phone (as people type it) and number.
func TestDashboard_OrdersFilterAndSearch(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ana, rui := e.customer(t, "351910000031", "Ana Sousa"), e.customer(t, "351920000032", "Rui Costa")
	e.order(t, ana)
	second := e.order(t, rui)
	e.order(t, ana)
	e.advance(t, second, models.StatusConfirmed)
	c := e.login(t, e.email, e.password)
	count := func(q string) int { return strings.Count(c.get(t, "/?"+q), `class="link-row"`) }
	for q, want := range map[string]int{
		"":                                  3,
		"q=ana":                             2,
		"q=%23" + fmt.Sprint(second.Number): 1,
		"q=%2B351+92":                       1,
		"status=confirmed":                  1,
		"status=pending&q=rui":              0,
		"status=bogus":                      3,
		"page_size=7":                       3,
	} {
		if got := count(q); got != want {
			t.Errorf("/?%s: %d orders, want %d", q, got, want)
		}
	}
}

// Stats count today's orders and revenue without the cancelled ones, and draw a bar per day.
func TestDashboard_StatsOfToday(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	cust := e.customer(t, "351910000050", "Stat")
	e.order(t, cust)                                                                                        // EUR 22.00
	e.order(t, cust, models.OrderItem{Name: "Tiramisu", RetailerID: "t", Quantity: 2, UnitPriceMinor: 550}) // EUR 11.00
	e.advance(t, e.order(t, cust), models.StatusCancelled)
	c := e.login(t, e.email, e.password)
	for days, bars := range map[string]int{"1": 1, "7": 7, "30": 30} {
		page := c.get(t, "/stats?days="+days)
		if !strings.Contains(page, `id="kpi-orders">2<`) || !strings.Contains(page, `id="kpi-revenue">EUR 33.00<`) ||
			!strings.Contains(page, `id="kpi-basket">EUR 16.50<`) {
			t.Fatalf("days=%s: KPIs wrong", days)
		}
		if got := strings.Count(page, `<rect class="bar"`); got < bars || got > bars+1 {
			t.Errorf("days=%s: %d bars, want %d", days, got, bars)
		}
	}
}
