package ordering_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/ordering"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	store *repository.Store
	ing   *ingest.Service
	biz   models.Business
	seq   int
	mu    sync.Mutex
}

func newEnv(t *testing.T, store *repository.Store, fulfillment models.Fulfillment) *env {
	t.Helper()
	return newEnvWithCache(t, store, fulfillment, cache.NewMemory(100))
}

func newEnvWithCache(t *testing.T, store *repository.Store, fulfillment models.Fulfillment, c cache.Cache) *env {
	t.Helper()
	return newEnvFor(t, store, models.Business{Fulfillment: fulfillment}, "x", c)
}

// newEnvFor is newEnv for the business biz (Casa, in USD, with a minimum order, unless biz says otherwise) whose
// number's sealed token is token.
func newEnvFor(t *testing.T, store *repository.Store, biz models.Business, token string, c cache.Cache) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{store: store}
	// A random id: the cache keys are per business, and other tests and processes may share the Redis server.
	e.biz = biz
	e.biz.ID, e.biz.Name, e.biz.Currency, e.biz.MinOrderMinor = rand.Int64N(1<<40), "Casa", "USD", 300
	if err := store.CreateBusiness(ctx, &e.biz); err != nil {
		t.Fatal(err)
	}
	p := models.PhoneNumber{BusinessID: e.biz.ID, MetaPhoneID: "42", WABAID: "w", AccessTokenEnc: token}
	if err := store.AddPhoneNumber(ctx, &p); err != nil {
		t.Fatal(err)
	}
	for i, pr := range []models.Product{
		{RetailerID: "tea", Name: "Tea", PriceMinor: 250, Category: "Drinks", Available: true},
		{RetailerID: "cake", Name: "Cake", PriceMinor: 400, Category: "Food", Available: true},
		{RetailerID: "soup", Name: "Soup", PriceMinor: 600, Category: "Food", Available: false},
	} {
		pr.BusinessID, pr.Currency, pr.Sort = e.biz.ID, "USD", i
		if err := store.CreateProduct(ctx, &pr); err != nil {
			t.Fatal(err)
		}
	}
	bot := &ordering.Bot{Store: store, Log: quiet, Cache: c}
	arrivals := ingest.NewArrivals()
	proc := ingest.NewProcessor(store, arrivals, bot, quiet)
	proc.Poll = 50 * time.Millisecond
	e.ing = ingest.New(store, quiet, ingest.Options{}, arrivals)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { proc.Run(ctx); close(done) }()
	t.Cleanup(func() { e.ing.Close(); cancel(); <-done })
	return e
}

