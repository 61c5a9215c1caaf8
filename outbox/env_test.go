package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

const token = "EAAG-test-token"

type env struct {
	store *repository.Store
	fake  *fakegraph.Server
	box   *secretbox.Box
	biz   models.Business
	phone models.PhoneNumber
	cust  models.Customer
	srv   *httptest.Server
}

func newEnv(t testing.TB, store *repository.Store, windowOpen bool) *env {
	t.Helper()
	ctx := context.Background()
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	e := &env{store: store, fake: fakegraph.New(), box: box}
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	e.biz = models.Business{Name: "Cafe"}
	if err := store.CreateBusiness(ctx, &e.biz); err != nil {
		t.Fatal(err)
	}
	sealed, _ := box.Seal(token)
	e.phone = models.PhoneNumber{BusinessID: e.biz.ID, PhoneNumberID: "555000", WABAID: "w", AccessTokenEnc: sealed, SendRatePerSec: 1000}
	if err := store.AddPhoneNumber(ctx, &e.phone); err != nil {
		t.Fatal(err)
	}
	e.cust = e.customer(t, "15550001", windowOpen)
	return e
}

func (e *env) customer(t testing.TB, waID string, windowOpen bool) models.Customer {
	t.Helper()
	at := time.Now().UTC()
	if !windowOpen {
		at = at.Add(-25 * time.Hour)
	}
	d := repository.Delivery{
		Customers: []models.Customer{{BusinessID: e.biz.ID, WaID: waID, Name: "Ann", LastInboundAt: &at}},
		Messages: []repository.InboundRow{{WaID: waID, Message: models.InboundMessage{BusinessID: e.biz.ID,
			PhoneNumberID: e.phone.ID, Wamid: "in." + waID + testutil.RandomHex(3), Type: "text", Payload: "{}", SentAt: at}}},
	}
	if _, err := e.store.StoreDeliveries(context.Background(), []repository.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := e.store.InboundMessages(context.Background(), e.biz.ID, 1)
	c, err := e.store.Customer(context.Background(), e.biz.ID, msgs[0].CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) outbox(t testing.TB, timeout time.Duration) *outbox.Outbox {
	client := whatsapp.NewClient(e.srv.URL, "v23.0", &http.Client{Timeout: timeout})
	o := outbox.New(e.store, client, e.box, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, 1000)
	o.BaseBackoff, o.MaxBackoff, o.Poll = time.Millisecond, 20*time.Millisecond, 20*time.Millisecond
	return o
}

func (e *env) run(t testing.TB, o *outbox.Outbox) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (e *env) enqueue(t testing.TB, c models.Customer, key, text string) models.OutboundMessage {
	t.Helper()
	msg, err := whatsapp.NewText(c.WaID, text, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(msg)
	m := models.OutboundMessage{BusinessID: e.biz.ID, PhoneNumberID: e.phone.ID, CustomerID: c.ID, ToWaID: c.WaID,
		Kind: "text", Payload: string(b), Summary: msg.Summary(), IdempotencyKey: key}
	created, err := e.store.EnqueueOutbound(context.Background(), &m)
	if err != nil || !created {
		t.Fatalf("enqueue %s: created=%v err=%v", key, created, err)
	}
	return m
}

func (e *env) get(t testing.TB, id int64) models.OutboundMessage {
	t.Helper()
	m, err := e.store.Outbound(context.Background(), e.biz.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sentBodies(f *fakegraph.Server) []string {
	var out []string
	for _, r := range f.Sent() {
		if r.Status == http.StatusOK {
			var m whatsapp.OutgoingMessage
			json.Unmarshal(r.Body, &m) //nolint:errcheck
			out = append(out, fmt.Sprintf("%s:%s", m.Type, m.Text()))
		}
	}
	return out
}
