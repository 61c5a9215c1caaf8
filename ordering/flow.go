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
