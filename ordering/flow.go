package ordering

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// Meta allows ten rows in all in a list: a menu that fits shows them all; a longer one pages, keeping two rows
// for "More…" and "Back".
const (
	maxRows = whatsapp.MaxListRows
	perPage = maxRows - 2
)

func (r *turn) available() []models.Product {
	var out []models.Product
	for _, p := range r.cat {
		if p.Available {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Category < out[j].Category })
	return out
}

// menu shows page n of the available products as a list, grouped by category.
func (r *turn) menu(n int) {
	r.st.Step = StepMenu
	items := r.available()
	if len(items) == 0 {
		r.text("Our menu is empty right now, sorry. Please check back later.")
		return
	}
	size := maxRows
	if len(items) > maxRows {
		size = perPage
	}
	pages := (len(items) + size - 1) / size
	n = max(0, min(n, pages-1))
	r.st.Page = n
	page := items[n*size : min(len(items), (n+1)*size)]
	var sections []whatsapp.Section
	for _, p := range page {
		cat := whatsapp.TruncateRunes(orDefault(p.Category, "Menu"), whatsapp.MaxSectionTitle)
		if len(sections) == 0 || sections[len(sections)-1].Title != cat {
			sections = append(sections, whatsapp.Section{Title: cat})
		}
		s := &sections[len(sections)-1]
		s.Rows = append(s.Rows, whatsapp.Row{ID: "p:" + p.RetailerID, Title: whatsapp.TruncateRunes(p.Name, whatsapp.MaxRowTitle),
			Description: whatsapp.TruncateRunes(whatsapp.FormatMoney(p.PriceMinor, p.Currency)+" · "+p.Description, whatsapp.MaxRowDescription)})
	}
	var nav []whatsapp.Row
	if n+1 < pages {
		nav = append(nav, whatsapp.Row{ID: "page:" + strconv.Itoa(n+1), Title: "More…", Description: fmt.Sprintf("Page %d of %d", n+2, pages)})
	}
	if n > 0 {
		nav = append(nav, whatsapp.Row{ID: "page:" + strconv.Itoa(n-1), Title: "Back", Description: fmt.Sprintf("Page %d of %d", n, pages)})
	}
	if len(nav) > 0 {
		sections = append(sections, whatsapp.Section{Title: "More", Rows: nav})
	}
	body := "What would you like? Tap *View menu* and pick an item."
	m, err := whatsapp.NewList(r.in.To, body, "View menu", sections)
	if err != nil {
		r.text(body)
		return
	}
	r.out = append(r.out, m)
}

func (r *turn) pick(retailerID string) {
	p, ok := r.product(retailerID)
	if !ok || !p.Available {
		name := retailerID
		if ok {
			name = p.Name
		}
		r.text(fmt.Sprintf("Sorry, %s is not available right now.", name))
		r.menu(r.st.Page)
		return
	}
	r.st.Step, r.st.Pending = StepQuantity, p.RetailerID
	tag := questionTag(r.in.Wamid)
	r.buttons(fmt.Sprintf("%s — %s each. How many? Tap or type a number.", p.Name, whatsapp.FormatMoney(p.PriceMinor, p.Currency)),
		whatsapp.Button{ID: quantityID(p.RetailerID, 1, tag), Title: "1"}, whatsapp.Button{ID: quantityID(p.RetailerID, 2, tag), Title: "2"},
		whatsapp.Button{ID: quantityID(p.RetailerID, 3, tag), Title: "3"})
}

var numberWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10}

// parseQuantity reads a typed quantity ("2", "2x", "two").
func parseQuantity(text string) (int, bool) {
	t := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "x")))
	if n, err := strconv.Atoi(t); err == nil {
		return n, true
	}
	n, ok := numberWords[t]
	return n, ok
}

// quantity takes a typed number for the product being asked about.
func (r *turn) quantity() {
	n, ok := parseQuantity(r.in.Text)
	if !ok {
		r.text(fmt.Sprintf("Please send a number from 1 to %d.", maxQuantity))
		return
	}
	r.add(r.st.Pending, n)
}

