package outbox_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

const anaUser = "BR.1502576394655843"

// sentTo decodes who each accepted send went to, as Meta reads it.
func (e *env) sentTo(t *testing.T) []whatsapp.OutgoingMessage {
	t.Helper()
	var out []whatsapp.OutgoingMessage
	for _, r := range e.fake.Sent() {
		if r.WAMID == "" {
			continue
		}
		var m whatsapp.OutgoingMessage
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestOutbox_CustomerWithoutPhoneIsSentToByBSUIDInRecipient(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			ana := e.customer(t, anaUser, true)
			m := e.enqueue(t, ana, "k1", "Hello Ana")
			e.run(t, e.outbox(t, 5*time.Second))
			e.waitStatus(t, m.ID, models.OutSent)
			got := e.sentTo(t)
			if len(got) != 1 || got[0].To != "" || got[0].Recipient != anaUser {
				t.Fatalf("sends %+v, want recipient %s and no to", got, anaUser)
			}
		})
	}
}

// A message queued while only the BSUID was known goes to the phone number once a webhook brought it.
func TestOutbox_MessageQueuedBeforeThePhoneWasKnownGoesToThePhone(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), true)
			ana := e.customer(t, anaUser, true)
			m := e.enqueue(t, ana, "k1", "Your order is ready")
			at := time.Now().UTC()
			if _, err := e.store.StoreDeliveries(context.Background(), []repository.Delivery{{Customers: []models.Customer{{
				BusinessID: e.biz.ID, Phone: "5511987654321", UserID: anaUser, LastInboundAt: &at}}}}); err != nil {
				t.Fatal(err)
			}
			e.run(t, e.outbox(t, 5*time.Second))
			e.waitStatus(t, m.ID, models.OutSent)
			got := e.sentTo(t)
			if len(got) != 1 || got[0].To != "5511987654321" || got[0].Recipient != "" || got[0].Text() != "Your order is ready" {
				t.Fatalf("sends %+v, want to the phone", got)
			}
		})
	}
}

// Outside the window, the template goes to the BSUID too.
func TestOutbox_WindowTemplateOfACustomerWithoutPhoneGoesToTheBSUID(t *testing.T) {
	e := newEnv(t, testutil.SQLite(t), true)
	ana := e.customer(t, anaUser, false)
	e.setTemplate(t, "order_update")
	m := e.enqueue(t, ana, "k1", "Your order is ready")
	e.run(t, e.outbox(t, 5*time.Second))
	e.waitStatus(t, m.ID, models.OutSent)
	got := e.sentTo(t)
	if len(got) != 1 || got[0].Type != "template" || got[0].Recipient != anaUser || got[0].To != "" {
		t.Fatalf("sends %+v, want a template to the BSUID", got)
	}
}
