package dashboard

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/models"
)

type ordersView struct {
	Orders     []orderRow
	Query      string
	Status     string
	Filtered   bool
	LiveInsert bool  // page 1 of an unfiltered list: the live feed may add rows at the top
	After      int64 // the newest order shown, where the live feed starts
	Statuses   []option
	Sizes      []option
	Pager      pager
}

// orders is the home page: one page of orders, newest first, filtered by status and searched by customer or number.
func (d *Handler) orders(c *fiber.Ctx) error {
	p, _ := principal(c)
	ctx := c.UserContext()
	f := models.OrderFilter{
		Status:   models.OrderStatus(c.Query("status")),
		Query:    searchQuery(c.Query("q")),
		Page:     max(c.QueryInt("page", 1), 1),
		PageSize: c.QueryInt("page_size", merchant.DefaultPageSize),
	}
	if !f.Status.Valid() {
		f.Status = ""
	}
	if !merchant.ValidPageSize(f.PageSize) {
		f.PageSize = merchant.DefaultPageSize
	}
	res, err := d.Merchant.ListOrders(ctx, p.BusinessID, f)
	if err != nil {
		return d.fail(c, err)
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	loc, now := localOf(biz), time.Now()
	v := ordersView{Query: f.Query, Status: string(f.Status), Filtered: f.Query != "" || f.Status != "",
		LiveInsert: f.Page == 1 && f.Query == "" && (f.Status == "" || f.Status == models.StatusPending)}
	for _, o := range res.Orders {
		v.Orders = append(v.Orders, newOrderRow(o, loc, now))
	}
	if v.LiveInsert && len(res.Orders) > 0 {
		v.After = res.Orders[0].ID
	}
	for _, s := range models.OrderStatuses {
		v.Statuses = append(v.Statuses, option{string(s), statusLabel(d.printer(c), s), s == f.Status})
	}
	for _, n := range merchant.PageSizes {
		v.Sizes = append(v.Sizes, option{Value: strconv.Itoa(n), Selected: n == f.PageSize})
	}
	keep := url.Values{}
	if f.Query != "" {
		keep.Set("q", f.Query)
	}
	if f.Status != "" {
		keep.Set("status", string(f.Status))
	}
	if f.PageSize != merchant.DefaultPageSize {
		keep.Set("page_size", strconv.Itoa(f.PageSize))
	}
	v.Pager = newPager("/", keep, f.Page, f.PageSize, res.Total)
	return d.render(c, fiber.StatusOK, "orders", "orders", v)
}

var phoneLike = regexp.MustCompile(`^\+?[\d\s().-]{5,}$`)

// searchQuery tidies what was typed: "+351 912-345" searches the digits a wa_id has.
func searchQuery(q string) string {
	q = strings.TrimSpace(q)
	if phoneLike.MatchString(q) {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, q)
	}
	return q
}

// pager is the list's position and its page links: the first and last page, and two either side of the current.
type pager struct {
	Page, Pages, PageSize int
	Total, From, To       int64
	Prev, Next            string
	Links                 []pageLink
}

type pageLink struct {
	Page    int
	URL     string
	Current bool
	Gap     bool
}

