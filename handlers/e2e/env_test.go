package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/app"
	"github.com/waorder/waorder/app/apptest"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/handlers"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// onEachBackend runs test once per storage backend, in parallel, each with a dashboard environment of its own.
func onEachBackend(t *testing.T, test func(t *testing.T, e *dashEnv)) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			test(t, newDashEnv(t, be.Open(t)))
		})
	}
}

// dashEnv is the whole app as serve wires it (webhook, ingest, processor, merchant service, auth, dashboard) on a
// real listener, over a real database and the shared Redis, with one business, one number and one owner.
type dashEnv struct {
	URL      string
	graph    *fakegraph.Server // Meta, as the outbox and the connect forms see it
	graphURL string
	store    *repository.Store
	biz      models.Business
	phone    models.PhoneNumber
	email    string
	password string

	sessionSecret string       // every instance's SESSION_SECRET
	log           *slog.Logger // every instance's logger
	// configure, when set, changes every instance's configuration before it starts (e.g. an S3 media bucket).
	configure func(*config.Config)
}

const (
	dashAppID    = "4242"
	dashSecret   = "dash-test-secret"
	dashPassword = "correct horse battery"
	dashKey      = "0123456789abcdef0123456789abcdef" // ENCRYPTION_KEY's 32 bytes
)

// newDashEnv seeds a business with a number and an owner on store and starts the app over it.
func newDashEnv(t *testing.T, store *repository.Store) *dashEnv {
	t.Helper()
	return newDashEnvLogging(t, store, apptest.Log())
}

// newDashEnvLogging is newDashEnv with the app logging to log.
func newDashEnvLogging(t *testing.T, store *repository.Store, log *slog.Logger, opts ...app.Option) *dashEnv {
	t.Helper()
	return newDashEnvWith(t, store, log, nil, opts...)
}

// newDashEnvWith is newDashEnvLogging with configure applied to the app's configuration (nil: as it is).
func newDashEnvWith(t *testing.T, store *repository.Store, log *slog.Logger, configure func(*config.Config), opts ...app.Option) *dashEnv {
	t.Helper()
	e := &dashEnv{store: store, configure: configure, log: log, password: dashPassword, sessionSecret: "dash-test-" + testutil.RandomHex(16), graph: fakegraph.New(fakegraph.WithApp(dashAppID, dashSecret),
		fakegraph.WithWABA("2098765432101", "1098765432101", "1098765432102"))}
	srv := httptest.NewServer(e.graph)
	t.Cleanup(srv.Close)
	e.graphURL = srv.URL
	e.biz, e.phone, e.email = seedBusiness(t, store, "Casa Nonna")
	e.URL = startApp(t, e, opts...)
	return e
}

// seedBusiness creates a business with one WhatsApp number and an owner who logs in with dashPassword. Business
// ids are random and large so this test's cache keys never meet another test's on the shared Redis.
func seedBusiness(t *testing.T, store *repository.Store, name string) (models.Business, models.PhoneNumber, string) {
	t.Helper()
	ctx := context.Background()
	b := models.Business{ID: dashRandomID(), Name: name, Currency: "EUR", Timezone: "Europe/Lisbon", Fulfillment: models.FulfillPickup}
	if err := store.CreateBusiness(ctx, &b); err != nil {
		t.Fatal(err)
	}
	token, err := dashBox(t).Seal("EAAG-test-token")
	if err != nil {
		t.Fatal(err)
	}
	p := models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: fmt.Sprint(dashRandomID()), WABAID: fmt.Sprint(dashRandomID()),
		DisplayPhoneNumber: "15550001111", AccessTokenEnc: token}
	if err := store.AddPhoneNumber(ctx, &p); err != nil {
		t.Fatal(err)
	}
	email := "owner-" + testutil.RandomHex(4) + "@example.com"
	accounts := auth.New(store, cache.NewMemory(16), []byte("seed"), apptest.Log())
	if _, err := accounts.CreateUser(ctx, b.ID, email, dashPassword, models.RoleOwner); err != nil {
		t.Fatal(err)
	}
	return b, p, email
}

// startApp runs one instance of the service, built by app.New as serve builds it, over store and returns its base
// URL. Several instances over one database behave as they do behind a load balancer. Its Graph API is the test's
// fake; sandbox mode shows the simulator. The session key is the env's (so instances accept each other's sessions)
// and random, which gives each test its own login rate-limit counters on the shared Redis (they are keyed by it):
// otherwise the test that trips the per-IP limit would lock every other test out of 127.0.0.1.
func startApp(t *testing.T, e *dashEnv, opts ...app.Option) string {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.AppSecret, cfg.VerifyToken, cfg.MetaAppID, cfg.MetaConfig = dashSecret, "v", dashAppID, "cfg-1"
	cfg.SessionSecret, cfg.EncryptionKey = e.sessionSecret, hex.EncodeToString([]byte(dashKey))
	if e.configure != nil {
		e.configure(&cfg)
	}
	opts = append([]app.Option{app.WithStore(e.store), app.WithGraphURL(e.graphURL),
		app.WithPoll(200 * time.Millisecond), app.WithEventStream(4 * time.Second)}, opts...) // later options win
	svc := apptest.StartLogging(t, cfg, e.log, opts...)
	return svc.URL()
}

// dashBox seals tokens with a fixed test key.
func dashBox(t *testing.T) *secretbox.Box {
	b, err := secretbox.New([]byte(dashKey))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dashRandomID() int64 {
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<40))
	return 1<<41 + n.Int64()
}

