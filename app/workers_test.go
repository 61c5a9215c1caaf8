package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/app"
	"github.com/waorder/waorder/app/apptest"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// TestWebOnlyInstance_StoresAndTheWorkerInstanceAnswersAtOnce: an instance with RUN_WORKERS=false stores a
// customer's message and answers Meta, and sends nothing itself; an instance running the workers on the same
// PostgreSQL answers the customer within seconds although its sweeps are an hour apart, because the web-only
// instance's commit woke it. A reply queued on the web-only instance (a merchant's) wakes its outbox the same way.
func TestWebOnlyInstance_StoresAndTheWorkerInstanceAnswersAtOnce(t *testing.T) {
	dbURL := testutil.PostgresSchemaURL(t)
	cfg := apptest.Config(t)
	cfg.Database = dbURL
	webCfg := cfg
	webCfg.RunWorkers = false
	graph := func() (*fakegraph.Server, string) {
		f := fakegraph.New()
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		return f, srv.URL
	}
	webGraph, webGraphURL := graph()
	workerGraph, workerGraphURL := graph()
	apptest.Start(t, cfg, app.WithGraphURL(workerGraphURL), app.WithPoll(time.Hour))
	web := apptest.Start(t, webCfg, app.WithGraphURL(webGraphURL), app.WithPoll(time.Hour))

	const customer = "15550007"
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"%s"},
		"contacts":[{"profile":{"name":"Split"},"wa_id":"%s"}],
		"messages":[{"from":"%s","id":"wamid.split.1","timestamp":"%d","type":"text","text":{"body":"hi"}}]}}]}]}`,
		app.SandboxMetaPhoneID, customer, customer, time.Now().Unix())
	req, _ := http.NewRequest(http.MethodPost, web.URL()+"/webhook", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(body, config.SandboxAppSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}

	sendsTo := func(f *fakegraph.Server, to string) int {
		n := 0
		for _, r := range f.Requests() {
			if r.Kind == fakegraph.KindSend && r.To == to {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(15 * time.Second)
	for sendsTo(workerGraph, customer) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker instance did not answer within 15 s (its sweep is an hour away: was it woken?)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := sendsTo(webGraph, customer); n != 0 {
		t.Fatalf("the web-only instance sent %d messages itself", n)
	}

	// A merchant's status change on the web-only instance queues the customer's notice there; the worker sends it.
	ctx := context.Background()
	store, err := repository.Open(ctx, dbURL, "", repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var reply models.OutboundMessage
	if err := store.DB(ctx).Where("to_wa_id = ?", customer).First(&reply).Error; err != nil {
		t.Fatalf("the bot's reply: %v", err)
	}
	order := models.Order{BusinessID: reply.BusinessID, CustomerID: reply.CustomerID, Currency: "USD",
		SourceKey: "wamid.split.order", Items: []models.OrderItem{{Name: "Tea", Quantity: 1, UnitPriceMinor: 250}}}
	if err := store.Tx(ctx, func(tx *repository.Store) error { return tx.CreateOrder(ctx, &order) }); err != nil {
		t.Fatal(err)
	}
	token, err := auth.New(store, cache.NewMemory(10), cfg.SessionKey(), apptest.Log()).CreateAPIToken(ctx, reply.BusinessID, "split")
	if err != nil {
		t.Fatal(err)
	}
	// The bot's replies go out 250 ms apart (the recipient gap), the outbox's alarm waking it for each: wait till
	// none is left, so that only the web-only instance's notify can wake the worker's outbox for the notice.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var queued int64
		if err := store.DB(ctx).Model(&models.OutboundMessage{}).Where("status IN ('queued', 'held')").Count(&queued).Error; err != nil {
			t.Fatal(err)
		}
		if queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the bot's replies still unsent after 15 s", queued)
		}
	}
	time.Sleep(time.Second)
	before := sendsTo(workerGraph, customer)
	patch, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/api/v1/orders/%d", web.URL(), order.ID),
		strings.NewReader(`{"status":"confirmed"}`))
	patch.Header.Set("Authorization", "Bearer "+token)
	patch.Header.Set("Content-Type", "application/json")
	if resp, err = http.DefaultClient.Do(patch); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH order answered %d", resp.StatusCode)
	}
	deadline = time.Now().Add(15 * time.Second)
	for sendsTo(workerGraph, customer) == before {
		if time.Now().After(deadline) {
			t.Fatal("the merchant's message queued on the web-only instance was not sent within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := sendsTo(webGraph, customer); n != 0 {
		t.Fatalf("the web-only instance sent %d messages itself", n)
	}
}
