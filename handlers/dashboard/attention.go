package dashboard

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/models"
)

// attentionRoutes registers the page of what needs the merchant (replies not sent, messages the bot gave up on)
// and the retry button of each reply.
func (d *Handler) attentionRoutes(r fiber.Router, in func(fiber.Handler) []fiber.Handler) {
	r.Get("/attention", in(d.attention)...)
	r.Post("/attention/replies/:id/retry", in(d.retryReply)...)
}

// replyRow is a failed or held reply on the attention page.
type replyRow struct {
	ID, CustomerID   int64
	Customer, Handle string
	Text, Reason     string
	Status           models.OutboundStatus
	Held             bool
	When, Expires    string
}

// failedRow is a customer message the bot gave up on.
type failedRow struct {
	ID, CustomerID                       int64
	Customer, Handle, Text, Reason, When string
}

// attention lists the business's failed and held replies, with their reasons and a retry button, and the messages
// the bot could not handle.
func (d *Handler) attention(c *fiber.Ctx) error {
	p, _ := principal(c)
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	a, err := d.Merchant.Attention(c.UserContext(), p.BusinessID)
	if err != nil {
		return d.fail(c, err)
	}
	loc, now, pr := localOf(biz), time.Now(), d.printer(c)
	who := func(id int64) (string, string) {
		cust, ok := a.Customers[id]
		if !ok {
			return pr.T("common.unknown_customer"), ""
		}
		return customerName(&cust)
	}
	var view struct {
		Replies  []replyRow
		Messages []failedRow
	}
	for _, m := range a.Replies {
		r := replyRow{ID: m.ID, CustomerID: m.CustomerID, Text: outboundSummary(pr, m), Reason: m.LastError, Status: m.Status,
			Held: m.Status == models.OutHeld}
		r.Customer, r.Handle = who(m.CustomerID)
		when := m.UpdatedAt
		if m.FailedAt != nil {
			when = *m.FailedAt
		}
		r.When = clock(when, loc, now)
		if r.Held {
			r.Expires = pr.T("attention.held_note")
			if d.HeldTTL > 0 {
				r.Expires = pr.T("attention.held_expires", "Time", clock(m.QueuedAt().Add(d.HeldTTL), loc, now))
			}
		}
		view.Replies = append(view.Replies, r)
	}
	for _, m := range a.Messages {
		r := failedRow{ID: m.ID, CustomerID: m.CustomerID, Text: m.Body, Reason: m.ProcessError, When: clock(m.ReceivedAt, loc, now)}
		r.Customer, r.Handle = who(m.CustomerID)
		view.Messages = append(view.Messages, r)
	}
	return d.render(c, fiber.StatusOK, "attention", "attention", view)
}

// retryReply queues a failed or held reply again, due now. Another business's reply, or one already sent or
// retried, is a 404.
func (d *Handler) retryReply(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	if err := d.Merchant.RetryReply(c.UserContext(), p.BusinessID, id); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/attention", d.printer(c).T("attention.retry_flash"))
}
