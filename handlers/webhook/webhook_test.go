package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers"
	"github.com/waorder/waorder/handlers/ops"
	"github.com/waorder/waorder/handlers/webhook"
	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

const (
	testSecret      = "test-app-secret"
	testVerifyToken = "verify-me"
	fixturePhoneID  = "106540352242922" // phone_number_id in whatsapp/testdata/webhooks
	fixtureWABA     = "102290129340398"
	pywaPhoneID     = "1122334455667" // phone_number_id in most peer-pywa cases
)

type memCache struct{}

func (memCache) Status() string { return "memory" }

type webhookEnv struct {
	app   *fiber.App
	store *repository.Store
	biz   models.Business
	m     *metrics.Metrics
}

func newWebhookEnv(t *testing.T, store *repository.Store, bodyLimit int) *webhookEnv {
	t.Helper()
	ctx := context.Background()
	b := models.Business{Name: "Fixture Cafe"}
	if err := store.CreateBusiness(ctx, &b); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{fixturePhoneID, pywaPhoneID} {
		p := models.PhoneNumber{BusinessID: b.ID, MetaPhoneID: id, WABAID: fixtureWABA, AccessTokenEnc: "x"}
		if err := store.AddPhoneNumber(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ing := ingest.New(store, log, ingest.Options{}, nil)
	t.Cleanup(ing.Close)
	m := metrics.New()
	app := handlers.NewApp(log, handlers.Options{BodyLimit: bodyLimit},
		&ops.Health{DB: store, Cache: memCache{}, Metrics: m},
		&webhook.Handler{AppSecret: testSecret, VerifyToken: testVerifyToken, Ingest: ing, Metrics: m, Log: log})
	return &webhookEnv{app: app, store: store, biz: b, m: m}
}

func (e *webhookEnv) post(t *testing.T, body []byte, signature string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (e *webhookEnv) count(t *testing.T, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := e.store.DB(context.Background()).Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "whatsapp", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhook_FixturesAreStoredWithWhatTheyCarry(t *testing.T) {
	type want struct {
		messages, statuses, events int64
		check                      string // SQL condition that must match one row of inbound_messages
	}
	fixtures := map[string]want{
		"text.json":                       {messages: 1, check: "type = 'text'"},
		"image.json":                      {messages: 1, check: "type = 'image'"},
		"button.json":                     {messages: 1, check: "type = 'button'"},
		"interactive_button_reply.json":   {messages: 1, check: "type = 'interactive'"},
		"interactive_list_reply.json":     {messages: 1, check: "type = 'interactive'"},
		"location.json":                   {messages: 1, check: "type = 'location'"},
		"order.json":                      {messages: 1, check: "type = 'order'"},
		"reaction.json":                   {messages: 1, check: "type = 'reaction'"},
		"unsupported.json":                {messages: 1, check: "type = 'unsupported'"},
		"batch_two_customers.json":        {messages: 2},
		"status_sent.json":                {statuses: 1},
		"status_read.json":                {statuses: 1},
		"status_failed_131047.json":       {statuses: 1},
		"system_user_changed_number.json": {messages: 1, check: "type = 'system'"},
		"account_update.json":             {events: 1},
		// A user with a username who shares no phone number: from_user_id, no from.
		"username_text.json":              {messages: 1, check: "type = 'text' AND customer_id IN (SELECT id FROM customers WHERE phone = '' AND username = 'ana.lima')"},
		"username_interactive_reply.json": {messages: 1, check: "type = 'interactive' AND customer_id IN (SELECT id FROM customers WHERE user_id = 'BR.1502576394655843')"},
		"username_order.json":             {messages: 1, check: "type = 'order' AND customer_id IN (SELECT id FROM customers WHERE user_id = 'BR.1502576394655843')"},
		"username_no_sender.json":         {messages: 1, check: "type = 'text' AND customer_id IN (SELECT id FROM customers WHERE user_id = 'BR.1502576394655843')"},
		"username_status.json":            {statuses: 1},
	}
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			for name, w := range fixtures {
				t.Run(name, func(t *testing.T) {
					e := newWebhookEnv(t, be.Open(t), 3<<20)
					body := readFixture(t, name)
					if code := e.post(t, body, whatsapp.Sign(body, testSecret)); code != http.StatusOK {
						t.Fatalf("status %d", code)
					}
					if got := e.count(t, "inbound_messages", ""); got != w.messages {
						t.Errorf("inbound messages = %d, want %d", got, w.messages)
					}
					if got := e.count(t, "message_statuses", ""); got != w.statuses {
						t.Errorf("statuses = %d, want %d", got, w.statuses)
					}
					if got := e.count(t, "webhook_events", "kind <> 'event'"); got != 0 {
						t.Errorf("%d events stored as unrouted/unparsed", got)
					}
					if w.events > 0 && e.count(t, "webhook_events", "kind = 'event'") != w.events {
						t.Errorf("events = %d, want %d", e.count(t, "webhook_events", "kind = 'event'"), w.events)
					}
					if w.check != "" && e.count(t, "inbound_messages", w.check+" AND business_id = ?", e.biz.ID) != 1 {
						t.Errorf("no message matches %s", w.check)
					}
				})
			}
		})
	}
}

func TestWebhook_FailedStatusKeepsTheErrorCode(t *testing.T) {
	e := newWebhookEnv(t, testutil.SQLite(t), 3<<20)
	body := readFixture(t, "status_failed_131047.json")
	e.post(t, body, whatsapp.Sign(body, testSecret))
	if e.count(t, "message_statuses", "status = 'failed' AND error_code = 131047") != 1 {
		t.Fatal("failed status with code 131047 not stored")
	}
}

func TestWebhook_OrderCustomersAndWindow(t *testing.T) {
	e := newWebhookEnv(t, testutil.Postgres(t), 3<<20)
	body := readFixture(t, "batch_two_customers.json")
	e.post(t, body, whatsapp.Sign(body, testSecret))
	if n := e.count(t, "customers", "business_id = ? AND last_inbound_at IS NOT NULL AND name <> ''", e.biz.ID); n != 2 {
		t.Fatalf("customers with name and window = %d, want 2", n)
	}
}

func TestWebhook_SignatureOverReserializedJSONIsRejected(t *testing.T) {
	e := newWebhookEnv(t, testutil.SQLite(t), 3<<20)
	raw := readFixture(t, "text.json")
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	reser, _ := json.Marshal(v)
	tests := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"signature of re-serialized JSON on the raw bytes", raw, whatsapp.Sign(reser, testSecret), http.StatusUnauthorized},
		{"missing signature", raw, "", http.StatusUnauthorized},
		{"wrong secret", raw, whatsapp.Sign(raw, "other"), http.StatusUnauthorized},
		{"sha1 prefix", raw, "sha1=" + strings.TrimPrefix(whatsapp.Sign(raw, testSecret), "sha256="), http.StatusUnauthorized},
		{"raw bytes", raw, whatsapp.Sign(raw, testSecret), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.count(t, "inbound_messages", "")
			if code := e.post(t, tt.body, tt.sig); code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			stored := e.count(t, "inbound_messages", "") - before
			if tt.want == http.StatusUnauthorized && stored != 0 {
				t.Fatalf("a rejected delivery stored %d rows", stored)
			}
		})
	}
}

func TestWebhook_DuplicateDeliveryStoresOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newWebhookEnv(t, be.Open(t), 3<<20)
			for _, name := range []string{"batch_two_customers.json", "order.json", "status_read.json"} {
				body := readFixture(t, name)
				sig := whatsapp.Sign(body, testSecret)
				var wg sync.WaitGroup
				codes := make(chan int, 5)
				for range 5 {
					wg.Add(1)
					go func() { defer wg.Done(); codes <- e.post(t, body, sig) }()
				}
				wg.Wait()
				close(codes)
				for c := range codes {
					if c != http.StatusOK {
						t.Fatalf("%s: a duplicate got %d, want 200", name, c)
					}
				}
			}
			if got := e.count(t, "inbound_messages", ""); got != 3 {
				t.Fatalf("inbound messages = %d, want 3", got)
			}
			if got := e.count(t, "message_statuses", ""); got != 1 {
				t.Fatalf("statuses = %d, want 1", got)
			}
			if got := e.count(t, "customers", ""); got != 2 {
				t.Fatalf("customers = %d, want 2", got)
			}
		})
	}
}

func TestWebhook_Verification(t *testing.T) {
	e := newWebhookEnv(t, testutil.SQLite(t), 3<<20)
	tests := []struct {
		query string
		code  int
		body  string
	}{
		{"hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", 200, "1158201444"},
		{"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", 403, ""},
		{"hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1", 403, ""},
		{"hub.challenge=1", 403, ""},
	}
	for _, tt := range tests {
		resp, err := e.app.Test(httptest.NewRequest(http.MethodGet, "/webhook?"+tt.query, nil))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.code || (tt.body != "" && string(b) != tt.body) {
			t.Errorf("%s: %d %q, want %d %q", tt.query, resp.StatusCode, b, tt.code, tt.body)
		}
		if tt.code == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("challenge content type %q", resp.Header.Get("Content-Type"))
		}
	}
}

