package ordering_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

const (
	anaUser  = "BR.1502576394655843"
	anaPhone = "5511987654321"
)

// who is how a webhook names its sender: by phone, by business-scoped user id (with a username), or both.
type who struct{ phone, user string }

// body is one customer message as Meta sends it for w: from / from_user_id and the contact only carry what w has.
func (e *env) body(w who, wamid, typ, part string) []byte {
	contact := map[string]any{"profile": map[string]string{"name": "Ana", "username": "ana.lima"}}
	msg := fmt.Sprintf(`"id":%q,"timestamp":"%d","type":%q,%s`, wamid, time.Now().Unix(), typ, part)
	if w.phone != "" {
		contact["wa_id"] = w.phone
		msg = fmt.Sprintf(`"from":%q,`, w.phone) + msg
	}
	if w.user != "" {
		contact["user_id"] = w.user
		msg = fmt.Sprintf(`"from_user_id":%q,`, w.user) + msg
	}
	c, _ := json.Marshal(contact)
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"42"},
		"contacts":[%s],"messages":[{%s}]}}]}]}`, c, msg))
}

func (e *env) sendAs(t *testing.T, w who, typ, part string) string {
	t.Helper()
	e.mu.Lock()
	e.seq++
	wamid := fmt.Sprintf("wamid.ana.%d", e.seq)
	e.mu.Unlock()
	if err := e.ing.Accept(context.Background(), e.body(w, wamid, typ, part)); err != nil {
		t.Fatal(err)
	}
	e.waitHandled(t, wamid)
	return wamid
}

// addressed returns where the replies to wamid go, as "to:<phone>" or "recipient:<bsuid>".
func (e *env) addressed(t *testing.T, wamid string) []string {
	t.Helper()
	var rows []models.OutboundMessage
	e.store.DB(context.Background()).Where("idempotency_key LIKE ?", "in:"+wamid+":%").Order("id").Find(&rows)
	var out []string
	for _, r := range rows {
		var m whatsapp.OutgoingMessage
		if err := json.Unmarshal([]byte(r.Payload), &m); err != nil {
			t.Fatal(err)
		}
		if m.To != "" {
			out = append(out, "to:"+m.To)
		} else {
			out = append(out, "recipient:"+m.Recipient)
		}
	}
	return out
}

func (e *env) customers(t *testing.T) []models.Customer {
	t.Helper()
	var cs []models.Customer
	e.store.DB(context.Background()).Where("business_id = ?", e.biz.ID).Find(&cs)
	return cs
}

func TestBot_WholeChatOrderOfACustomerWithoutAPhoneNumber(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillBoth)
			ana := who{user: anaUser}
			w := e.sendAs(t, ana, "text", text("hello"))
			if r := e.replies(t, w); len(r) != 2 || !contains(r, "Tea") {
				t.Fatalf("greeting replies %v", r)
			}
			if to := e.addressed(t, w); len(to) != 2 || to[0] != "recipient:"+anaUser || to[1] != "recipient:"+anaUser {
				t.Fatalf("replies addressed %v, want the BSUID in recipient", to)
			}
			e.sendAs(t, ana, "interactive", listReply("p:cake"))
			e.sendAs(t, ana, "interactive", buttonReply("q:2"))
			e.sendAs(t, ana, "interactive", buttonReply("checkout"))
			e.sendAs(t, ana, "interactive", buttonReply("pickup"))
			w = e.sendAs(t, ana, "interactive", buttonReply("confirm"))
			if r := e.replies(t, w); !contains(r, "Order #1 is received (USD 8.00)") {
				t.Fatalf("placed %v", r)
			}
			got := e.orders(t)
			if len(got) != 1 || got[0].Customer == nil || got[0].Customer.UserID != anaUser || got[0].Customer.Phone != "" ||
				got[0].Customer.Username != "ana.lima" {
				t.Fatalf("orders %+v", got)
			}
		})
	}
}

// A customer who writes with phone and BSUID, then with one of them only (either way round, one after the other or
// both at once), keeps one customer row, one cart and one order history.
func TestBot_OneCustomerOneCartWhicheverIdTheyWriteWith(t *testing.T) {
	both, byUser, byPhone := who{anaPhone, anaUser}, who{user: anaUser}, who{phone: anaPhone}
	for _, be := range testutil.Backends() {
		for name, seq := range map[string][2]who{"phone then BSUID": {both, byUser}, "BSUID then phone": {byUser, both},
			"phone only then both": {byPhone, both}} {
			t.Run(be.Name+"/"+name, func(t *testing.T) {
				e := newEnv(t, be.Open(t), models.FulfillPickup)
				first, then := seq[0], seq[1]
				e.sendAs(t, first, "text", text("cake"))
				e.sendAs(t, then, "text", text("2"))
				w := e.sendAs(t, first, "interactive", buttonReply("checkout"))
				if r := e.replies(t, w); !contains(r, "2 × Cake") {
					t.Fatalf("cart lost between identifiers: %v", r)
				}
				e.sendAs(t, then, "interactive", buttonReply("confirm"))
				w = e.sendAs(t, first, "text", text("status"))
				if r := e.replies(t, w); !contains(r, "Order #1 (USD 8.00)") {
					t.Fatalf("history lost between identifiers: %v", r)
				}
				cs := e.customers(t)
				if len(cs) != 1 || cs[0].Phone != anaPhone || cs[0].UserID != anaUser {
					t.Fatalf("customers %+v", cs)
				}
				if to := e.addressed(t, w); len(to) == 0 || to[0] != "to:"+anaPhone {
					t.Fatalf("replies addressed %v, want the phone once known", to)
				}
			})
		}
	}
}

func TestBot_ConcurrentWebhooksOfANewCustomerByPhoneAndByBSUIDMakeOneCustomer(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillPickup)
			bodies := [][]byte{e.body(who{anaPhone, anaUser}, "wamid.c1", "text", text("hi")),
				e.body(who{user: anaUser}, "wamid.c2", "text", text("menu"))}
			var wg sync.WaitGroup
			for _, b := range bodies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := e.ing.Accept(context.Background(), b); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			e.waitHandled(t, "wamid.c1")
			e.waitHandled(t, "wamid.c2")
			cs := e.customers(t)
			if len(cs) != 1 || cs[0].Phone != anaPhone || cs[0].UserID != anaUser {
				t.Fatalf("customers %+v", cs)
			}
			var convs int64
			e.store.DB(context.Background()).Raw("SELECT COUNT(*) FROM conversations WHERE business_id = ?", e.biz.ID).Scan(&convs)
			if convs != 1 {
				t.Fatalf("conversations = %d, want 1", convs)
			}
		})
	}
}

func TestBot_DeliveryToACustomerWithoutPhoneAsksForAContactNumberWhenTheBusinessRequiresOne(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillDelivery)
			e.biz.RequireContactPhone = true
			if err := e.store.UpdateBusinessSettings(context.Background(), e.biz); err != nil {
				t.Fatal(err)
			}
			ana := who{user: anaUser}
			e.sendAs(t, ana, "text", text("cake"))
			e.sendAs(t, ana, "text", text("1"))
			e.sendAs(t, ana, "interactive", buttonReply("checkout"))
			w := e.sendAs(t, ana, "text", text("Rua A 1"))
			if r := e.replies(t, w); len(r) != 1 || !contains(r, "What number can the courier call") {
				t.Fatalf("after the address %v, want the contact question", r)
			}
			w = e.sendAs(t, ana, "text", text("call me maybe"))
			if r := e.replies(t, w); !contains(r, "doesn't look like a phone number") {
				t.Fatalf("bad number %v", r)
			}
			w = e.sendAs(t, ana, "text", text("+55 (11) 98765-4321"))
			if r := e.replies(t, w); !contains(r, "Deliver to: Rua A 1\nContact: +5511987654321") {
				t.Fatalf("confirm %v", r)
			}
			e.sendAs(t, ana, "interactive", buttonReply("confirm"))
			if got := e.orders(t); len(got) != 1 || got[0].ContactPhone != "+5511987654321" || got[0].Address != "Rua A 1" {
				t.Fatalf("orders %+v", got)
			}
			// A customer whose phone WhatsApp shares is not asked.
			bob := who{phone: "15550009"}
			e.sendAs(t, bob, "text", text("cake"))
			e.sendAs(t, bob, "text", text("1"))
			e.sendAs(t, bob, "interactive", buttonReply("checkout"))
			w = e.sendAs(t, bob, "text", text("Rua B 2"))
			if r := e.replies(t, w); !contains(r, "Please confirm your order") || contains(r, "Contact:") {
				t.Fatalf("customer with a phone: %v", r)
			}
		})
	}
}
