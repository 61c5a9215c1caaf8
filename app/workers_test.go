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

// split is a web-only instance and an instance running the workers on one PostgreSQL schema, each with its own
// fake Graph API; the worker's sweeps are an hour apart, so only a wake-up makes it act on the web-only one's work.
type split struct {
	cfg                   config.Config
	web                   *app.Service
	webGraph, workerGraph *fakegraph.Server
	store                 *repository.Store // the test's own view of the shared database
}

func startSplit(t *testing.T) *split {
	t.Helper()
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
	s := &split{cfg: cfg}
	var webURL, workerURL string
	s.webGraph, webURL = graph()
	s.workerGraph, workerURL = graph()
	apptest.Start(t, cfg, app.WithGraphURL(workerURL), app.WithPoll(time.Hour))
	s.web = apptest.Start(t, webCfg, app.WithGraphURL(webURL), app.WithPoll(time.Hour))
	store, err := repository.Open(context.Background(), dbURL, "", repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s.store = store
	return s
}

// postText delivers a signed text from a customer to the web-only instance and expects 200.
func (s *split) postText(t *testing.T, wamid, from string) {
	t.Helper()
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"%s"},
		"contacts":[{"profile":{"name":"Split"},"wa_id":"%s"}],
		"messages":[{"from":"%s","id":"%s","timestamp":"%d","type":"text","text":{"body":"hi"}}]}}]}]}`,
		app.SandboxMetaPhoneID, from, from, wamid, time.Now().Unix())
	req, _ := http.NewRequest(http.MethodPost, s.web.URL()+"/webhook", bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(body, config.SandboxAppSecret))
	expectOK(t, req)
}

// expectOK sends req and fails unless it is answered 200.
func expectOK(t *testing.T, req *http.Request) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s answered %d", req.Method, req.URL.Path, resp.StatusCode)
	}
}

func sendsTo(f *fakegraph.Server, to string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Kind == fakegraph.KindSend && r.To == to {
			n++
		}
	}
	return n
}

// waitFor polls cond for up to 15 s and fails with what was awaited.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 15 s: %s", what)
		}
	}
}

// TestWebOnlyInstance_StoresAndTheWorkerInstanceAnswersAtOnce: an instance with RUN_WORKERS=false stores a
// customer's message and answers Meta, and sends nothing itself; an instance running the workers on the same
// PostgreSQL answers the customer within seconds although its sweeps are an hour apart, because the web-only
// instance's commit woke it. A reply queued on the web-only instance (a merchant's) wakes its outbox the same way.
func TestWebOnlyInstance_StoresAndTheWorkerInstanceAnswersAtOnce(t *testing.T) {
	s := startSplit(t)
	const customer = "15550007"
	s.postText(t, "wamid.split.1", customer)
	waitFor(t, "the worker instance answers (its sweep is an hour away: was it woken?)", func() bool {
		return sendsTo(s.workerGraph, customer) > 0
	})
	if n := sendsTo(s.webGraph, customer); n != 0 {
		t.Fatalf("the web-only instance sent %d messages itself", n)
	}

	// A merchant's status change on the web-only instance queues the customer's notice there; the worker sends it.
	ctx := context.Background()
	var reply models.OutboundMessage
	if err := s.store.DB(ctx).Where("to_wa_id = ?", customer).First(&reply).Error; err != nil {
		t.Fatalf("the bot's reply: %v", err)
	}
	order := models.Order{BusinessID: reply.BusinessID, CustomerID: reply.CustomerID, Currency: "USD",
		SourceKey: "wamid.split.order", Items: []models.OrderItem{{Name: "Tea", Quantity: 1, UnitPriceMinor: 250}}}
	if err := s.store.Tx(ctx, func(tx *repository.Store) error { return tx.CreateOrder(ctx, &order) }); err != nil {
		t.Fatal(err)
	}
	token, err := auth.New(s.store, cache.NewMemory(10), s.cfg.SessionKey(), apptest.Log()).CreateAPIToken(ctx, reply.BusinessID, "split")
	if err != nil {
		t.Fatal(err)
	}
	// The bot's replies go out 250 ms apart (the recipient gap), the outbox's alarm waking it for each: wait till
	// none is left, so that only the web-only instance's notify can wake the worker's outbox for the notice.
	waitFor(t, "the bot's replies all sent", func() bool {
		var queued int64
		if err := s.store.DB(ctx).Model(&models.OutboundMessage{}).Where("status IN ('queued', 'held')").Count(&queued).Error; err != nil {
			t.Fatal(err)
		}
		return queued == 0
	})
	time.Sleep(time.Second)
	before := sendsTo(s.workerGraph, customer)
	patch, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/api/v1/orders/%d", s.web.URL(), order.ID),
		strings.NewReader(`{"status":"confirmed"}`))
	patch.Header.Set("Authorization", "Bearer "+token)
	patch.Header.Set("Content-Type", "application/json")
	expectOK(t, patch)
	waitFor(t, "the merchant's message queued on the web-only instance is sent", func() bool {
		return sendsTo(s.workerGraph, customer) > before
	})
	if n := sendsTo(s.webGraph, customer); n != 0 {
		t.Fatalf("the web-only instance sent %d messages itself", n)
	}
}

// TestWebOnlyInstance_TheWorkerListensAgainAfterItsConnectionIsKilled: the workers' instance's listening connection
// is killed (a PostgreSQL restart, a proxy's idle cut); it connects again on its own and the next message a
// web-only instance stores is answered, although the worker's sweeps are an hour apart.
func TestWebOnlyInstance_TheWorkerListensAgainAfterItsConnectionIsKilled(t *testing.T) {
	s := startSplit(t)
	ctx := context.Background()
	listeners := func(kill bool) int64 {
		sel := "COUNT(*)"
		if kill {
			sel = "COUNT(pg_terminate_backend(pid))"
		}
		var n int64
		if err := s.store.DB(ctx).Raw(`SELECT ` + sel + ` FROM pg_stat_activity
			WHERE application_name = left('waorder listen ' || current_schema(), 63)`).Find(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "the worker listening", func() bool { return listeners(false) == 1 })
	if n := listeners(true); n != 1 {
		t.Fatalf("killed %d listening connections; want 1", n)
	}
	waitFor(t, "the worker gone from pg_stat_activity", func() bool { return listeners(false) == 0 })
	waitFor(t, "the worker listening again", func() bool { return listeners(false) == 1 })
	const customer = "15550008"
	s.postText(t, "wamid.split.2", customer)
	waitFor(t, "the worker instance answers after listening again", func() bool {
		return sendsTo(s.workerGraph, customer) > 0
	})
}
