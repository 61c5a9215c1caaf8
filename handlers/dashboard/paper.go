package dashboard

import (
	"github.com/waorder/waorder/models"

	"bytes"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
)

// merchantDayRoutes registers the inbox, the customers page, the kitchen ticket and the CSV export.
func (d *Handler) merchantDayRoutes(r fiber.Router, in func(fiber.Handler) []fiber.Handler) {
	r.Get("/conversations", in(d.inbox)...)
	r.Get("/conversations/events", in(d.inboxEvents)...)
	r.Get("/conversations/:id", in(d.thread)...)
	r.Post("/conversations/:id/reply", in(d.reply)...)
	r.Post("/conversations/:id/takeover", in(d.takeOver)...)
	r.Post("/conversations/:id/handback", in(d.handBack)...)
	r.Get("/customers", in(d.customers)...)
	r.Get("/orders/:id/print", in(d.printTicket)...)
	r.Get("/export/orders.csv", in(d.exportOrders)...)
}

// printTicket is the kitchen ticket of an order: a narrow page without the dashboard around it, that prints itself.
func (d *Handler) printTicket(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	v, err := d.orderView(c, id)
	if err != nil {
		return d.fail(c, err)
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	data := struct {
		orderView
		Business, Printed, Asset string
	}{v, biz.Name, time.Now().In(zone(biz.Timezone)).Format("2006-01-02 15:04"), d.asset}
	tpl, err := d.page(biz.Language, "print")
	if err != nil {
		return d.fail(c, err)
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "ticket", data); err != nil {
		return d.fail(c, fmt.Errorf("render ticket: %w", err))
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

// exportOrders downloads the orders of a date range as CSV; a bad range shows the orders page's error.
func (d *Handler) exportOrders(c *fiber.Ctx) error {
	p, _ := principal(c)
	from, to := c.Query("from"), c.Query("to")
	var buf bytes.Buffer
	err := d.Merchant.ExportOrders(c.UserContext(), &buf, p.BusinessID, from, to)
	if v, ok := models.AsInvalid(err); ok {
		pr := d.printer(c)
		return d.render(c, fiber.StatusUnprocessableEntity, "error", "orders", errorView{pr.T("orders.export"),
			pr.T("orders.export_failed", "Why", errorText(pr, v))})
	}
	if err != nil {
		return d.fail(c, err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="orders-%s-to-%s.csv"`, from, to))
	return c.Send(buf.Bytes())
}
