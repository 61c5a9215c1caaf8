package ordering

import (
	"fmt"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// maxNote bounds a customer's note to the kitchen.
const maxNote = 300

// tap does what a tapped button or row says, from the context its id carries (see ids.go), in any step.
func (r *turn) tap(t tap) {
	switch t.kind {
	case "p":
		r.pick(t.retailer)
	case "q":
		r.addQuantity(t)
	case "page":
		r.menu(t.n)
	case "more":
		r.menu(0)
	case "checkout":
		r.checkout()
	case "delivery", "pickup":
		if len(r.st.Cart) == 0 || r.biz.Fulfillment != models.FulfillBoth && string(r.biz.Fulfillment) != t.kind {
			r.checkout() // a stale button, or a way this business does not offer
			return
		}
		r.st.Fulfillment = t.kind
		if t.kind == "delivery" {
			r.askAddress()
		} else {
			r.confirm()
		}
	case "back":
		r.cart()
	case "note":
		if len(r.st.Cart) == 0 {
			r.cart()
			return
		}
		r.st.Step = StepNote
		r.text("Type your note for the kitchen (for example: no onions, ring the bell).")
	case "keep":
		r.text("Good, your order stands. Send *status* any time.")
	case "confirm":
		if r.confirmable(t.sig) {
			r.place()
			return
		}
		r.stale(t.sig == r.st.PlacedSig && t.sig != "", "nothing was ordered")
	case "clear", "cancel":
		if len(r.st.Cart) > 0 && (t.sig == cartSig(r.st) || t.sig == "" && (r.st.Step == StepCart || r.st.Step == StepConfirm)) {
			r.reset()
			r.text("Cart cleared. Send *menu* whenever you want to order.")
			r.menu(0)
			return
		}
		r.stale(t.sig == r.st.PlacedCart && t.sig != "", "nothing was removed")
	}
}

// confirmable reports whether a confirm tap names the order as it stands now: the same lines, way of handing over,
// address and note (a sig-less id, sent before ids carried one, only at the confirm step).
func (r *turn) confirmable(sig string) bool {
	ready := len(r.st.Cart) > 0 && r.st.Fulfillment != "" && (r.st.Fulfillment != "delivery" || r.st.Address != "")
	if sig == "" {
		return ready && r.st.Step == StepConfirm
	}
	return ready && sig == orderSig(r.st)
}

// stale answers a tap on a summary that no longer matches: what happened to it, and the cart as it is now.
func (r *turn) stale(placed bool, what string) {
	if placed {
		r.text("That order is already placed. Send *status* to follow it, or *cancel order* to call it off.")
		return
	}
	r.text(fmt.Sprintf("That message showed an older cart, so %s. Here is your cart now.", what))
	if r.st.Step == StepConfirm {
		r.confirm()
		return
	}
	r.cart()
}

// addQuantity adds n of the product the tapped question was about; the same question answered twice adds once.
func (r *turn) addQuantity(t tap) {
	if t.retailer == "" { // "q:<n>" from an older message: it meant the product being asked about then
		if r.st.Step != StepQuantity || r.st.Pending == "" {
			r.text("Please pick the item again from the menu.")
			r.menu(r.st.Page)
			return
		}
		t.retailer = r.st.Pending
	} else if r.st.applied(t.tag) {
		r.text("That's already in your cart.")
		r.cart()
		return
	}
	r.add(t.retailer, t.n)
}

// askCancelOrder answers a typed "cancel order": the last order, with a button to cancel it while it is pending.
func (r *turn) askCancelOrder() {
	o := r.in.LastOrder
	if o == nil {
		r.text("You have no orders yet. Send *menu* to order.")
		return
	}
	if o.Status != models.StatusPending {
		r.text(fmt.Sprintf("Order #%d is already *%s*, so it can't be cancelled here. Please write to us and we'll help.",
			o.Number, statusWords(o.Status)))
		return
	}
	r.buttons(fmt.Sprintf("Cancel order #%d (%s)?", o.Number, whatsapp.FormatMoney(o.TotalMinor, o.Currency)),
		whatsapp.Button{ID: fmt.Sprintf("co:%d", o.ID), Title: "Yes, cancel it"}, whatsapp.Button{ID: "keep", Title: "Keep it"})
}

// cancelOrder cancels the customer's order the tapped id names, if it is still pending; the Bot applies it.
func (r *turn) cancelOrder(id int64) {
	o := r.in.Target
	switch {
	case o == nil || o.ID != id:
		r.text("I can't find that order. Send *status* to see your last one.")
	case o.Status == models.StatusCancelled:
		r.text(fmt.Sprintf("Order #%d is already cancelled.", o.Number))
	case o.Status != models.StatusPending:
		r.text(fmt.Sprintf("Order #%d is already *%s*, so it can't be cancelled here. Please write to us and we'll help.",
			o.Number, statusWords(o.Status)))
	default:
		r.cancel = o
		r.text(fmt.Sprintf("Order #%d is cancelled. Send *menu* whenever you want to order again.", o.Number))
	}
}