func TestWebhook_OversizedBodyIs413AndNothingStored(t *testing.T) {
	e := newWebhookEnv(t, testutil.SQLite(t), 64<<10)
	// A real listener: the limit is enforced while reading the request, which app.Test bypasses.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln) //nolint:errcheck
	t.Cleanup(func() { e.app.Shutdown() })
	body := bytes.Repeat([]byte(" "), 70<<10)
	body = append(body, readFixture(t, "text.json")...)
	// The server answers 413 from the headers and closes without reading the rest: a client still writing the body
	// may get the connection reset before it reads that answer. Only such a reset is tried again, a few times.
	var resp *http.Response
	for attempt := 1; ; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/webhook", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(body, testSecret))
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ECONNRESET) || attempt == 5 {
			t.Fatal(err)
		}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if e.count(t, "inbound_messages", "") != 0 {
		t.Fatal("an oversized body was stored")
	}
}

func TestWebhook_DatabaseDownIs503(t *testing.T) {
	store := testutil.Postgres(t)
	e := newWebhookEnv(t, store, 3<<20)
	body := readFixture(t, "text.json")
	store.Close()
	if code := e.post(t, body, whatsapp.Sign(body, testSecret)); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", code)
	}
	resp, _ := e.app.Test(httptest.NewRequest(http.MethodGet, "/health", nil))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("health with the database down: %d, want 503", resp.StatusCode)
	}
}

func TestWebhook_NotUnderstoodIsStoredRawWith200(t *testing.T) {
	e := newWebhookEnv(t, testutil.SQLite(t), 3<<20)
	tests := []struct{ name, body, kind string }{
		{"not json", `this is not json`, models.EventKindUnparsed},
		{"unknown phone number", strings.ReplaceAll(string(readFixture(t, "text.json")), fixturePhoneID, "999"), models.EventKindUnrouted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if code := e.post(t, body, whatsapp.Sign(body, testSecret)); code != http.StatusOK {
				t.Fatalf("status %d, want 200", code)
			}
			if e.count(t, "webhook_events", "kind = ? AND reason <> ''", tt.kind) != 1 {
				t.Fatalf("no %s event with a reason stored", tt.kind)
			}
		})
	}
}

// TestWebhook_PeerPayloadsAreAllAccepted sends every one of the 74 payloads from pywa's test suite.
func TestWebhook_PeerPayloadsAreAllAccepted(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newWebhookEnv(t, be.Open(t), 3<<20)
			files, _ := filepath.Glob(filepath.Join("..", "..", "whatsapp", "testdata", "peer-pywa", "*.json"))
			sort.Strings(files)
			cases := 0
			for _, f := range files {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var byCase map[string]json.RawMessage
				if err := json.Unmarshal(raw, &byCase); err != nil {
					t.Fatal(err)
				}
				for name, body := range byCase {
					cases++
					before := e.count(t, "inbound_messages", "") + e.count(t, "message_statuses", "") + e.count(t, "webhook_events", "")
					if code := e.post(t, body, whatsapp.Sign(body, testSecret)); code != http.StatusOK {
						t.Errorf("%s/%s: status %d", filepath.Base(f), name, code)
					}
					after := e.count(t, "inbound_messages", "") + e.count(t, "message_statuses", "") + e.count(t, "webhook_events", "")
					// Every case differs from the others, so every one must leave a row (a reused wamid with other
					// content is kept as a conflict event, not dropped as a duplicate).
					if after == before {
						t.Errorf("%s/%s: nothing stored", filepath.Base(f), name)
					}
				}
			}
			if cases != 74 {
				t.Fatalf("sent %d peer payloads, want 74", cases)
			}
		})
	}
}

func TestWebhook_LatencyIsObservedForEveryResultAndRoute(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			store := be.Open(t)
			e := newWebhookEnv(t, store, 3<<20)
			body := readFixture(t, "text.json")
			e.post(t, body, whatsapp.Sign(body, "wrong secret"))
			e.post(t, body, whatsapp.Sign(body, testSecret))
			store.Close() // the next delivery finds the database gone: 503
			e.post(t, body, whatsapp.Sign(body, testSecret))
			fams, err := e.m.Registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]uint64{}
			var routed uint64
			for _, f := range fams {
				for _, s := range f.GetMetric() {
					switch {
					case f.GetName() == "waorder_webhook_seconds":
						got[s.GetLabel()[0].GetValue()] = s.GetHistogram().GetSampleCount()
					case f.GetName() == "waorder_http_seconds" && s.GetLabel()[0].GetValue() == "/webhook":
						routed = s.GetHistogram().GetSampleCount()
					}
				}
			}
			if got["unauthorized"] != 1 || got["stored"] != 1 || got["unavailable"] != 1 {
				t.Fatalf("waorder_webhook_seconds samples by result: %v, want one each of unauthorized, stored, unavailable", got)
			}
			if routed != 3 {
				t.Fatalf("waorder_http_seconds{route=\"/webhook\"} has %d samples, want 3", routed)
			}
		})
	}
}