// add puts n of a product in the cart (merged with a line already there) and shows the cart.
func (r *turn) add(retailerID string, n int) {
	if n < 1 || n > maxQuantity {
		r.text(fmt.Sprintf("Please send a number from 1 to %d.", maxQuantity))
		return
	}
	p, found := r.product(retailerID)
	if !found || !p.Available {
		r.text("Sorry, that item is not available any more.")
		r.menu(r.st.Page)
		return
	}
	merged := false
	for i := range r.st.Cart {
		if r.st.Cart[i].RetailerID == p.RetailerID {
			r.st.Cart[i].Quantity = min(maxQuantity, r.st.Cart[i].Quantity+n)
			merged = true
		}
	}
	if !merged {
		r.st.Cart = append(r.st.Cart, CartLine{RetailerID: p.RetailerID, ProductID: p.ID, Name: p.Name, Quantity: n, UnitPrice: p.PriceMinor})
	}
	if r.st.Pending == p.RetailerID {
		r.st.Pending = ""
	}
	r.cart()
}

func (r *turn) summary() string {
	var b strings.Builder
	for _, l := range r.st.Cart {
		fmt.Fprintf(&b, "%d × %s — %s\n", l.Quantity, l.Name, whatsapp.FormatMoney(int64(l.Quantity)*l.UnitPrice, r.biz.Currency))
	}
	fee := r.deliveryFee()
	if r.st.Fulfillment == "delivery" && r.biz.DeliveryFeeMinor > 0 {
		if fee == 0 {
			b.WriteString("Delivery — free\n")
		} else {
			fmt.Fprintf(&b, "Delivery — %s\n", whatsapp.FormatMoney(fee, r.biz.Currency))
		}
	}
	fmt.Fprintf(&b, "*Total: %s*", whatsapp.FormatMoney(r.st.Total()+fee, r.biz.Currency))
	return b.String()
}

func (r *turn) cart() {
	if len(r.st.Cart) == 0 {
		r.text("Your cart is empty.")
		r.menu(0)
		return
	}
	r.st.Step = StepCart
	r.buttons("Your cart:\n"+r.summary(),
		whatsapp.Button{ID: "checkout", Title: "Checkout"}, whatsapp.Button{ID: "more", Title: "Add more"},
		whatsapp.Button{ID: "clear:" + cartSig(r.st), Title: "Clear"})
}

func (r *turn) checkout() {
	if len(r.st.Cart) == 0 {
		r.cart()
		return
	}
	if t := r.st.Total(); t < r.biz.MinOrderMinor {
		r.text(fmt.Sprintf("The minimum order is %s; your cart is %s. Add a little more?",
			whatsapp.FormatMoney(r.biz.MinOrderMinor, r.biz.Currency), whatsapp.FormatMoney(t, r.biz.Currency)))
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
		r.buttons("Delivery or pickup?", whatsapp.Button{ID: "delivery", Title: "Delivery"}, whatsapp.Button{ID: "pickup", Title: "Pickup"})
	}
}

func (r *turn) askAddress() {
	r.st.Step = StepAddress
	r.text("Where should we deliver? Type your address or share your location 📍.")
}