func newPager(base string, keep url.Values, page, size int, total int64) pager {
	p := pager{Page: page, PageSize: size, Total: total, Pages: int((total + int64(size) - 1) / int64(size))}
	if total > 0 {
		p.From = int64((page-1)*size) + 1
		p.To = min(int64(page*size), total)
	}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range keep {
			q[k] = v
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	if page > 1 && page <= p.Pages+1 {
		p.Prev = link(min(page-1, max(p.Pages, 1)))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	last := 0
	for n := 1; n <= p.Pages; n++ {
		if n != 1 && n != p.Pages && (n < page-2 || n > page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			p.Links = append(p.Links, pageLink{Gap: true})
		}
		p.Links = append(p.Links, pageLink{Page: n, URL: link(n), Current: n == page})
		last = n
	}
	return p
}

type orderView struct {
	ID, Number                       int64
	Status, Total, Created           string
	CreatedFull, Note, Source        string
	CustomerName, Phone, Fulfillment string
	Username, UserID, Contact        string // a username user may share no Phone: then Contact is the delivery's
	Address, MapURL, Coords, Error   string
	DeliveryFee, ReadyAt, Reason     string
	CustomerID                       int64
	ReadyChoices                     []int // minutes the merchant can promise when accepting
	Items                            []itemView
	Next                             []action
	Events                           []eventView
	Messages                         []messageView
}

type itemView struct {
	Quantity         int
	Name, RetailerID string
	Unit, Line       string
}

type eventView struct{ Status, Time, Actor string }

// order is the detail page: items and totals, customer and address, the conversation, history, next steps.
func (d *Handler) order(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	v, err := d.orderView(c, id)
	if err != nil {
		return d.fail(c, err)
	}
	return d.render(c, fiber.StatusOK, "order", "orders", v)
}

func (d *Handler) orderView(c *fiber.Ctx, id int64) (orderView, error) {
	p, _ := principal(c)
	ctx := c.UserContext()
	o, err := d.Merchant.Order(ctx, p.BusinessID, id)
	if err != nil {
		return orderView{}, err
	}
	events, err := d.Merchant.OrderEvents(ctx, p.BusinessID, id)
	if err != nil {
		return orderView{}, err
	}
	biz, err := d.business(c)
	if err != nil {
		return orderView{}, err
	}
	loc, now, pr := localOf(biz), time.Now(), d.printer(c)
	v := orderView{ID: o.ID, Number: o.Number, Status: string(o.Status), Total: money(o.TotalMinor, o.Currency),
		Created: clock(o.CreatedAt, loc, now), CreatedFull: fullTime(o.CreatedAt, loc), Note: o.Note,
		Source: codeWord(pr, "order.from_", orderSources, o.Source), Fulfillment: fulfillmentLabel(pr, o.Fulfillment), Address: o.Address, Next: nextActions(pr, o)}
	v.MapURL, v.Coords = mapURL(o.Latitude, o.Longitude)
	if o.Customer != nil {
		cu := o.Customer
		v.CustomerName, v.Phone, v.Username, v.UserID = cu.Name, cu.Phone, cu.Username, cu.UserID
		if cu.Phone == "" && cu.UserID == "" {
			v.Phone = cu.WaID
		}
	}
	v.Contact = o.ContactPhone
	v.CustomerID, v.Reason, v.ReadyChoices = o.CustomerID, o.CancelReason, readyChoices
	if o.DeliveryFeeMinor > 0 {
		v.DeliveryFee = money(o.DeliveryFeeMinor, o.Currency)
	}
	if o.ReadyAt != nil {
		v.ReadyAt = clock(*o.ReadyAt, loc, now)
	}
	for _, it := range o.Items {
		v.Items = append(v.Items, itemView{Quantity: it.Quantity, Name: it.Name, RetailerID: it.RetailerID,
			Unit: money(it.UnitPriceMinor, o.Currency), Line: money(it.LineTotal(), o.Currency)})
	}
	for _, e := range events {
		v.Events = append(v.Events, eventView{Status: string(e.ToStatus), Time: clock(e.CreatedAt, loc, now),
			Actor: codeWord(pr, "order.actor_", orderActors, e.Actor)})
	}
	v.Messages, err = d.conversation(ctx, p.BusinessID, o.CustomerID, loc, 60)
	return v, err
}

// orderSources and orderActors are the codes an order's source and the actor of its events are stored as (beside a
// merchant's email) that the catalogs word, as order.from_<source> and order.actor_<actor>.
var (
	orderSources = []string{"chat", "catalog"}
	orderActors  = []string{"customer", "api"}
)

// codeWord is code in pr's language when it is one of codes (the catalogs' prefix+code), else code as stored: a
// merchant's email, a source a newer version wrote.
func codeWord(pr locale.Printer, prefix string, codes []string, code string) string {
	if !slices.Contains(codes, code) {
		return code
	}
	id := prefix + code // built from a value: TestCatalog_IDsBuiltFromValuesExist checks each
	return pr.T(id)
}

// readyChoices are the ready times offered when accepting an order, in minutes.
var readyChoices = []int{10, 15, 20, 30, 45, 60, 90}

// changeStatus moves an order to the posted status; the merchant service notifies the customer through the outbox.
func (d *Handler) changeStatus(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	u := merchant.StatusUpdate{To: models.OrderStatus(c.FormValue("status")), Actor: p.Email, Reason: c.FormValue("reason")}
	if mins, err := strconv.Atoi(c.FormValue("ready_in")); err == nil {
		u.ReadyIn = time.Duration(mins) * time.Minute
	}
	o, err := d.Merchant.UpdateStatus(c.UserContext(), p.BusinessID, id, u)
	bad, invalid := models.AsInvalid(err)
	switch {
	case invalid && bad.Field != "status":
		v, verr := d.orderView(c, id)
		if verr != nil {
			return d.fail(c, verr)
		}
		v.Error = d.printer(c).T("order.not_changed", "Why", fieldErrorText(d.printer(c), "order", bad))
		return d.render(c, fiber.StatusUnprocessableEntity, "order", "orders", v)
	case err == nil:
		return redirect(c, "/orders/"+strconv.FormatInt(id, 10),
			d.printer(c).T("orders.moved_flash", "Number", o.Number, "Status", statusLabel(d.printer(c), o.Status)))
	case invalid || errors.Is(err, models.ErrInvalidTransition):
		v, verr := d.orderView(c, id)
		if verr != nil {
			return d.fail(c, verr)
		}
		v.Error = d.printer(c).T("order.conflict")
		return d.render(c, fiber.StatusConflict, "order", "orders", v)
	}
	return d.fail(c, err)
}
