package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

const token = "EAAG-test-token"

// env is one business with one connected number, a fake Graph API behind a real HTTP server, and a database.
type env struct {
	store   *repository.Store
	fake    *fakegraph.Server
	box     *secretbox.Box
	biz     models.Business
	phone   models.PhoneNumber
	cust    models.Customer
	srv     *httptest.Server
	metrics *metrics.Metrics
}

func newEnv(t testing.TB, store *repository.Store, windowOpen bool, opts ...fakegraph.Option) *env {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: store, fake: fakegraph.New(opts...), box: box, metrics: metrics.New()}
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	e.biz = models.Business{Name: "Cafe"}
	if err := store.CreateBusiness(ctx, &e.biz); err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal(token)
	if err != nil {
		t.Fatal(err)
	}
	e.phone = models.PhoneNumber{BusinessID: e.biz.ID, MetaPhoneID: "555000", WABAID: "w", AccessTokenEnc: sealed, SendRatePerSec: 1000}
	if err := store.AddPhoneNumber(ctx, &e.phone); err != nil {
		t.Fatal(err)
	}
	e.cust = e.customer(t, "15550001", windowOpen)
	return e
}

// customer makes (or updates) a customer who wrote just now, or 25 hours ago when the window is to be closed.
func (e *env) customer(t testing.TB, waID string, windowOpen bool) models.Customer {
	t.Helper()
	ctx := context.Background()
	at := time.Now().UTC()
	if !windowOpen {
		at = at.Add(-25 * time.Hour)
	}
	d := repository.Delivery{
		Customers: []models.Customer{{BusinessID: e.biz.ID, WaID: waID, Name: "Ann", LastInboundAt: &at}},
		Messages: []repository.InboundRow{{WaID: waID, Message: models.InboundMessage{BusinessID: e.biz.ID,
			PhoneNumberID: e.phone.ID, Wamid: "in." + waID + "." + testutil.RandomHex(4), Type: "text", Payload: "{}", SentAt: at}}},
	}
	if _, err := e.store.StoreDeliveries(ctx, []repository.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	c, err := e.store.CustomerByWaID(ctx, e.biz.ID, waID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) setTemplate(t testing.TB, name string) {
	t.Helper()
	e.biz.WindowTemplate, e.biz.TemplateLanguage = name, "en_US"
	if err := e.store.UpdateBusinessSettings(context.Background(), e.biz); err != nil {
		t.Fatal(err)
	}
}

// outbox makes an outbox whose Graph API client gives up after timeout, with short backoffs and no pacing gap.
func (e *env) outbox(t testing.TB, timeout time.Duration) *outbox.Outbox {
	return e.outboxWithRate(t, timeout, 1000)
}

// outboxWithRate is outbox with the number's budget at rate messages/s.
func (e *env) outboxWithRate(t testing.TB, timeout time.Duration, rate int) *outbox.Outbox {
	client := whatsapp.NewClient(e.srv.URL, "v23.0", &http.Client{Timeout: timeout})
	o := outbox.New(e.store, client, e.box, slog.New(slog.NewTextHandler(io.Discard, nil)), e.metrics, rate)
	o.BaseBackoff, o.MaxBackoff, o.Poll = time.Millisecond, 20*time.Millisecond, 20*time.Millisecond
	o.PairPeriod, o.RecipientGap, o.SendTimeout = 50*time.Millisecond, 0, timeout
	return o
}

// run starts o until the test ends.
func (e *env) run(t testing.TB, o *outbox.Outbox) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// enqueue queues a text message whose body is text, and returns the row and the exact payload.
func (e *env) enqueue(t testing.TB, c models.Customer, key, text string) models.OutboundMessage {
	t.Helper()
	msg, err := whatsapp.NewText(c.WaID, text, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
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

func (e *env) waitStatus(t testing.TB, id int64, want models.OutboundStatus) models.OutboundMessage {
	t.Helper()
	eventually(t, "message "+string(want), func() bool { return e.get(t, id).Status == want })
	return e.get(t, id)
}

// sends counts the fake's send requests; accepted counts those it answered 200 with a wamid.
func (e *env) sends() (all, accepted int) {
	for _, r := range e.fake.Sent() {
		all++
		if r.WAMID != "" {
			accepted++
		}
	}
	return all, accepted
}

// texts lists the message text of each accepted send, in arrival order.
func (e *env) texts() []string {
	var out []string
	for _, r := range e.fake.Sent() {
		if r.WAMID != "" {
			var m whatsapp.OutgoingMessage
			json.Unmarshal(r.Body, &m) //nolint:errcheck
			out = append(out, m.Type+":"+m.Text())
		}
	}
	return out
}

// counter reads the outbox's send counter for result.
func (e *env) counter(result string) float64 {
	return e.counterOf("waorder_outbound_sends_total", "result", result)
}

// counterOf reads the counter name's series whose label is value.
func (e *env) counterOf(name, label, value string) float64 {
	mfs, _ := e.metrics.Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// eventually polls cond with a generous deadline: outcomes are asserted, never how fast they came.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	eventuallyFor(t, 30*time.Second, what, cond)
}

// eventuallyFor polls cond until within.
func eventuallyFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
