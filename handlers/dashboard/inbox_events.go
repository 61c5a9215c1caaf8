package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
)

// liveThread is one "thread" event of the inbox stream: the list row as it is now.
type liveThread struct {
	CustomerID int64  `json:"customer_id"`
	Unread     int64  `json:"unread"`
	Needs      string `json:"needs,omitempty"`
	Row        string `json:"row"`
}

// liveOrderMove is one "order" event: an order of the customer CustomerID moved to Status (Text says so, HTML is
// the line the open thread shows).
type liveOrderMove struct {
	ID         string `json:"id"`
	CustomerID int64  `json:"customer_id"`
	OrderID    int64  `json:"order_id"`
	Status     string `json:"status"`
	Text       string `json:"text"`
	HTML       string `json:"html"`
}

type orderMoveView struct {
	ID     string
	Number int64
	Status string
}

// streamOrderMoves sends each order status change since from once (placing an order is one too): the inbox marks
// the customer's thread, and the open thread shows the change where it happened.
func (d *Handler) streamOrderMoves(ctx context.Context, w *bufio.Writer, tpl *template.Template, p locale.Printer, bizID int64,
	from time.Time, seen map[int64]bool) {
	moves, err := d.Merchant.OrderMovesSince(ctx, bizID, from, 50)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("live inbox: poll order changes failed", "business", bizID, "err", err)
	}
	for _, m := range moves {
		if seen[m.EventID] {
			continue
		}
		seen[m.EventID] = true
		v := orderMoveView{ID: "order-move-" + strconv.FormatInt(m.EventID, 10), Number: m.Number, Status: string(m.Status)}
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, "order_move", v); err != nil {
			d.Log.Error("live inbox: render order change", "err", err)
			continue
		}
		data, _ := json.Marshal(liveOrderMove{ID: v.ID, CustomerID: m.CustomerID, OrderID: m.OrderID, Status: v.Status,
			Text: p.T("inbox.order_moved", "Number", m.Number, "Status", statusLabel(p, m.Status)), HTML: buf.String()})
		fmt.Fprintf(w, "event: order\ndata: %s\n\n", data)
	}
}

// liveMessage is one "message" event: a bubble of the open thread, new or with a new delivery status.
type liveMessage struct {
	ID     string `json:"id"`
	Status string `json:"status,omitempty"`
	HTML   string `json:"html"`
}

// inboxEvents streams the inbox as server-sent events (see stream): "order" when an order of the business changes
// status, "thread" when a thread changes (a message
// came, the bot answered, someone took over or read it) and, for the thread open on the page (?customer=),
// "message" for each new message either way and each delivery status change. The browser reconnects with ?after
// and ?since of its page, so only what is newer than the page comes again.
func (d *Handler) inboxEvents(c *fiber.Ctx) error {
	return d.stream(c, func(bizID int64, biz models.Business) (feed, error) {
		customer := int64(c.QueryInt("customer"))
		afterIn, _ := strconv.ParseInt(c.Query("after"), 10, 64)
		sinceMS, _ := strconv.ParseInt(c.Query("since"), 10, 64)
		since := time.UnixMilli(sinceMS)
		if sinceMS <= 0 || time.Since(since) > time.Hour {
			since = time.Now()
		}
		tpl, err := d.page(biz.Language, "inbox")
		if err != nil {
			return feed{}, err
		}
		loc, pr := localOf(biz), locale.For(biz.Language)
		seenThread := map[int64]time.Time{}
		seen := threadSeen{out: map[int64]string{}, files: map[int64]bool{}}
		seenMoves := map[int64]bool{}
		poll := func(ctx context.Context, w *bufio.Writer) {
			from := since.Add(-lateCommitWindow) // a slow commit can land behind a change already seen
			d.streamThreads(ctx, w, tpl, bizID, customer, from, loc, seenThread)
			d.streamOrderMoves(ctx, w, tpl, pr, bizID, from, seenMoves)
			if customer != 0 {
				afterIn = d.streamMessages(ctx, w, tpl, bizID, customer, afterIn, from, loc, seen)
			}
		}
		return feed{head: "retry: 1500\n\n", poll: poll}, nil
	})
}

