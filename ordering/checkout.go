package ordering

// Checkout: fulfillment, address, contact number, confirmation and the order placed, from the chat or from a
// WhatsApp catalog cart.

import (
	"fmt"
	"strings"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

func (r *turn) checkout() {
	if len(r.st.Cart) == 0 {
		r.cart()
		return
	}
	if t := r.st.Total(); t < r.biz.MinOrderMinor {
		r.text(r.p.T("bot.min_order", "Min", whatsapp.FormatMoney(r.biz.MinOrderMinor, r.biz.Currency), "Total", whatsapp.FormatMoney(t, r.biz.Currency)))
		r.menu(0)
		return
	}
	switch r.biz.Fulfillment {
	case models.FulfillDelivery:
		r.st.Fulfillment = "delivery"
		r.askAddress()
	case models.FulfillPickup:
		r.st.Fulfillment = "pickup"
		r.confirm()
	default:
		r.st.Step = StepFulfillment
		r.buttons(r.p.T("bot.delivery_or_pickup"), whatsapp.Button{ID: "delivery", Title: r.p.T("bot.delivery_button")},
			whatsapp.Button{ID: "pickup", Title: r.p.T("bot.pickup_button")})
	}
}

func (r *turn) askAddress() {
	r.st.Step = StepAddress
	r.text(r.p.T("bot.ask_address"))
}

func (r *turn) address() {
	if l := r.in.Location; l != nil {
		lat, lng := l.Latitude, l.Longitude
		r.st.Latitude, r.st.Longitude = &lat, &lng
		r.st.Address = strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), ", "))
		if r.st.Address == "" {
			r.st.Address = r.p.T("bot.location", "Lat", fmt.Sprintf("%.5f", lat), "Lng", fmt.Sprintf("%.5f", lng))
		}
	} else {
		r.st.Address = whatsapp.TruncateRunes(strings.TrimSpace(r.in.Text), 300)
		r.st.Latitude, r.st.Longitude = nil, nil
	}
	if r.biz.RequireContactPhone && !r.in.HasPhone && r.st.Contact == "" {
		r.askContact()
		return
	}
	r.confirm()
}

// askContact asks a customer whose phone number WhatsApp does not share (a username user) for one the courier
// can call, when the business wants one for deliveries.
func (r *turn) askContact() {
	r.st.Step = StepContact
	r.text(r.p.T("bot.ask_contact"))
}

func (r *turn) contact() {
	n, ok := contactNumber(r.in.Text)
	if !ok {
		r.text(r.p.T("bot.bad_contact"))
		return
	}
	r.st.Contact = n
	r.confirm()
}

// contactNumber accepts a typed phone number with its usual separators and returns it as "+digits" (E.164 has 8
// to 15 digits with the country code).
func contactNumber(text string) (string, bool) {
	var digits strings.Builder
	for i, c := range strings.TrimSpace(text) {
		switch {
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		case c == '+' && i == 0, c == ' ', c == '-', c == '.', c == '(', c == ')':
		default:
			return "", false
		}
	}
	if n := digits.Len(); n < 8 || n > 15 {
		return "", false
	}
	return "+" + digits.String(), true
}

func (r *turn) confirm() {
	r.st.Step = StepConfirm
	where := r.p.T("bot.pickup_at", "Shop", r.biz.Name)
	if r.st.Fulfillment == "delivery" {
		where = r.p.T("bot.deliver_to", "Address", r.st.Address)
		if r.st.Contact != "" {
			where += "\n" + r.p.T("bot.contact", "Phone", r.st.Contact)
		}
	}
	if r.st.Note != "" {
		where += "\n" + r.p.T("bot.note", "Note", r.st.Note)
	}
	r.buttons(r.p.T("bot.confirm_order")+"\n"+r.summary()+"\n"+where,
		whatsapp.Button{ID: "confirm:" + orderSig(r.st), Title: r.p.T("bot.confirm_button")},
		whatsapp.Button{ID: "note", Title: r.p.T("bot.note_button")},
		whatsapp.Button{ID: "cancel:" + cartSig(r.st), Title: r.p.T("bot.cancel_button")})
}

// place turns the confirmed cart into an order; the Bot numbers it and sends the confirmation. The catalog may have
// changed since the cart was filled: then the customer sees what changed and confirms again.
func (r *turn) place() {
	if notes := r.refresh(); len(notes) > 0 {
		r.text(strings.Join(notes, "\n"))
		switch {
		case len(r.st.Cart) == 0:
			r.reset()
			r.menu(0)
		case r.st.Total() < r.biz.MinOrderMinor:
			r.checkout()
		default:
			r.confirm()
		}
		return
	}
	d := &OrderDraft{Fulfillment: models.Fulfillment(r.st.Fulfillment), Address: r.st.Address, Contact: r.st.Contact,
		Latitude: r.st.Latitude, Longitude: r.st.Longitude, Note: r.st.Note, DeliveryFeeMinor: r.deliveryFee(),
		Source: orDefault(r.st.Source, "chat"), SourceKey: orDefault(r.st.SourceKey, r.in.Wamid)}
	for _, l := range r.st.Cart {
		pid := l.ProductID
		d.Items = append(d.Items, models.OrderItem{ProductID: &pid, RetailerID: l.RetailerID, Name: l.Name,
			Quantity: l.Quantity, UnitPriceMinor: l.UnitPrice})
	}
	r.draft = d
	placed, placedCart := orderSig(r.st), cartSig(r.st)
	r.reset()
	r.st.PlacedSig, r.st.PlacedCart = placed, placedCart
}