func (r *turn) address() {
	if l := r.in.Location; l != nil {
		lat, lng := l.Latitude, l.Longitude
		r.st.Latitude, r.st.Longitude = &lat, &lng
		r.st.Address = strings.TrimSpace(strings.Join(nonEmpty(l.Name, l.Address), ", "))
		if r.st.Address == "" {
			r.st.Address = fmt.Sprintf("Location %.5f, %.5f", lat, lng)
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
	r.text("What number can the courier call for this delivery? Type it with the country code, e.g. +44 20 7946 0958.")
}

func (r *turn) contact() {
	n, ok := contactNumber(r.in.Text)
	if !ok {
		r.text("That doesn't look like a phone number. Please type it with the country code, e.g. +44 20 7946 0958.")
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
	where := "Pickup at " + r.biz.Name
	if r.st.Fulfillment == "delivery" {
		where = "Deliver to: " + r.st.Address
		if r.st.Contact != "" {
			where += "\nContact: " + r.st.Contact
		}
	}
	if r.st.Note != "" {
		where += "\nNote: " + r.st.Note
	}
	r.buttons("Please confirm your order:\n"+r.summary()+"\n"+where,
		whatsapp.Button{ID: "confirm:" + orderSig(r.st), Title: "Confirm"}, whatsapp.Button{ID: "note", Title: "Add a note"},
		whatsapp.Button{ID: "cancel:" + cartSig(r.st), Title: "Cancel"})
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
			notes = append(notes, fmt.Sprintf("Sorry, %s is not available any more; it was taken out of your cart.", l.Name))
			continue
		}
		if p.PriceMinor != l.UnitPrice {
			notes = append(notes, fmt.Sprintf("%s is now %s, not %s.", p.Name, whatsapp.FormatMoney(p.PriceMinor, r.biz.Currency),
				whatsapp.FormatMoney(l.UnitPrice, r.biz.Currency)))
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
			notes = append(notes, fmt.Sprintf("We don't sell item %q any more; it was left out.", l.RetailerID))
			continue
		case !p.Available:
			notes = append(notes, fmt.Sprintf("%s is not available right now; it was left out.", p.Name))
			continue
		case l.UnitPrice != p.PriceMinor || (l.Currency != "" && l.Currency != p.Currency):
			notes = append(notes, fmt.Sprintf("%s is now %s, not %s.", p.Name, whatsapp.FormatMoney(p.PriceMinor, p.Currency),
				whatsapp.FormatMoney(l.UnitPrice, orDefault(l.Currency, p.Currency))))
		}
		q := max(1, min(l.Quantity, maxQuantity))
		r.st.Cart = append(r.st.Cart, CartLine{RetailerID: p.RetailerID, ProductID: p.ID, Name: p.Name, Quantity: q, UnitPrice: p.PriceMinor})
	}
	if len(notes) > 0 {
		r.text(strings.Join(notes, "\n"))
	}
	if len(r.st.Cart) == 0 {
		r.reset()
		r.text("None of those items can be ordered right now.")
		r.menu(0)
		return
	}
	r.checkout()
}

// placed is the confirmation of a stored order: its number, lines, total and where it will be handed over, with a
// button to cancel it while it is pending (a separate message when the summary is too long for buttons).
func placed(to string, o models.Order, bizName string) []whatsapp.OutgoingMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "Thank you! Order #%d is received (%s):\n", o.Number, whatsapp.FormatMoney(o.TotalMinor, o.Currency))
	for _, it := range o.Items {
		fmt.Fprintf(&b, "%d × %s — %s\n", it.Quantity, it.Name, whatsapp.FormatMoney(it.LineTotal(), o.Currency))
	}
	if o.DeliveryFeeMinor > 0 {
		fmt.Fprintf(&b, "Delivery — %s\n", whatsapp.FormatMoney(o.DeliveryFeeMinor, o.Currency))
	}
	if o.Fulfillment == models.FulfillDelivery {
		fmt.Fprintf(&b, "Deliver to: %s\n", o.Address)
	} else {
		fmt.Fprintf(&b, "Pickup at %s\n", bizName)
	}
	if o.Note != "" {
		fmt.Fprintf(&b, "Note: %s\n", o.Note)
	}
	b.WriteString("We'll message you as it moves along. Send *status* any time.")
	cancel := []whatsapp.Button{{ID: fmt.Sprintf("co:%d", o.ID), Title: "Cancel order"}}
	if m, err := whatsapp.NewReplyButtons(to, b.String(), cancel); err == nil {
		return []whatsapp.OutgoingMessage{m}
	}
	text := mustText(to, whatsapp.TruncateRunes(b.String(), whatsapp.MaxTextBody))
	if m, err := whatsapp.NewReplyButtons(to, fmt.Sprintf("Changed your mind? You can cancel order #%d until we accept it.", o.Number), cancel); err == nil {
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
