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
