package ordering_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
)

// receivedFor waits until a message the fake Graph API got for waID contains want, and returns that message.
func (e *graphEnv) receivedFor(t *testing.T, waID, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var seen []string
		for _, r := range e.fake.Sent() {
			var m whatsapp.OutgoingMessage
			if r.To != waID || json.Unmarshal(r.Body, &m) != nil {
				continue
			}
			if strings.Contains(m.Text(), want) {
				return m.Text()
			}
			seen = append(seen, m.Text())
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message to %s with %q among:\n%s", waID, want, strings.Join(seen, "\n---\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// orderOf is the customer waID's one stored order.
func (e *graphEnv) orderOf(t *testing.T, waID string) models.Order {
	t.Helper()
	cust, err := e.store.CustomerByWaID(context.Background(), e.biz.ID, waID)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.Order
	for _, o := range e.orders(t) {
		if o.CustomerID == cust.ID {
			out = append(out, o)
		}
	}
	if len(out) != 1 {
		t.Fatalf("customer %s has %d orders, want 1", waID, len(out))
	}
	return out[0]
}

// A delivery order with a note typed by the customer: the flat fee is added below the free-delivery amount and not
// from it, and the fee, the total and the note reach the customer before and after confirming and are stored.
func TestBot_DeliveryOrderWithANoteChargesTheFlatFeeOrNothingAboveTheThreshold(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newGraphEnvFor(t, be.Open(t), models.Business{Fulfillment: models.FulfillBoth, DeliveryFeeMinor: 200,
				FreeDeliveryOverMinor: 1000})
			deliver := func(waID, product, quantity string) {
				e.send(t, waID, "text", text(product))
				e.send(t, waID, "text", text(quantity))
				e.send(t, waID, "interactive", buttonReply("checkout"))
				e.send(t, waID, "interactive", buttonReply("delivery"))
				e.send(t, waID, "location", `"location":{"latitude":38.7,"longitude":-9.1,"name":"Home","address":"Rua A 1"}`)
			}

			const small = "15550101" // 2 × Tea = USD 5.00: below USD 10.00, the fee applies
			deliver(small, "tea", "2")
			confirm := e.receivedFor(t, small, "Please confirm your order")
			if !strings.Contains(confirm, "Delivery — USD 2.00") || !strings.Contains(confirm, "Total: USD 7.00") {
				t.Fatalf("confirmation without the fee:\n%s", confirm)
			}
			e.send(t, small, "interactive", buttonReply("note"))
			e.send(t, small, "text", text("  No onions, ring twice  "))
			e.receivedFor(t, small, "Note: No onions, ring twice")
			e.send(t, small, "interactive", buttonReply("confirm"))
			placed := e.receivedFor(t, small, "Order #1 is received")
			for _, want := range []string{"(USD 7.00)", "Delivery — USD 2.00", "Deliver to: Home, Rua A 1", "Note: No onions, ring twice"} {
				if !strings.Contains(placed, want) {
					t.Fatalf("placed message without %q:\n%s", want, placed)
				}
			}
			o := e.orderOf(t, small)
			if o.Note != "No onions, ring twice" || o.DeliveryFeeMinor != 200 || o.TotalMinor != 700 || o.Fulfillment != models.FulfillDelivery {
				t.Fatalf("stored order: note %q, fee %d, total %d, %s", o.Note, o.DeliveryFeeMinor, o.TotalMinor, o.Fulfillment)
			}

			const big = "15550102" // 3 × Cake = USD 12.00: from USD 10.00 on, delivery is free
			deliver(big, "cake", "3")
			confirm = e.receivedFor(t, big, "Please confirm your order")
			if !strings.Contains(confirm, "Delivery — free") || !strings.Contains(confirm, "Total: USD 12.00") {
				t.Fatalf("confirmation of a free delivery:\n%s", confirm)
			}
			e.send(t, big, "interactive", buttonReply("confirm"))
			placed = e.receivedFor(t, big, "is received")
			if !strings.Contains(placed, "(USD 12.00)") || strings.Contains(placed, "Delivery — USD") {
				t.Fatalf("placed message of a free delivery:\n%s", placed)
			}
			if o := e.orderOf(t, big); o.DeliveryFeeMinor != 0 || o.TotalMinor != 1200 || o.Note != "" {
				t.Fatalf("stored order: note %q, fee %d, total %d", o.Note, o.DeliveryFeeMinor, o.TotalMinor)
			}
		})
	}
}

// A cart sent from the WhatsApp catalog with a text: the text is the order's note, shown before confirming, stored,
// and repeated in the confirmation.
func TestBot_NativeCatalogOrderTextBecomesTheOrdersNote(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newGraphEnv(t, be.Open(t), "en")
			const c = "15550103"
			e.send(t, c, "order", `"order":{"catalog_id":"1","text":"Extra napkins, please","product_items":[
				{"product_retailer_id":"tea","quantity":2,"item_price":2.50,"currency":"USD"}]}`)
			if confirm := e.receivedFor(t, c, "Please confirm your order"); !strings.Contains(confirm, "Note: Extra napkins, please") {
				t.Fatalf("confirmation without the cart's text:\n%s", confirm)
			}
			e.send(t, c, "interactive", buttonReply("confirm"))
			if placed := e.receivedFor(t, c, "is received"); !strings.Contains(placed, "Note: Extra napkins, please") {
				t.Fatalf("placed message without the note:\n%s", placed)
			}
			if o := e.orderOf(t, c); o.Note != "Extra napkins, please" || o.Source != "catalog" || o.TotalMinor != 500 {
				t.Fatalf("stored order: note %q, source %s, total %d", o.Note, o.Source, o.TotalMinor)
			}
		})
	}
}
