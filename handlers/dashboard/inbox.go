package dashboard

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
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

// The inbox: every customer thread, newest first, with unread counts; one thread with its messages, a reply box
// (text inside the 24-hour window, an approved template outside it), and take over / hand back. Live updates come
// from inboxEvents.

type inboxView struct {
	Threads []threadView
	Open    *openThread // nil on the list alone
}

type threadView struct {
	CustomerID              int64
	Name, Phone, Last, Time string
	Handle                  string // "@username", "+phone" or the business-scoped id, when Name is a profile name
	Needs                   string
	Unread                  int64
	TakenOver, Current      bool
}

type openThread struct {
	CustomerID                int64
	Name, Phone, Needs, Error string
	Username                  string // without the "@"
	TakenOver, WindowOpen     bool
	WindowLeft, Key, Text     string
	Messages                  []messageView
	Templates                 []templateOption
	AfterIn                   int64 // the newest customer message shown: where the live stream starts
	Since                     int64 // unix milliseconds of the render: outbound changes after it are streamed
}

type templateOption struct {
	Value, Label string
	Params       []int
}

func newThreadView(t models.Thread, loc local, now time.Time, current int64) threadView {
	name, handle := customerName(&t.Customer)
	return threadView{CustomerID: t.Customer.ID, Name: name, Handle: handle, Phone: customerPhone(t.Customer), Last: t.LastText,
		Time: clock(t.LastMessageAt, loc, now), Needs: t.NeedsHuman, Unread: t.Unread, TakenOver: t.TakenOverAt != nil,
		Current: t.Customer.ID == current}
}

// needsReasons are the codes of why a thread waits for a person (models.Needs*) the catalogs word.
var needsReasons = []string{models.NeedsAsked, models.NeedsBotFailed, models.NeedsNotUnderstood}

// needsWhy words why a thread waits for a person (a models.Needs* code) in p's language.
func needsWhy(p locale.Printer, code string) string {
	if slices.Contains(needsReasons, code) {
		id := "inbox.needs_" + code // built from a value: TestCatalog_IDsBuiltFromValuesExist checks each
		return p.T(id)
	}
	return p.T("inbox.needs_other")
}

// inbox lists the threads.
func (d *Handler) inbox(c *fiber.Ctx) error {
	v, err := d.inboxView(c, 0)
	if err != nil {
		return d.fail(c, err)
	}
	return d.render(c, fiber.StatusOK, "inbox", "inbox", v)
}

func (d *Handler) inboxView(c *fiber.Ctx, current int64) (inboxView, error) {
	p, _ := principal(c)
	biz, err := d.business(c)
	if err != nil {
		return inboxView{}, err
	}
	threads, err := d.Merchant.Threads(c.UserContext(), p.BusinessID)
	if err != nil {
		return inboxView{}, err
	}
	loc, now := localOf(biz), time.Now()
	var v inboxView
	for _, t := range threads {
		v.Threads = append(v.Threads, newThreadView(t, loc, now, current))
	}
	return v, nil
}

// thread shows one customer's conversation beside the list, and marks it read.
func (d *Handler) thread(c *fiber.Ctx) error {
	return d.renderThread(c, fiber.StatusOK, "", "")
}