// customer makes a customer of the business the way a webhook does.
func (e *dashEnv) customer(t *testing.T, waID, name string) models.Customer {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	_, err := e.store.StoreDeliveries(ctx, []repository.Delivery{{Customers: []models.Customer{
		{BusinessID: e.biz.ID, WaID: waID, Name: name, LastInboundAt: &now}}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.store.CustomerByWaID(ctx, e.biz.ID, waID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// order stores an order for customer c, as the bot would.
func (e *dashEnv) order(t *testing.T, c models.Customer, items ...models.OrderItem) models.Order {
	t.Helper()
	if len(items) == 0 {
		items = []models.OrderItem{{Name: "Margherita", RetailerID: "pizza-margherita", Quantity: 2, UnitPriceMinor: 950},
			{Name: "Lemonade", RetailerID: "lemonade", Quantity: 1, UnitPriceMinor: 300}}
	}
	lat, lon := 38.71004, -9.13661
	o := models.Order{BusinessID: e.biz.ID, CustomerID: c.ID, Currency: e.biz.Currency, Fulfillment: models.FulfillDelivery,
		Address: "Rua Augusta 100, Lisboa", Latitude: &lat, Longitude: &lon, Source: "chat",
		SourceKey: "test:" + testutil.RandomHex(8), Items: items}
	if err := e.store.CreateOrder(context.Background(), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// webhook posts a signed body to /webhook like Meta and wants 200.
func (e *dashEnv) webhook(t *testing.T, body []byte) {
	t.Helper()
	e.webhookWithID(t, body, "")
}

// webhookWithID is webhook through a proxy that sets X-Request-ID to id (none when ""); it returns the response's
// X-Request-ID.
func (e *dashEnv) webhookWithID(t *testing.T, body []byte, id string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign(body, dashSecret))
	if id != "" {
		req.Header.Set(handlers.RequestIDHeader, id)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	return resp.Header.Get(handlers.RequestIDHeader)
}

// textWebhook is a text message from waID for the business's number.
func (e *dashEnv) textWebhook(waID, name, body string) []byte {
	return e.envelope(waID, name, map[string]any{"from": waID, "id": "wamid.TEST" + strings.ToUpper(testutil.RandomHex(10)),
		"type": "text", "timestamp": fmt.Sprint(time.Now().Unix()), "text": map[string]string{"body": body}})
}

// buttonWebhook is a tap on a reply button the bot sent.
func (e *dashEnv) buttonWebhook(waID, name, id, title string) []byte {
	return e.envelope(waID, name, map[string]any{"from": waID, "id": "wamid.TEST" + strings.ToUpper(testutil.RandomHex(10)),
		"type": "interactive", "timestamp": fmt.Sprint(time.Now().Unix()),
		"interactive": map[string]any{"type": "button_reply", "button_reply": map[string]string{"id": id, "title": title}}})
}

// product adds an available product to the catalog.
func (e *dashEnv) product(t *testing.T, sku, name string, priceMinor int64) models.Product {
	t.Helper()
	p := models.Product{BusinessID: e.biz.ID, RetailerID: sku, Name: name, PriceMinor: priceMinor, Currency: e.biz.Currency,
		Category: "Pizza", Available: true}
	if err := e.store.CreateProduct(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// envelope wraps one message in Meta's webhook body for the business's number.
func (e *dashEnv) envelope(waID, name string, msg map[string]any) []byte {
	value := map[string]any{"messaging_product": "whatsapp",
		"metadata": map[string]string{"display_phone_number": e.phone.DisplayPhoneNumber, "phone_number_id": e.phone.MetaPhoneID},
		"contacts": []any{map[string]any{"profile": map[string]string{"name": name}, "wa_id": waID}}, "messages": []any{msg}}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": e.phone.WABAID,
		"changes": []any{map[string]any{"field": "messages", "value": value}}}}})
	return b
}

// nativeOrderWebhook is a catalog order from waID for the business's number, shaped like Meta's order webhook.
func (e *dashEnv) nativeOrderWebhook(waID, name string, items map[string]int) []byte {
	var pi []map[string]any
	for sku, q := range items {
		pi = append(pi, map[string]any{"product_retailer_id": sku, "quantity": q, "item_price": 9.5, "currency": e.biz.Currency})
	}
	return e.envelope(waID, name, map[string]any{"from": waID, "id": "wamid.TEST" + strings.ToUpper(testutil.RandomHex(10)),
		"type": "order", "timestamp": fmt.Sprint(time.Now().Unix()), "order": map[string]any{"catalog_id": "1", "product_items": pi}})
}

// dashClient is an HTTP client logged in as the owner, with the session's CSRF token read from a page.
type dashClient struct {
	*http.Client
	base, csrf string
}

func (e *dashEnv) login(t *testing.T, email, password string) *dashClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &dashClient{Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		base: e.URL}
	page := c.get(t, "/login")
	token := dashBetween(page, `name="login_token" value="`, `"`)
	resp := c.post(t, "/login", url.Values{"email": {email}, "password": {password}, "login_token": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	c.csrf = dashBetween(c.get(t, "/"), `name="`+dashboard.CSRFField+`" value="`, `"`)
	if c.csrf == "" {
		t.Fatal("no CSRF token on the orders page")
	}
	return c
}

func (c *dashClient) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := c.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (c *dashClient) status(t *testing.T, method, path string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (c *dashClient) post(t *testing.T, path string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(c.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func dashBetween(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

// dashEventually polls cond until it holds or within passes.
func dashEventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