// deliveryFee is the fee for the cart as it stands: the business's flat fee for deliveries, free from its
// threshold on.
func (r *turn) deliveryFee() int64 {
	if r.st.Fulfillment != "delivery" {
		return 0
	}
	return models.DeliveryFee(r.biz.DeliveryFeeMinor, r.biz.FreeDeliveryOverMinor, r.st.Total())
}

// refresh re-reads the cart against the catalog: items no longer sold or available leave it, and prices become
// today's. It returns what changed, for the customer.
func (r *turn) refresh() []string {
	var notes []string
	kept := make([]CartLine, 0, len(r.st.Cart))
	for _, l := range r.st.Cart {
		p, ok := r.product(l.RetailerID)
		if !ok || !p.Available {
			notes = append(notes, r.p.T("bot.taken_out", "Item", l.Name))
			continue
		}
		if p.PriceMinor != l.UnitPrice {
			notes = append(notes, r.p.T("bot.price_changed", "Item", p.Name, "Price", whatsapp.FormatMoney(p.PriceMinor, r.biz.Currency),
				"Old", whatsapp.FormatMoney(l.UnitPrice, r.biz.Currency)))
			l.UnitPrice = p.PriceMinor
		}
		l.ProductID, l.Name = p.ID, p.Name
		kept = append(kept, l)
	}
	r.st.Cart = kept
	return notes
}

// catalogOrder takes a cart sent from the WhatsApp catalog: our prices, unknown items reported.
func (r *turn) catalogOrder() {
	r.st = State{Step: StepCart, Source: "catalog", SourceKey: r.in.Wamid, Applied: r.st.Applied, PlacedSig: r.st.PlacedSig,
		PlacedCart: r.st.PlacedCart, Note: whatsapp.TruncateRunes(strings.TrimSpace(r.in.OrderNote), maxNote)}
	var notes []string
	for _, l := range r.in.Order {
		p, ok := r.product(l.RetailerID)
		switch {
		case !ok:
			notes = append(notes, r.p.T("bot.catalog_unknown", "Item", l.RetailerID))
			continue
		case !p.Available:
			notes = append(notes, r.p.T("bot.catalog_unavailable", "Item", p.Name))
			continue
		case l.UnitPrice != p.PriceMinor || (l.Currency != "" && l.Currency != p.Currency):
			notes = append(notes, r.p.T("bot.price_changed", "Item", p.Name, "Price", whatsapp.FormatMoney(p.PriceMinor, p.Currency),
				"Old", whatsapp.FormatMoney(l.UnitPrice, orDefault(l.Currency, p.Currency))))
		}
		q := max(1, min(l.Quantity, maxQuantity))
		r.st.Cart = append(r.st.Cart, CartLine{RetailerID: p.RetailerID, ProductID: p.ID, Name: p.Name, Quantity: q, UnitPrice: p.PriceMinor})
	}
	if len(notes) > 0 {
		r.text(strings.Join(notes, "\n"))
	}
	if len(r.st.Cart) == 0 {
		r.reset()
		r.text(r.p.T("bot.catalog_none"))
		r.menu(0)
		return
	}
	r.checkout()
}

// placed is the confirmation of a stored order: its number, lines, total and where it will be handed over, with a
// button to cancel it while it is pending (a separate message when the summary is too long for buttons).
func placed(p locale.Printer, to string, o models.Order, bizName string) []whatsapp.OutgoingMessage {
	var b strings.Builder
	b.WriteString(p.T("bot.placed", "Number", o.Number, "Total", whatsapp.FormatMoney(o.TotalMinor, o.Currency)) + "\n")
	for _, it := range o.Items {
		fmt.Fprintf(&b, "%d × %s — %s\n", it.Quantity, it.Name, whatsapp.FormatMoney(it.LineTotal(), o.Currency))
	}
	if o.DeliveryFeeMinor > 0 {
		b.WriteString(p.T("bot.delivery_fee", "Fee", whatsapp.FormatMoney(o.DeliveryFeeMinor, o.Currency)) + "\n")
	}
	if o.Fulfillment == models.FulfillDelivery {
		b.WriteString(p.T("bot.deliver_to", "Address", o.Address) + "\n")
	} else {
		b.WriteString(p.T("bot.pickup_at", "Shop", bizName) + "\n")
	}
	if o.Note != "" {
		b.WriteString(p.T("bot.note", "Note", o.Note) + "\n")
	}
	b.WriteString(p.T("bot.placed_footer"))
	cancel := []whatsapp.Button{{ID: fmt.Sprintf("co:%d", o.ID), Title: p.T("bot.cancel_order_button")}}
	if m, err := whatsapp.NewReplyButtons(to, b.String(), cancel); err == nil {
		return []whatsapp.OutgoingMessage{m}
	}
	text := mustText(to, whatsapp.TruncateRunes(b.String(), whatsapp.MaxTextBody))
	if m, err := whatsapp.NewReplyButtons(to, p.T("bot.placed_cancel_hint", "Number", o.Number), cancel); err == nil {
		return []whatsapp.OutgoingMessage{text, m}
	}
	return []whatsapp.OutgoingMessage{text}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