func (d *Handler) streamThreads(ctx context.Context, w *bufio.Writer, tpl *template.Template, bizID, current int64, from time.Time,
	loc local, seen map[int64]time.Time) {
	threads, err := d.Merchant.ThreadsChangedSince(ctx, bizID, from, 50)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("live inbox: poll threads failed", "business", bizID, "err", err)
	}
	for _, th := range threads {
		if last, ok := seen[th.Customer.ID]; ok && !th.UpdatedAt.After(last) {
			continue
		}
		seen[th.Customer.ID] = th.UpdatedAt
		v := newThreadView(th, loc, time.Now(), current)
		if v.Current {
			v.Unread = 0 // the merchant is looking at it
		}
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, "thread_row", v); err != nil {
			d.Log.Error("live inbox: render thread", "err", err)
			continue
		}
		data, _ := json.Marshal(liveThread{CustomerID: v.CustomerID, Unread: v.Unread, Needs: v.Needs, Row: buf.String()})
		fmt.Fprintf(w, "event: thread\ndata: %s\n\n", data)
	}
}

// threadSeen is what a stream already sent of the open thread: each outbound message's status, and the customer
// messages already redrawn with their settled file.
type threadSeen struct {
	out   map[int64]string
	files map[int64]bool
}

// streamMessages sends the open thread's new customer messages, those whose file has since arrived (or was refused
// or removed), and new or changed outbound ones; it returns the newest customer message id sent.
func (d *Handler) streamMessages(ctx context.Context, w *bufio.Writer, tpl *template.Template, bizID, customer, afterIn int64, from time.Time,
	loc local, seen threadSeen) int64 {
	now := time.Now()
	send := func(v messageView) {
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, "msg", v); err != nil {
			d.Log.Error("live inbox: render message", "err", err)
			return
		}
		data, _ := json.Marshal(liveMessage{ID: v.ID, Status: v.Status, HTML: buf.String()})
		fmt.Fprintf(w, "event: message\ndata: %s\n\n", data)
	}
	in, err := d.Merchant.InboundSince(ctx, bizID, customer, afterIn, 50)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("live inbox: poll messages failed", "business", bizID, "err", err)
	}
	views, err := d.inboundViews(ctx, bizID, in, loc, now)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("live inbox: load files failed", "business", bizID, "err", err)
	}
	for i, v := range views {
		afterIn = max(afterIn, in[i].ID)
		if v.Media != nil && v.Media.Status != string(models.MediaPending) {
			seen.files[in[i].ID] = true
		}
		send(v)
	}
	d.streamSettledFiles(ctx, bizID, customer, afterIn, from, loc, now, seen, send)
	if len(in) > 0 { // the merchant has the thread open: what arrives is read
		if err := d.Merchant.MarkThreadRead(ctx, bizID, customer, now); err != nil && ctx.Err() == nil {
			d.Log.Warn("live inbox: mark read failed", "business", bizID, "err", err)
		}
	}
	out, err := d.Merchant.OutboundChangedSince(ctx, bizID, customer, from, 100)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("live inbox: poll replies failed", "business", bizID, "err", err)
	}
	for _, m := range out {
		if seen.out[m.ID] == string(m.Status) {
			continue
		}
		seen.out[m.ID] = string(m.Status)
		v := outboundView(loc.p, m)
		v.Time, v.Full = clock(m.CreatedAt, loc, now), fullTime(m.CreatedAt, loc)
		send(v)
	}
	return afterIn
}

// streamSettledFiles redraws the open thread's customer messages (up to afterIn, those already on the page) whose
// file settled since from: the picture replaces "arriving…" without a reload.
func (d *Handler) streamSettledFiles(ctx context.Context, bizID, customer, afterIn int64, from time.Time, loc local,
	now time.Time, seen threadSeen, send func(messageView)) {
	settled, err := d.Merchant.InboundWithFilesSettledSince(ctx, bizID, customer, from, 50)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("live inbox: poll files failed", "business", bizID, "err", err)
	}
	var redraw []models.InboundMessage
	for _, m := range settled {
		if m.ID <= afterIn && !seen.files[m.ID] {
			redraw = append(redraw, m)
		}
	}
	views, err := d.inboundViews(ctx, bizID, redraw, loc, now)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("live inbox: load files failed", "business", bizID, "err", err)
	}
	for i, v := range views {
		seen.files[redraw[i].ID] = true
		send(v)
	}
}
