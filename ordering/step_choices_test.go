package ordering

import (
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// texts renders replies for matching.
func texts(st State, out []whatsapp.OutgoingMessage, d *OrderDraft) (State, string, *OrderDraft) {
	var b strings.Builder
	for _, m := range out {
		b.WriteString(m.Text())
		b.WriteString("\n")
	}
	return st, b.String(), d
}

// Typed words work where a customer would tap a button, by step.
func TestStep_TypedChoicesAtEachStep(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	cart := []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 2, UnitPrice: 100}}
	tests := []struct {
		name, text string
		st         State
		wantStep   string
		want       string
		order      bool
	}{
		{"checkout from cart", "Checkout", State{Step: StepCart, Cart: cart}, StepFulfillment, "Delivery or pickup?", false},
		{"add more", "add more", State{Step: StepCart, Cart: cart}, StepMenu, "View menu", false},
		{"pickup", "pick up", State{Step: StepFulfillment, Cart: cart}, StepConfirm, "Pickup at Casa", false},
		{"delivery", "Delivery", State{Step: StepFulfillment, Cart: cart}, StepAddress, "Where should we deliver?", false},
		{"yes confirms", "yes!", State{Step: StepConfirm, Cart: cart, Fulfillment: "pickup"}, StepMenu, "", true},
		{"no goes back to the cart", "no", State{Step: StepConfirm, Cart: cart, Fulfillment: "pickup"}, StepCart, "Your cart", false},
		{"yes outside confirm is not understood", "yes", State{Step: StepCart, Cart: cart}, StepCart, "didn't get that", false},
		{"checkout with an empty cart", "checkout", State{Step: StepMenu}, StepMenu, "Your cart is empty", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out, d := texts(step(tt.st, Input{To: "1", Wamid: "w", Text: tt.text}, catalog(3), biz, time.Now()))
			if st.Step != tt.wantStep || !strings.Contains(out, tt.want) || (d != nil) != tt.order {
				t.Fatalf("step %q, order %v, replies %q", st.Step, d != nil, out)
			}
		})
	}
}

// A business that only picks up (or only delivers) never gets the other way, even from a stale button.
func TestStep_FulfillmentFollowsTheBusinessSetting(t *testing.T) {
	cart := []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 2, UnitPrice: 100}}
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillPickup}
	st, out, _ := texts(step(State{Step: StepCart, Cart: cart}, Input{To: "1", ReplyID: "delivery"}, catalog(3), biz, time.Now()))
	if st.Step != StepConfirm || st.Fulfillment != "pickup" || !strings.Contains(out, "Pickup at Casa") {
		t.Fatalf("pickup-only business: step %q %q, %q", st.Step, st.Fulfillment, out)
	}
}

// The catalog changing between the cart and the confirm tap: the customer sees it and confirms again.
func TestStep_ConfirmRechecksTheCatalog(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth, MinOrderMinor: 150}
	cart := []CartLine{
		{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 1, UnitPrice: 100},
		{RetailerID: "sku1", ProductID: 2, Name: "Item 1", Quantity: 2, UnitPrice: 100},
	}
	st0 := State{Step: StepConfirm, Cart: cart, Fulfillment: "pickup"}
	cat := catalog(3)
	cat[0].Available = false
	cat[1].PriceMinor = 150
	st, out, d := texts(step(st0, Input{To: "1", ReplyID: "confirm"}, cat, biz, time.Now()))
	if d != nil || st.Step != StepConfirm || len(st.Cart) != 1 || st.Cart[0].UnitPrice != 150 ||
		!strings.Contains(out, "Item 0 is not available any more") || !strings.Contains(out, "Item 1 is now USD 1.50, not USD 1.00") ||
		!strings.Contains(out, "Total: USD 3.00") {
		t.Fatalf("step %q cart %+v order %v: %q", st.Step, st.Cart, d != nil, out)
	}
	if st0.Cart[1].UnitPrice != 100 || len(st0.Cart) != 2 {
		t.Fatal("Step changed the caller's state")
	}
	if _, _, d = step(st, Input{To: "1", ReplyID: "confirm"}, cat, biz, time.Now()); d == nil || models.ItemsTotal(d.Items) != 300 {
		t.Fatalf("second confirm: %+v", d)
	}
	cat[1].Available = false
	st, out, d = texts(step(st0, Input{To: "1", ReplyID: "confirm"}, cat, biz, time.Now()))
	if d != nil || st.Step != StepMenu || len(st.Cart) != 0 || !strings.Contains(out, "View menu") {
		t.Fatalf("nothing left: step %q cart %+v: %q", st.Step, st.Cart, out)
	}
}

func TestStep_MessagesTheBotCannotRead(t *testing.T) {
	biz := Business{Name: "Casa", Currency: "USD", Fulfillment: models.FulfillBoth}
	cart := []CartLine{{RetailerID: "sku0", ProductID: 1, Name: "Item 0", Quantity: 1, UnitPrice: 100}}
	tests := []struct {
		other string
		st    State
		want  string // "" = no reply
	}{
		{"reaction", State{}, ""},
		{"system", State{Step: StepCart, Cart: cart}, ""},
		{"revoke", State{Step: StepCart, Cart: cart}, ""},
		{"edit", State{Step: StepCart, Cart: cart}, ""},
		{"audio", State{Step: StepAddress, Cart: cart}, "can only read text"},
		{"image", State{}, "Welcome to Casa"},
		{"request_welcome", State{}, "Welcome to Casa"},
	}
	for _, tt := range tests {
		st, out, _ := texts(step(tt.st, Input{To: "1", Other: tt.other}, catalog(3), biz, time.Now()))
		if tt.want == "" && (out != "" || st.Step != tt.st.Step) || tt.want != "" && !strings.Contains(out, tt.want) {
			t.Errorf("%s at %q: step %q, replies %q", tt.other, tt.st.Step, st.Step, out)
		}
	}
}
