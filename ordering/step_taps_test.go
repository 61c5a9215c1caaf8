package ordering

import (
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// buttonIDs lists the ids of the reply buttons in out.
func buttonIDs(out []whatsapp.OutgoingMessage) []string {
	var ids []string
	for _, m := range out {
		if m.Interactive != nil && m.Interactive.Type == "button" {
			for _, b := range m.Interactive.Action.Buttons {
				ids = append(ids, b.Reply.ID)
			}
		}
	}
	return ids
}

func idWith(t *testing.T, ids []string, prefix string) string {
	t.Helper()
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			return id
		}
	}
	t.Fatalf("no id %q… in %v", prefix, ids)
	return ""
}

// A quantity button carries its product: tapped late, in another step, it adds that product; tapped twice, once.
func TestStep_LateQuantityTapAddsItsProductOnce(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	cat := catalog(3)
	_, out, _ := step(State{Step: StepMenu}, Input{To: "1", Wamid: "w1", ReplyID: "p:sku1"}, cat, biz, time.Now())
	two := idWith(t, buttonIDs(out), "q:sku1:2:")
	// Meanwhile the customer typed another item and a quantity, and is now at the confirm step.
	st := State{Step: StepConfirm, Fulfillment: "pickup", Cart: []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 1, UnitPrice: 100}}}
	st, text, _ := texts(step(st, Input{To: "1", Wamid: "w2", ReplyID: two, Text: "2"}, cat, biz, time.Now()))
	if len(st.Cart) != 2 || st.Cart[1].RetailerID != "sku1" || st.Cart[1].Quantity != 2 || !strings.Contains(text, "2 × Item 1") {
		t.Fatalf("late tap: cart %+v, %q", st.Cart, text)
	}
	st, text, _ = texts(step(st, Input{To: "1", Wamid: "w3", ReplyID: two, Text: "2"}, cat, biz, time.Now()))
	if len(st.Cart) != 2 || st.Cart[1].Quantity != 2 || !strings.Contains(text, "already in your cart") {
		t.Fatalf("repeated tap: cart %+v, %q", st.Cart, text)
	}
}

// Clear and Cancel empty only the cart their message showed, and a button's title never acts as a typed command.
func TestStep_OldClearOrCancelTapNeverEmptiesANewerCart(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	cat := catalog(3)
	st := State{Step: StepMenu}
	st, _, _ = step(st, Input{To: "1", Wamid: "w1", ReplyID: "p:sku0"}, cat, biz, time.Now())
	st, out, _ := step(st, Input{To: "1", Wamid: "w2", Text: "1"}, cat, biz, time.Now())
	clear := idWith(t, buttonIDs(out), "clear:")
	st, _, _ = step(st, Input{To: "1", Wamid: "w3", ReplyID: "p:sku2"}, cat, biz, time.Now())
	st, out, _ = step(st, Input{To: "1", Wamid: "w4", Text: "1"}, cat, biz, time.Now())
	for _, tap := range []Input{{ReplyID: clear, Text: "Clear"}, {ReplyID: "cancel:" + strings.TrimPrefix(clear, "clear:"), Text: "Cancel"}} {
		tap.To, tap.Wamid = "1", "w5"
		got, text, _ := texts(step(st, tap, cat, biz, time.Now()))
		if len(got.Cart) != 2 || !strings.Contains(text, "older cart, so nothing was removed") {
			t.Fatalf("%s: cart %+v, %q", tap.ReplyID, got.Cart, text)
		}
	}
	got, text, _ := texts(step(st, Input{To: "1", Wamid: "w6", ReplyID: idWith(t, buttonIDs(out), "clear:"), Text: "Clear"}, cat, biz, time.Now()))
	if len(got.Cart) != 0 || !strings.Contains(text, "Cart cleared") {
		t.Fatalf("current clear: cart %+v, %q", got.Cart, text)
	}
}

// Confirm places exactly what its message showed: from any step while that is still the order; never twice; and
// a summary that is out of date orders nothing.
func TestStep_ConfirmTapPlacesWhatItShowedOnce(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	cat := catalog(3)
	st := State{Step: StepCart, Cart: []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 2, UnitPrice: 100}}}
	st, out, _ := step(st, Input{To: "1", Wamid: "w1", ReplyID: "pickup"}, cat, biz, time.Now())
	confirm := idWith(t, buttonIDs(out), "confirm:")

	browsing, _, _ := step(st, Input{To: "1", Wamid: "w2", ReplyID: "more"}, cat, biz, time.Now()) // looks at the menu again
	if _, _, d := step(browsing, Input{To: "1", Wamid: "w3", ReplyID: confirm, Text: "Confirm"}, cat, biz, time.Now()); d == nil || len(d.Items) != 1 || d.Items[0].Quantity != 2 {
		t.Fatalf("confirm while browsing: %+v", d)
	}

	changed, _, _ := step(st, Input{To: "1", Wamid: "w4", ReplyID: "p:sku1"}, cat, biz, time.Now())
	changed, _, _ = step(changed, Input{To: "1", Wamid: "w5", Text: "1"}, cat, biz, time.Now())
	if got, text, d := texts(step(changed, Input{To: "1", Wamid: "w6", ReplyID: confirm}, cat, biz, time.Now())); d != nil || len(got.Cart) != 2 ||
		!strings.Contains(text, "nothing was ordered") {
		t.Fatalf("confirm of an older summary: order %v, %q", d, text)
	}

	done, _, d := step(st, Input{To: "1", Wamid: "w7", ReplyID: confirm}, cat, biz, time.Now())
	if d == nil {
		t.Fatal("confirm did not place the order")
	}
	if _, text, d := texts(step(done, Input{To: "1", Wamid: "w8", ReplyID: confirm}, cat, biz, time.Now())); d != nil || !strings.Contains(text, "already placed") {
		t.Fatalf("second confirm: order %v, %q", d, text)
	}
}

