package ordering_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/ordering"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// buttons returns the ids of the reply buttons the bot sent in answer to wamid.
func (e *env) buttons(t *testing.T, wamid string) []string {
	t.Helper()
	var rows []models.OutboundMessage
	e.store.DB(context.Background()).Where("idempotency_key LIKE ?", "in:"+wamid+":%").Order("id").Find(&rows)
	out := make([]whatsapp.OutgoingMessage, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal([]byte(r.Payload), &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return ordering.ButtonIDs(out)
}

// Taps on older messages, delivered late or twice, through the real stores: a quantity adds its product once, an
// old Clear leaves a newer cart alone, a confirm places one order and, tapped again, says it is placed.
func TestBot_LateAndRepeatedTapsDoWhatTheySay(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillPickup)
			c := "15550101"
			w := e.send(t, c, "interactive", listReply("p:tea")) // a row tapped with no conversation yet
			two := ordering.IDWith(t, e.buttons(t, w), "q:tea:2:")
			w = e.send(t, c, "interactive", buttonReply(two))
			clearTea := ordering.IDWith(t, e.buttons(t, w), "clear:")
			e.send(t, c, "text", text("cake"))
			w = e.send(t, c, "interactive", buttonReply(two)) // the same "2" again, late
			if r := e.replies(t, w); !contains(r, "already in your cart") || !contains(r, "2 × Tea") || !contains(r, "Total: USD 5.00") {
				t.Fatalf("repeated quantity tap %v", r)
			}
			e.send(t, c, "text", text("1"))
			w = e.send(t, c, "interactive", buttonReply(clearTea))
			if r := e.replies(t, w); !contains(r, "nothing was removed") || !contains(r, "1 × Cake") {
				t.Fatalf("old clear tap %v", r)
			}
			w = e.send(t, c, "interactive", buttonReply("checkout"))
			confirm := ordering.IDWith(t, e.buttons(t, w), "confirm:")
			e.send(t, c, "interactive", buttonReply(confirm))
			w = e.send(t, c, "interactive", buttonReply(confirm))
			if r := e.replies(t, w); !contains(r, "already placed") {
				t.Fatalf("second confirm %v", r)
			}
			got := e.orders(t)
			if len(got) != 1 || got[0].TotalMinor != 900 || len(got[0].Items) != 2 {
				t.Fatalf("orders %+v", got)
			}
		})
	}
}

// The customer cancels a pending order from its confirmation; another customer's tap on that id does nothing, and an
// order the merchant accepted can no longer be cancelled from the chat.
func TestBot_CustomerCancelsAPendingOrder(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newEnv(t, be.Open(t), models.FulfillPickup)
			c := "15550102"
			e.send(t, c, "text", text("cake"))
			e.send(t, c, "text", text("2"))
			w := e.send(t, c, "interactive", buttonReply("checkout"))
			w = e.send(t, c, "interactive", buttonReply(ordering.IDWith(t, e.buttons(t, w), "confirm:")))
			co := ordering.IDWith(t, e.buttons(t, w), "co:")

			w = e.send(t, "15550999", "interactive", buttonReply(co))
			if r := e.replies(t, w); !contains(r, "can't find that order") || e.orders(t)[0].Status != models.StatusPending {
				t.Fatalf("someone else's tap %v", r)
			}
			w = e.send(t, c, "interactive", buttonReply(co))
			if r := e.replies(t, w); !contains(r, "Order #1 is cancelled") || e.orders(t)[0].Status != models.StatusCancelled {
				t.Fatalf("cancel %v, %s", r, e.orders(t)[0].Status)
			}

			e.send(t, c, "text", text("cake"))
			e.send(t, c, "text", text("1"))
			w = e.send(t, c, "interactive", buttonReply("checkout"))
			e.send(t, c, "interactive", buttonReply(ordering.IDWith(t, e.buttons(t, w), "confirm:")))
			second := e.orders(t)[0]
			if _, err := e.store.UpdateOrderStatus(context.Background(), e.biz.ID, second.ID, models.StatusConfirmed, "merchant"); err != nil {
				t.Fatal(err)
			}
			w = e.send(t, c, "text", text("cancel order"))
			if r := e.replies(t, w); !contains(r, "already *confirmed*") || e.orders(t)[0].Status != models.StatusConfirmed {
				t.Fatalf("cancel after accepting %v", r)
			}
		})
	}
}