// send delivers one customer message (the JSON of messages[0] after "type") and waits until the bot handled it.
func (e *env) send(t *testing.T, from, typ, part string) string {
	t.Helper()
	e.mu.Lock()
	e.seq++
	wamid := fmt.Sprintf("wamid.%s.%d", from, e.seq)
	e.mu.Unlock()
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"42"},
		"contacts":[{"profile":{"name":"Ann"},"wa_id":"%s"}],
		"messages":[{"from":"%s","id":"%s","timestamp":"%d","type":"%s",%s}]}}]}]}`,
		from, from, wamid, time.Now().Unix(), typ, part)
	if err := e.ing.Accept(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	e.waitHandled(t, wamid)
	return wamid
}

func (e *env) waitHandled(t *testing.T, wamid string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int64
		e.store.DB(context.Background()).Raw("SELECT COUNT(*) FROM inbound_messages WHERE wamid = ? AND processed_at IS NOT NULL", wamid).Scan(&n)
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s was not handled", wamid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func text(s string) string { return fmt.Sprintf(`"text":{"body":%q}`, s) }
func listReply(id string) string {
	return fmt.Sprintf(`"interactive":{"type":"list_reply","list_reply":{"id":%q,"title":"x"}}`, id)
}
func buttonReply(id string) string {
	return fmt.Sprintf(`"interactive":{"type":"button_reply","button_reply":{"id":%q,"title":"x"}}`, id)
}

// replies returns the bot's messages to a customer after wamid, as "type:text".
func (e *env) replies(t *testing.T, wamid string) []string {
	t.Helper()
	var rows []models.OutboundMessage
	e.store.DB(context.Background()).Where("idempotency_key LIKE ?", "in:"+wamid+":%").Order("id").Find(&rows)
	var out []string
	for _, r := range rows {
		var m whatsapp.OutgoingMessage
		if err := json.Unmarshal([]byte(r.Payload), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Type+":"+m.Text())
	}
	return out
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (e *env) orders(t *testing.T) []models.Order {
	t.Helper()
	got, _, err := e.store.ListOrders(context.Background(), e.biz.ID, models.OrderFilter{PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestBot_HappyPathWithACartOfSeveralItems(t *testing.T) {
	caches := map[string]func(t *testing.T) cache.Cache{
		"memory cache": func(*testing.T) cache.Cache { return cache.NewMemory(100) },
		"valkey": func(t *testing.T) cache.Cache {
			c, err := cache.New(context.Background(), testutil.Valkey(t), quiet)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return c
		},
		"valkey down": func(t *testing.T) cache.Cache {
			c, err := cache.New(context.Background(), "redis://127.0.0.1:1/0", quiet)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return c
		},
	}
	for _, be := range testutil.Backends() {
		for cname, mk := range caches {
			t.Run(be.Name+"/"+cname, func(t *testing.T) {
				happyPath(t, newEnvWithCache(t, be.Open(t), models.FulfillBoth, mk(t)))
			})
		}
	}
}

func happyPath(t *testing.T, e *env) {
	t.Helper()
	c := "15550001"
	w := e.send(t, c, "text", text("hello"))
	if r := e.replies(t, w); len(r) != 2 || !strings.HasPrefix(r[1], "interactive:") || !contains(r, "Tea") || contains(r, "Soup") {
		t.Fatalf("greeting replies %v", r)
	}
	w = e.send(t, c, "interactive", listReply("p:tea"))
	if r := e.replies(t, w); !contains(r, "How many") {
		t.Fatalf("pick replies %v", r)
	}
	e.send(t, c, "interactive", buttonReply("q:2"))
	e.send(t, c, "interactive", buttonReply("more"))
	e.send(t, c, "interactive", listReply("p:cake"))
	w = e.send(t, c, "text", text("3"))
	if r := e.replies(t, w); !contains(r, "2 × Tea") || !contains(r, "3 × Cake") || !contains(r, "Total: USD 17.00") {
		t.Fatalf("cart %v", r)
	}
	e.send(t, c, "interactive", buttonReply("checkout"))
	e.send(t, c, "interactive", buttonReply("delivery"))
	w = e.send(t, c, "location", `"location":{"latitude":38.7,"longitude":-9.1,"name":"Home","address":"Rua A 1"}`)
	if r := e.replies(t, w); !contains(r, "Deliver to: Home, Rua A 1") {
		t.Fatalf("confirm %v", r)
	}
	w = e.send(t, c, "interactive", buttonReply("confirm"))
	if r := e.replies(t, w); !contains(r, "Order #1 is received (USD 17.00)") || !contains(r, "2 × Tea — USD 5.00") || !contains(r, "Deliver to: Home, Rua A 1") {
		t.Fatalf("placed %v", r)
	}
	got := e.orders(t)
	if len(got) != 1 || got[0].TotalMinor != 1700 || len(got[0].Items) != 2 || got[0].Fulfillment != models.FulfillDelivery ||
		got[0].Latitude == nil || got[0].Status != models.StatusPending || got[0].Source != "chat" {
		t.Fatalf("order %+v", got)
	}
	w = e.send(t, c, "text", text("Status"))
	if r := e.replies(t, w); !contains(r, "Order #1 (USD 17.00) is *pending*") {
		t.Fatalf("status %v", r)
	}
}

func TestBot_Commands(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), models.FulfillPickup)
	c := "15550002"
	tests := []struct{ in, want string }{
		{"help", "You can send"},
		{"status", "no orders yet"},
		{"MENU", "View menu"},
		{"cart", "Your cart is empty"},
		{"what is this", "didn't get that"},
		{"soup", "not available"},
		{"tea", "How many"},
		{"seventy", "number from 1 to 50"},
		{"two", "2 × Tea"},
		{"cancel", "cart is empty now"},
	}
	for _, tt := range tests {
		w := e.send(t, c, "text", text(tt.in))
		if r := e.replies(t, w); !contains(r, tt.want) {
			t.Fatalf("%q → %v, want %q", tt.in, r, tt.want)
		}
	}
}

func TestBot_MinimumOrderAndPickup(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), models.FulfillPickup)
	c := "15550003"
	e.send(t, c, "text", text("tea"))
	e.send(t, c, "text", text("1"))
	w := e.send(t, c, "interactive", buttonReply("checkout"))
	if r := e.replies(t, w); !contains(r, "minimum order is USD 3.00") {
		t.Fatalf("min order %v", r)
	}
	e.send(t, c, "text", text("cake"))
	e.send(t, c, "text", text("1"))
	w = e.send(t, c, "interactive", buttonReply("checkout"))
	if r := e.replies(t, w); !contains(r, "Pickup at Casa") {
		t.Fatalf("pickup confirm %v", r)
	}
}

func TestBot_NativeCatalogOrderWithUnknownSKUAndChangedPrice(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillPickup)
			c := "15550004"
			w := e.send(t, c, "order", `"order":{"catalog_id":"1","product_items":[
				{"product_retailer_id":"tea","quantity":2,"item_price":2.00,"currency":"USD"},
				{"product_retailer_id":"ghost","quantity":1,"item_price":9,"currency":"USD"},
				{"product_retailer_id":"cake","quantity":1,"item_price":4,"currency":"USD"}]}`)
			r := e.replies(t, w)
			if !contains(r, `item "ghost"`) || !contains(r, "Tea is now USD 2.50, not USD 2.00") || !contains(r, "Confirm") {
				t.Fatalf("native order replies %v", r)
			}
			e.send(t, c, "interactive", buttonReply("confirm"))
			got := e.orders(t)
			if len(got) != 1 || got[0].TotalMinor != 900 || got[0].Source != "catalog" || got[0].SourceKey != w {
				t.Fatalf("order %+v", got)
			}
		})
	}
}

func TestBot_ClosedHours(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), models.FulfillBoth)
	e.biz.OpeningHours = `{"mon":[["00:00","00:01"]]}`
	e.store.UpdateBusinessSettings(context.Background(), e.biz) //nolint:errcheck
	w := e.send(t, "15550005", "text", text("menu"))
	if r := e.replies(t, w); len(r) != 1 || !contains(r, "closed right now") || !contains(r, "Mon 00:00–00:01") {
		t.Fatalf("closed replies %v", r)
	}
}

// The same confirming message delivered five times at once creates one order and one confirmation.
func TestBot_DuplicateDeliveriesMakeOneOrderAndOneReply(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillPickup)
			c := "15550006"
			e.send(t, c, "text", text("cake"))
			e.send(t, c, "text", text("1"))
			e.send(t, c, "interactive", buttonReply("checkout"))
			body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
				"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"42"},
				"contacts":[{"profile":{"name":"Ann"},"wa_id":"%s"}],
				"messages":[{"from":"%s","id":"wamid.dup","timestamp":"%d","type":"interactive",%s}]}}]}]}`,
				c, c, time.Now().Unix(), buttonReply("confirm"))
			var wg sync.WaitGroup
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := e.ing.Accept(context.Background(), []byte(body)); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			e.waitHandled(t, "wamid.dup")
			if got := e.orders(t); len(got) != 1 {
				t.Fatalf("%d orders, want 1", len(got))
			}
			if r := e.replies(t, "wamid.dup"); len(r) != 1 || !contains(r, "Order #1 is received") {
				t.Fatalf("confirmations %v", r)
			}
		})
	}
}