// Every id the bot sends, tapped in every step, does something and never answers "I didn't get that".
func TestStep_EveryValidTapIsUnderstoodInEveryStep(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	cat := catalog(12)
	cart := []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 1, UnitPrice: 100}}
	full := State{Cart: cart, Fulfillment: "delivery", Address: "Rua A 1"}
	ids := []string{"p:sku3", "q:sku3:2:abcd1234", "page:1", "more", "checkout", "delivery", "pickup", "back", "note", "keep",
		"clear:" + cartSig(full), "cancel:" + cartSig(full), "confirm:" + orderSig(full), "clear:0000000000", "confirm:0000000000"}
	for _, stp := range []string{StepNew, StepMenu, StepQuantity, StepCart, StepFulfillment, StepAddress, StepConfirm, StepNote} {
		for _, withCart := range []bool{false, true} {
			st := State{Step: stp, Pending: "sku1"}
			if withCart {
				st.Cart, st.Fulfillment, st.Address = cart, full.Fulfillment, full.Address
			}
			for _, id := range ids {
				_, text, d := texts(step(st, Input{To: "1", Wamid: "w", ReplyID: id, Text: "x"}, cat, biz, time.Now()))
				if text == "" && d == nil || strings.Contains(text, "didn't get that") {
					t.Errorf("%s tapped at step %q (cart %v): %q", id, stp, withCart, text)
				}
			}
		}
	}
}

// A note typed after "Add a note" shows on the confirmation and goes with the order; a catalog cart's text is its note.
func TestStep_NotesFromTheChatAndFromACatalogCart(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillPickup}
	cat := catalog(3)
	st := State{Step: StepConfirm, Fulfillment: "pickup", Cart: []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 1, UnitPrice: 100}}}
	st, _, _ = step(st, Input{To: "1", Wamid: "w1", ReplyID: "note"}, cat, biz, time.Now())
	st, out, _ := step(st, Input{To: "1", Wamid: "w2", Text: "  no onions please "}, cat, biz, time.Now())
	if _, text, _ := texts(st, out, nil); st.Step != StepConfirm || !strings.Contains(text, "Note: no onions please") {
		t.Fatalf("after the note: step %q, %q", st.Step, text)
	}
	if _, _, d := step(st, Input{To: "1", Wamid: "w3", ReplyID: idWith(t, buttonIDs(out), "confirm:")}, cat, biz, time.Now()); d == nil || d.Note != "no onions please" {
		t.Fatalf("order note: %+v", d)
	}
	st, _, _ = step(State{}, Input{To: "1", Wamid: "w4", OrderNote: "ring twice", Order: []OrderLine{{RetailerID: "sku1", Quantity: 1, UnitPrice: 100}}}, cat, biz, time.Now())
	if st.Note != "ring twice" {
		t.Fatalf("catalog cart note: %q", st.Note)
	}
}

// Deliveries cost the flat fee below the free-delivery amount, nothing from it on; pickups never pay it.
func TestStep_DeliveryFeeUntilTheFreeAmount(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth, DeliveryFeeMinor: 250, FreeDeliveryOverMinor: 1000}
	cat := catalog(3)
	line := func(q int) []CartLine {
		return []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: q, UnitPrice: 100}}
	}
	tests := []struct {
		name    string
		st      State
		fee     int64
		summary string
	}{
		{"below the free amount", State{Step: StepConfirm, Fulfillment: "delivery", Address: "A", Cart: line(3)}, 250, "Delivery — USD 2.50\n*Total: USD 5.50*"},
		{"from the free amount", State{Step: StepConfirm, Fulfillment: "delivery", Address: "A", Cart: line(10)}, 0, "Delivery — free\n*Total: USD 10.00*"},
		{"pickup", State{Step: StepConfirm, Fulfillment: "pickup", Cart: line(3)}, 0, "*Total: USD 3.00*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, d := step(tt.st, Input{To: "1", Wamid: "w", ReplyID: "confirm:" + orderSig(tt.st)}, cat, biz, time.Now()); d == nil ||
				d.DeliveryFeeMinor != tt.fee {
				t.Fatalf("draft %+v", d)
			}
			before := tt.st // the step before the confirmation: the address for a delivery, the choice for a pickup
			in := Input{To: "1", Wamid: "w", ReplyID: "pickup"}
			if before.Fulfillment == "delivery" {
				before.Step, in = StepAddress, Input{To: "1", Wamid: "w", Text: "A"}
			}
			_, text, _ := texts(step(before, in, cat, biz, time.Now()))
			if !strings.Contains(text, tt.summary) {
				t.Fatalf("summary %q, want %q", text, tt.summary)
			}
		})
	}
}
