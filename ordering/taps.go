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
		r.text(r.p.T("bot.ask_note"))
	case "keep":
		r.text(r.p.T("bot.order_stands"))
	case "confirm":
		if r.confirmable(t.sig) {
			r.place()
			return
		}
		r.stale(t.sig == r.st.PlacedSig && t.sig != "", r.p.T("bot.stale_not_ordered"))
	case "clear", "cancel":
		if len(r.st.Cart) > 0 && (t.sig == cartSig(r.st) || t.sig == "" && (r.st.Step == StepCart || r.st.Step == StepConfirm)) {
			r.reset()
			r.text(r.p.T("bot.cart_cleared"))
			r.menu(0)
			return
		}
		r.stale(t.sig == r.st.PlacedCart && t.sig != "", r.p.T("bot.stale_not_removed"))
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
		r.text(r.p.T("bot.already_placed"))
		return
	}
	r.text(what)
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
			r.text(r.p.T("bot.pick_again"))
			r.menu(r.st.Page)
			return
		}
		t.retailer = r.st.Pending
	} else if r.st.applied(t.tag) {
		r.text(r.p.T("bot.already_in_cart"))
		r.cart()
		return
	}
	r.add(t.retailer, t.n)
}

// askCancelOrder answers a typed "cancel order": the last order, with a button to cancel it while it is pending.
func (r *turn) askCancelOrder() {
	o := r.in.LastOrder
	if o == nil {
		r.text(r.p.T("bot.no_orders"))
		return
	}
	if o.Status != models.StatusPending {
		r.text(r.p.T("bot.cannot_cancel", "Number", o.Number, "Status", r.p.Status(string(o.Status))))
		return
	}
	r.buttons(r.p.T("bot.ask_cancel", "Number", o.Number, "Total", whatsapp.FormatMoney(o.TotalMinor, o.Currency)),
		whatsapp.Button{ID: fmt.Sprintf("co:%d", o.ID), Title: r.p.T("bot.yes_cancel_button")},
		whatsapp.Button{ID: "keep", Title: r.p.T("bot.keep_button")})
}

// cancelOrder cancels the customer's order the tapped id names, if it is still pending; the Bot applies it.
func (r *turn) cancelOrder(id int64) {
	o := r.in.Target
	switch {
	case o == nil || o.ID != id:
		r.text(r.p.T("bot.order_not_found"))
	case o.Status == models.StatusCancelled:
		r.text(r.p.T("bot.already_cancelled", "Number", o.Number))
	case o.Status != models.StatusPending:
		r.text(r.p.T("bot.cannot_cancel", "Number", o.Number, "Status", r.p.Status(string(o.Status))))
	default:
		r.cancel = o
		r.text(r.p.T("bot.cancelled", "Number", o.Number))
	}
}
