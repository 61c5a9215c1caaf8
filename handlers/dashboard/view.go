package dashboard

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// This file turns domain values into what templates show: labels, money, local times, order rows.

// statusLabel is the human name of an order or phone-number status in p's language (catalog ids status.<status>);
// a status the catalogs do not name is shown as it is stored.
func statusLabel(p locale.Printer, s any) string {
	v := fmt.Sprint(s)
	if id := "status." + v; p.T(id) != id {
		return p.T(id)
	}
	return strings.ReplaceAll(v, "_", " ")
}

// fulfillmentLabel names how an order is handed over, in p's language (order.fulfill_<how>).
func fulfillmentLabel(p locale.Printer, f models.Fulfillment) string {
	switch f {
	case models.FulfillDelivery, models.FulfillPickup, models.FulfillBoth:
		id := "order.fulfill_" + string(f)
		return p.T(id)
	}
	return p.T("order.fulfill_none")
}

type option struct {
	Value, Label string
	Selected     bool
}

// action is a button that moves an order to Value.
type action struct {
	Value, Label string
	Cancel       bool
}

// nextActions lists the buttons for an order, labelled in p's language (order.action_<status>): the lifecycle's
// next steps, except that a pickup order that is ready is handed over (delivered) rather than sent out.
func nextActions(p locale.Printer, o models.Order) []action {
	next := o.Status.Next()
	if o.Status == models.StatusReady && o.Fulfillment == models.FulfillPickup {
		next = []models.OrderStatus{models.StatusDelivered, models.StatusCancelled}
	}
	out := make([]action, 0, len(next))
	for _, s := range next {
		id := "order.action_" + string(s)
		label := p.T(id)
		if s == models.StatusDelivered && o.Fulfillment == models.FulfillPickup {
			label = p.T("order.action_picked_up")
		}
		out = append(out, action{string(s), label, s == models.StatusCancelled})
	}
	return out
}

func money(minor int64, currency string) string { return whatsapp.FormatMoney(minor, currency) }

// majorUnits is an amount as a form shows it for editing: "12.50", without the currency code.
func majorUnits(minor int64, currency string) string {
	return strings.TrimPrefix(whatsapp.FormatMoney(minor, currency), strings.ToUpper(strings.TrimSpace(currency))+" ")
}

// zones caches loaded time zones; a business's zone name is validated when saved, so a miss falls back to UTC.
var zones sync.Map

func zone(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = time.UTC
	}
	zones.Store(name, l)
	return l
}

// local is how the business reads times: in its time zone, with its language's month and weekday names.
type local struct {
	loc *time.Location
	p   locale.Printer
}

// localOf is biz's way of reading times.
func localOf(biz models.Business) local { return local{zone(biz.Timezone), locale.For(biz.Language)} }

// clock formats t for a list: the time alone today, the day and time this year, the full date before.
func clock(t time.Time, l local, now time.Time) string {
	t, now = t.In(l.loc), now.In(l.loc)
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return l.p.Date(t, locale.DateDayTime)
	}
	return l.p.Date(t, locale.DateDateTime)
}

func fullTime(t time.Time, l local) string { return l.p.Date(t.In(l.loc), locale.DateFull) }

// day is t's calendar day, for dates without a time (expiry of a token or an invite, a last login).
func day(t time.Time, l local) string { return l.p.Date(t.In(l.loc), locale.Date) }

// orderRow is one line of the orders list (and the HTML the live feed pushes).
type orderRow struct {
	ID, Number                             int64
	Customer, Phone, Items, Total, Created string
	CreatedFull                            string
	Status                                 string
}

func newOrderRow(o models.Order, loc local, now time.Time) orderRow {
	r := orderRow{ID: o.ID, Number: o.Number, Total: money(o.TotalMinor, o.Currency), Status: string(o.Status),
		Created: clock(o.CreatedAt, loc, now), CreatedFull: fullTime(o.CreatedAt, loc), Items: itemsSummary(o.Items)}
	r.Customer, r.Phone = customerName(o.Customer)
	return r
}

// customerName is what to call a customer (their profile name), and how to tell them apart when the name is not
// it: "@username", else "+phone", else the business-scoped user id.
func customerName(c *models.Customer) (name, handle string) {
	if c == nil {
		return "—", "" // not loaded with its order: nothing to call it by
	}
	if c.Phone == "" && c.UserID == "" && c.Username == "" { // a row known by its contact key alone
		c = &models.Customer{Name: c.Name, Phone: c.WaID}
	}
	if c.Name == "" {
		return c.Handle(), ""
	}
	return c.Name, c.Handle()
}

// customerPhone is the customer's phone number as digits, or "" when they share none (a username user known by
// their business-scoped id): a BSUID is never a phone to call or link to.
func customerPhone(c models.Customer) string {
	if c.Phone == "" && c.UserID == "" && c.Username == "" { // a row known by its contact key alone
		return strings.TrimPrefix(c.WaID, "+")
	}
	return strings.TrimPrefix(c.Phone, "+")
}

// itemsSummary is "2× Margherita, 1× Cola" cut to a readable length.
func itemsSummary(items []models.OrderItem) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		if b.Len() > 60 {
			b.WriteString("+" + strconv.Itoa(len(items)-i)) // "+3": as clear as "3 more" in any language
			break
		}
		b.WriteString(strconv.Itoa(it.Quantity) + "× " + it.Name)
	}
	return b.String()
}

// mapURL links a shared location to OpenStreetMap (a plain link: no map script on our pages).
func mapURL(lat, lon *float64) (link, coords string) {
	if lat == nil || lon == nil {
		return "", ""
	}
	coords = strconv.FormatFloat(*lat, 'f', 5, 64) + ", " + strconv.FormatFloat(*lon, 'f', 5, 64)
	return fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f#map=17/%.6f/%.6f", *lat, *lon, *lat, *lon), coords
}
