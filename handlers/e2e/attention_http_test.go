package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/app/apptest"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// failedReply makes the bot's first reply to a new customer fail at Meta for good (131026) and returns it once
// the outbox has failed it and sent the rest.
func (e *dashEnv) failedReply(t *testing.T, waID, name string) models.OutboundMessage {
	t.Helper()
	ctx := context.Background()
	e.settled(t)
	e.graph.Script(fakegraph.Undeliverable())
	e.webhook(t, e.textWebhook(waID, name, "hello"))
	var failed models.OutboundMessage
	dashEventually(t, 20*time.Second, "the reply failed at Meta", func() bool {
		list, err := e.store.OutboundNeedingAttention(ctx, e.biz.ID, 10)
		for _, m := range list {
			if err == nil && m.ToWaID == waID && m.Status == models.OutFailed {
				failed = m
				return true
			}
		}
		return false
	})
	e.settled(t)
	return failed
}

// heldReply queues a reply to a new customer who last wrote two days ago; with no template configured, the outbox
// holds it.
func (e *dashEnv) heldReply(t *testing.T, waID, name string) {
	t.Helper()
	ctx := context.Background()
	last := time.Now().Add(-48 * time.Hour).UTC()
	if _, err := e.store.StoreDeliveries(ctx, []repository.Delivery{{Customers: []models.Customer{
		{BusinessID: e.biz.ID, WaID: waID, Name: name, LastInboundAt: &last}}}}); err != nil {
		t.Fatal(err)
	}
	c, err := e.store.CustomerByWaID(ctx, e.biz.ID, waID)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := whatsapp.NewText(waID, "Your order is ready for pickup.", false)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(msg)
	if _, err := e.store.EnqueueOutbound(ctx, &models.OutboundMessage{BusinessID: e.biz.ID, PhoneNumberID: e.phone.ID,
		CustomerID: c.ID, ToWaID: waID, Kind: msg.Type, Payload: string(payload), Summary: msg.Summary(),
		IdempotencyKey: "held:" + waID}); err != nil {
		t.Fatal(err)
	}
	dashEventually(t, 20*time.Second, "the reply held", func() bool {
		n, err := e.store.OutboundCounts(ctx, e.biz.ID)
		return err == nil && n[models.OutHeld] > 0
	})
}

// settled waits until the outbox has nothing queued for the business.
func (e *dashEnv) settled(t *testing.T) {
	t.Helper()
	dashEventually(t, 20*time.Second, "the queue drained", func() bool {
		n, err := e.store.OutboundCounts(context.Background(), e.biz.ID)
		return err == nil && n[models.OutQueued] == 0
	})
}

// sentTo reports whether the fake Graph API accepted a message to waID since its last Reset.
func (e *dashEnv) sentTo(waID string) bool {
	for _, r := range e.graph.Sent() {
		if r.To == waID && r.MetaPhoneID == e.phone.MetaPhoneID && r.Status == http.StatusOK {
			return true
		}
	}
	return false
}