func (d *Handler) renderThread(c *fiber.Ctx, status int, errMsg, text string) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	ctx := c.UserContext()
	th, err := d.Merchant.Thread(ctx, p.BusinessID, id)
	if err != nil {
		return d.fail(c, err)
	}
	v, err := d.inboxView(c, id)
	if err != nil {
		return d.fail(c, err)
	}
	for i := range v.Threads {
		if v.Threads[i].Current {
			v.Threads[i].Unread = 0
		}
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	loc, now := localOf(biz), time.Now()
	name, _ := customerName(&th.Customer)
	o := &openThread{CustomerID: id, Name: name, Phone: customerPhone(th.Customer), Username: th.Customer.Username,
		Needs: th.NeedsHuman, Error: errMsg, Text: text,
		TakenOver: th.TakenOverAt != nil, WindowOpen: th.Customer.WindowOpen(now), Key: formKey(), Since: now.UnixMilli()}
	if o.WindowOpen {
		left := th.Customer.LastInboundAt.Add(24 * time.Hour).Sub(now)
		o.WindowLeft = strconv.Itoa(int(left.Hours())) + " h " + strconv.Itoa(int(left.Minutes())%60) + " min"
	}
	if o.Messages, err = d.conversation(ctx, p.BusinessID, id, loc, 100); err != nil {
		return d.fail(c, err)
	}
	if o.AfterIn, err = d.Merchant.LatestInboundID(ctx, p.BusinessID, id); err != nil {
		return d.fail(c, err)
	}
	tpls, err := d.Merchant.ApprovedTemplates(ctx, p.BusinessID)
	if err != nil {
		return d.fail(c, err)
	}
	for _, t := range tpls {
		opt := templateOption{Value: t.Name + "|" + t.Language, Label: t.Name + " (" + t.Language + ")"}
		for i := range t.ParamCount {
			opt.Params = append(opt.Params, i+1)
		}
		o.Templates = append(o.Templates, opt)
	}
	v.Open = o
	return d.render(c, status, "inbox", "inbox", v)
}

// formKey makes a reply form's one-time key: a double submit of the same form sends once.
func formKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// reply sends the merchant's message (text, or the picked template with its values) and takes the thread over.
func (d *Handler) reply(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	r := merchant.Reply{CustomerID: id, UserID: p.UserID, Key: c.FormValue("key"), Text: c.FormValue("text")}
	if tpl := c.FormValue("template"); tpl != "" {
		r.Template, r.Language, _ = strings.Cut(tpl, "|")
		for i := 1; i <= 10; i++ {
			v, ok := c.Context().PostArgs().Peek("param"+strconv.Itoa(i)), true
			if !ok || v == nil {
				break
			}
			r.Params = append(r.Params, string(v))
		}
		r.Text = ""
	}
	err := d.Merchant.SendReply(c.UserContext(), p.BusinessID, r)
	if v, ok := models.AsInvalid(err); ok {
		pr := d.printer(c)
		msg := fieldErrorText(pr, "inbox", v)
		if errors.Is(err, models.ErrWindowClosed) {
			msg = pr.T("inbox.window_closed_error")
		}
		return d.renderThread(c, fiber.StatusUnprocessableEntity, msg, r.Text)
	}
	if err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/conversations/"+strconv.FormatInt(id, 10), d.printer(c).T("inbox.sent_flash"))
}

// takeOver and handBack switch who answers the customer.
func (d *Handler) takeOver(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if err := d.Merchant.TakeOver(c.UserContext(), p.BusinessID, id, p.UserID); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/conversations/"+strconv.FormatInt(id, 10), d.printer(c).T("inbox.taken_over_flash"))
}

func (d *Handler) handBack(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if err := d.Merchant.HandBack(c.UserContext(), p.BusinessID, id); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/conversations/"+strconv.FormatInt(id, 10), d.printer(c).T("inbox.handed_back_flash"))
}

// customers lists the business's customers with their orders and a link to their thread.
func (d *Handler) customers(c *fiber.Ctx) error {
	p, _ := principal(c)
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	list, err := d.Merchant.Customers(c.UserContext(), p.BusinessID)
	if err != nil {
		return d.fail(c, err)
	}
	loc, now := localOf(biz), time.Now()
	type row struct {
		ID                             int64
		Name, Handle, Spent, LastOrder string
		Needs                          string
		Orders, Unread                 int64
	}
	var rows []row
	for _, s := range list {
		name, handle := customerName(&s.Customer)
		r := row{ID: s.ID, Name: name, Handle: handle, Spent: money(s.SpentMinor, biz.Currency), Orders: s.Orders, Unread: s.Unread,
			Needs: s.NeedsHuman}
		if s.LastOrderAt != nil {
			r.LastOrder = clock(*s.LastOrderAt, loc, now)
		}
		rows = append(rows, r)
	}
	return d.render(c, fiber.StatusOK, "customers", "customers", rows)
}
