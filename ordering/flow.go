package ordering

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/waorder/waorder/locale"
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
		r.text(r.p.T("bot.menu_empty"))
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
		cat := whatsapp.TruncateRunes(orDefault(p.Category, r.p.T("bot.menu_category")), whatsapp.MaxSectionTitle)
		if len(sections) == 0 || sections[len(sections)-1].Title != cat {
			sections = append(sections, whatsapp.Section{Title: cat})
		}
		s := &sections[len(sections)-1]
		s.Rows = append(s.Rows, whatsapp.Row{ID: "p:" + p.RetailerID, Title: whatsapp.TruncateRunes(p.Name, whatsapp.MaxRowTitle),
			Description: whatsapp.TruncateRunes(whatsapp.FormatMoney(p.PriceMinor, p.Currency)+" · "+p.Description, whatsapp.MaxRowDescription)})
	}
	var nav []whatsapp.Row
	if n+1 < pages {
		nav = append(nav, whatsapp.Row{ID: "page:" + strconv.Itoa(n+1), Title: r.p.T("bot.menu_more_row"),
			Description: r.p.T("bot.menu_page", "Page", n+2, "Pages", pages)})
	}
	if n > 0 {
		nav = append(nav, whatsapp.Row{ID: "page:" + strconv.Itoa(n-1), Title: r.p.T("bot.menu_back_row"),
			Description: r.p.T("bot.menu_page", "Page", n, "Pages", pages)})
	}
	if len(nav) > 0 {
		sections = append(sections, whatsapp.Section{Title: r.p.T("bot.menu_more_section"), Rows: nav})
	}
	body := r.p.T("bot.menu_body")
	m, err := whatsapp.NewList(r.in.To, body, r.p.T("bot.menu_button"), sections)
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
		r.text(r.p.T("bot.not_available", "Item", name))
		r.menu(r.st.Page)
		return
	}
	r.st.Step, r.st.Pending = StepQuantity, p.RetailerID
	tag := questionTag(r.in.Wamid)
	var picture []whatsapp.InteractiveOption
	if p.ImageKey != "" && r.biz.PicturesURL != "" {
		picture = append(picture, whatsapp.WithHeaderImage(r.biz.PicturesURL+p.ImageKey))
	}
	r.buttonsWith(picture, r.p.T("bot.how_many", "Item", p.Name, "Price", whatsapp.FormatMoney(p.PriceMinor, p.Currency)),
		whatsapp.Button{ID: quantityID(p.RetailerID, 1, tag), Title: "1"}, whatsapp.Button{ID: quantityID(p.RetailerID, 2, tag), Title: "2"},
		whatsapp.Button{ID: quantityID(p.RetailerID, 3, tag), Title: "3"})
}

var numberWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10,
	"uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
	"um": 1, "uma": 1, "dois": 2, "duas": 2, "três": 3, "quatro": 4, "sete": 7, "oito": 8, "nove": 9, "dez": 10}

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
		r.text(r.p.T("bot.number_range", "Max", maxQuantity))
		return
	}
	r.add(r.st.Pending, n)
}

// add puts n of a product in the cart (merged with a line already there) and shows the cart.
func (r *turn) add(retailerID string, n int) {
	if n < 1 || n > maxQuantity {
		r.text(r.p.T("bot.number_range", "Max", maxQuantity))
		return
	}
	p, found := r.product(retailerID)
	if !found || !p.Available {
		r.text(r.p.T("bot.item_gone"))
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
			b.WriteString(r.p.T("bot.delivery_free") + "\n")
		} else {
			b.WriteString(r.p.T("bot.delivery_fee", "Fee", whatsapp.FormatMoney(fee, r.biz.Currency)) + "\n")
		}
	}
	b.WriteString(r.p.T("bot.total", "Total", whatsapp.FormatMoney(r.st.Total()+fee, r.biz.Currency)))
	return b.String()
}

func (r *turn) cart() {
	if len(r.st.Cart) == 0 {
		r.text(r.p.T("bot.cart_empty"))
		r.menu(0)
		return
	}
	r.st.Step = StepCart
	r.buttons(r.p.T("bot.your_cart")+"\n"+r.summary(),
		whatsapp.Button{ID: "checkout", Title: r.p.T("bot.checkout_button")}, whatsapp.Button{ID: "more", Title: r.p.T("bot.add_more_button")},
		whatsapp.Button{ID: "clear:" + cartSig(r.st), Title: r.p.T("bot.clear_button")})
}

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