// The attention page lists a reply Meta refused with its reason; Retry queues it again and it is sent; another
// business's owner can neither see nor retry it.
func TestAttention_RetrySendsAFailedReplyOfItsBusinessOnly(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newDashEnv(t, be.Open(t))
			failed := e.failedReply(t, "351910000050", "Marta Reis")
			row := fmt.Sprintf(`id="reply-%d"`, failed.ID)
			retry := fmt.Sprintf("/attention/replies/%d/retry", failed.ID)

			c := e.login(t, e.email, e.password)
			page := c.get(t, "/attention")
			if !strings.Contains(page, row) || !strings.Contains(page, "Message Undeliverable") || !strings.Contains(page, "Marta Reis") {
				t.Fatalf("attention page lacks the failed reply with its reason and customer:\n%.3000s", page)
			}
			_, _, intruderEmail := seedBusiness(t, e.store, "Intruder Inc")
			intruder := e.login(t, intruderEmail, dashPassword)
			if page := intruder.get(t, "/attention"); strings.Contains(page, row) || strings.Contains(page, "Marta Reis") {
				t.Fatal("another business sees the reply")
			}
			if got := intruder.status(t, http.MethodPost, retry, url.Values{dashboard.CSRFField: {intruder.csrf}}); got != http.StatusNotFound {
				t.Fatalf("another business's retry: %d, want 404", got)
			}
			if got := c.status(t, http.MethodPost, retry, url.Values{}); got != http.StatusForbidden {
				t.Fatalf("retry without the CSRF token: %d, want 403", got)
			}
			if m, _ := e.store.Outbound(ctx, e.biz.ID, failed.ID); m.Status != models.OutFailed {
				t.Fatalf("refused retries changed the reply to %s", m.Status)
			}

			e.graph.Reset()
			if resp := c.post(t, retry, url.Values{dashboard.CSRFField: {c.csrf}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("retry: %d", resp.StatusCode)
			}
			dashEventually(t, 20*time.Second, "the retried reply at the Graph API", func() bool { return e.sentTo("351910000050") })
			dashEventually(t, 10*time.Second, "the reply recorded as sent", func() bool {
				m, err := e.store.Outbound(ctx, e.biz.ID, failed.ID)
				return err == nil && m.Status == models.OutSent && m.Wamid != nil
			})
			if page := c.get(t, "/attention"); strings.Contains(page, row) {
				t.Fatal("the sent reply is still listed")
			}
			if got := c.status(t, http.MethodPost, retry, url.Values{dashboard.CSRFField: {c.csrf}}); got != http.StatusNotFound {
				t.Fatalf("retrying a sent reply: %d, want 404", got)
			}
		})
	}
}

// heldRow returns the held reply to waID once the outbox has held it.
func (e *dashEnv) heldRow(t *testing.T, waID string) models.OutboundMessage {
	t.Helper()
	list, err := e.store.OutboundNeedingAttention(context.Background(), e.biz.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.ToWaID == waID && m.Status == models.OutHeld {
			return m
		}
	}
	t.Fatalf("no held reply to %s in %+v", waID, list)
	return models.OutboundMessage{}
}

// retried posts the reply's retry button and waits until the fake Graph API accepted it and it is recorded as sent.
func (e *dashEnv) retried(t *testing.T, c *dashClient, m models.OutboundMessage) {
	t.Helper()
	e.graph.Reset()
	if resp := c.post(t, fmt.Sprintf("/attention/replies/%d/retry", m.ID), url.Values{dashboard.CSRFField: {c.csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: %d", resp.StatusCode)
	}
	dashEventually(t, 20*time.Second, "the retried reply at the Graph API", func() bool { return e.sentTo(m.ToWaID) })
	dashEventually(t, 10*time.Second, "the retried reply recorded as sent", func() bool {
		got, err := e.store.Outbound(context.Background(), e.biz.ID, m.ID)
		return err == nil && got.Status == models.OutSent && got.Wamid != nil
	})
}

// The attention page lists a held reply with why it is held and when it expires; once the business has a template
// for closed windows, Retry sends it.
func TestAttention_HeldReplyShowsWhyAndWhenItExpiresAndRetrySendsIt(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newDashEnv(t, be.Open(t))
			e.heldReply(t, "351910000070", "Rita Sousa")
			held := e.heldRow(t, "351910000070")

			c := e.login(t, e.email, e.password)
			page := c.get(t, "/attention")
			row := fmt.Sprintf(`<tr id="reply-%d" data-status="held">`, held.ID)
			i := strings.Index(page, row)
			if i < 0 {
				t.Fatalf("attention page lacks the held reply:\n%.3000s", page)
			}
			tr := page[i : i+strings.Index(page[i:], "</tr>")]
			for _, want := range []string{"Rita Sousa", "outside 24h window, no template configured", "sent when the customer writes again; expires"} {
				if !strings.Contains(tr, want) {
					t.Fatalf("the held reply's row lacks %q:\n%s", want, tr)
				}
			}

			e.biz.WindowTemplate, e.biz.TemplateLanguage = "order_update", "en_US"
			if err := e.store.UpdateBusinessSettings(context.Background(), e.biz); err != nil {
				t.Fatal(err)
			}
			e.retried(t, c, held)
			if page := c.get(t, "/attention"); strings.Contains(page, row) {
				t.Fatal("the sent reply is still listed")
			}
		})
	}
}

// A reply held past HELD_MESSAGE_TTL expires; the merchant's Retry, once the customer has written again, sends it
// (the retry restarts the period) instead of the outbox finding it as old as ever and failing it again at once.
func TestAttention_RetrySendsAReplyThatExpired(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newDashEnv(t, be.Open(t))
			e.heldReply(t, "351910000071", "Tiago Lopes")
			held := e.heldRow(t, "351910000071")
			ttl := apptest.Config(t).HeldMessageTTL
			if err := e.store.DB(ctx).Exec("UPDATE outbound_messages SET created_at = ? WHERE id = ?",
				time.Now().UTC().Add(-2*ttl), held.ID).Error; err != nil {
				t.Fatal(err)
			}
			dashEventually(t, 30*time.Second, "the held reply expired", func() bool {
				m, err := e.store.Outbound(ctx, e.biz.ID, held.ID)
				return err == nil && m.Status == models.OutFailed && strings.HasPrefix(m.LastError, "expired")
			})
			c := e.login(t, e.email, e.password)
			if page := c.get(t, "/attention"); !strings.Contains(page, fmt.Sprintf(`id="reply-%d" data-status="failed"`, held.ID)) ||
				!strings.Contains(page, "expired: held longer than") {
				t.Fatalf("attention page lacks the expired reply with its reason:\n%.3000s", page)
			}
			e.customer(t, "351910000071", "Tiago Lopes") // the customer writes again: the window is open
			e.retried(t, c, held)
		})
	}
}

// A customer message the bot panics on, attempt after attempt, is given up: the attention page lists it under the
// messages the bot could not handle, with the reason, and the customer got the apology.
func TestAttention_MessageTheBotGaveUpOnShowsWithItsReason(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newDashEnvWith(t, be.Open(t), apptest.Log(), func(cfg *config.Config) { cfg.FaultTestPanicText = "boom" })
			e.webhook(t, e.textWebhook("351910000072", "Vera Cruz", "boom"))
			var m models.InboundMessage
			dashEventually(t, 20*time.Second, "the first attempt panicked", func() bool {
				msgs, err := e.store.InboundMessages(ctx, e.biz.ID, 10)
				if err != nil || len(msgs) == 0 || !strings.Contains(msgs[0].ProcessError, "panic") {
					return false
				}
				m = msgs[0]
				return true
			})
			// Skip the backoff between the attempts: the next is the processor's fifth and last.
			if err := e.store.DB(ctx).Exec("UPDATE inbound_messages SET attempts = 4 WHERE id = ? AND processed_at IS NULL",
				m.ID).Error; err != nil {
				t.Fatal(err)
			}
			dashEventually(t, 20*time.Second, "the message given up", func() bool {
				got, err := e.store.FailedInbound(ctx, e.biz.ID, 10)
				return err == nil && len(got) == 1 && got[0].ID == m.ID
			})
			dashEventually(t, 20*time.Second, "the apology at the Graph API", func() bool { return e.sentTo("351910000072") })

			c := e.login(t, e.email, e.password)
			page := c.get(t, "/attention")
			i, j := strings.Index(page, `<table id="failed-messages"`), strings.Index(page, fmt.Sprintf(`<tr id="message-%d">`, m.ID))
			if i < 0 || j < i {
				t.Fatalf("the given-up message is not under #failed-messages:\n%.4000s", page)
			}
			tr := page[j : j+strings.Index(page[j:], "</tr>")]
			for _, want := range []string{"Vera Cruz", "boom", "gave up after", "panic: fault suite"} {
				if !strings.Contains(tr, want) {
					t.Fatalf("the given-up message's row lacks %q:\n%s", want, tr)
				}
			}
		})
	}
}
