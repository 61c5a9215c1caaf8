package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// lateCommitWindow is how far back the live feed looks for orders whose id was handed out before a higher one but
// committed after it (ids come from a sequence at insert time, visibility at commit).
const lateCommitWindow = 30 * time.Second

// liveOrder is one "order" event of the live feed: enough for a toast, and the row to put atop the list.
type liveOrder struct {
	ID       int64  `json:"id"`
	Number   int64  `json:"number"`
	Customer string `json:"customer"`
	Total    string `json:"total"`
	URL      string `json:"url"`
	Row      string `json:"row"`
}

// events streams new orders of the merchant's business as server-sent events. It polls the database, so an order
// stored by any instance shows up on every instance's streams. Each stream ends after EventStream; the browser
// reconnects on its own, sending the last event id, and nothing is missed or repeated.
func (d *Handler) events(c *fiber.Ctx) error {
	p, _ := principal(c)
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	after, err := strconv.ParseInt(c.Get("Last-Event-ID", c.Query("after")), 10, 64)
	if err != nil || after < 0 {
		if after, err = d.Merchant.LatestOrderID(c.UserContext(), p.BusinessID); err != nil {
			return d.fail(c, err)
		}
	}
	release, ok := d.streams.Acquire(p.SessionID)
	if !ok {
		c.Set(fiber.HeaderRetryAfter, "30")
		return fiber.NewError(fiber.StatusTooManyRequests, "too many live feeds open; close a tab or try again later")
	}
	// Released when the stream ends, or at the latest after its lifetime, should the writer never run.
	backstop := time.AfterFunc(d.EventStream+time.Minute, release)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // let nginx-style proxies pass events through at once
	bizID, loc, poll, life := p.BusinessID, zone(biz.Timezone), d.EventPoll, d.EventStream
	wake, unsubscribe := d.hub.subscribe(bizID)
	// The writer runs after this handler returns: it must not touch c.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer unsubscribe()
		defer func() { backstop.Stop(); release() }()
		ctx, cancel := context.WithTimeout(context.Background(), life)
		defer cancel()
		seen := map[int64]bool{}
		first := true
		fmt.Fprintf(w, "retry: 1500\nid: %d\n\n", after) // a reconnect resumes from here even if nothing came
		if w.Flush() != nil {
			return
		}
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			orders, err := d.Merchant.OrdersSince(ctx, bizID, after, time.Now().Add(-lateCommitWindow), 50)
			if err != nil && ctx.Err() == nil {
				d.Log.Warn("live order feed: poll failed", "business", bizID, "err", err)
			}
			for _, o := range orders {
				if seen[o.ID] {
					continue
				}
				seen[o.ID] = true
				if first && o.ID <= after {
					continue // shown before this stream started
				}
				after = max(after, o.ID)
				row := newOrderRow(o, loc, time.Now())
				var buf bytes.Buffer
				if err := d.pages["orders"].ExecuteTemplate(&buf, "order_row", row); err != nil {
					d.Log.Error("live order feed: render row", "err", err)
					continue
				}
				data, _ := json.Marshal(liveOrder{ID: o.ID, Number: o.Number, Customer: row.Customer, Total: row.Total,
					URL: "/orders/" + strconv.FormatInt(o.ID, 10), Row: buf.String()})
				fmt.Fprintf(w, "id: %d\nevent: order\ndata: %s\n\n", after, data)
			}
			first = false
			fmt.Fprint(w, ": ping\n\n") // also how a closed connection is noticed
			if w.Flush() != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-wake:
			}
		}
	})
	return nil
}

// NotifyOrder wakes this instance's live feeds of a business at once (wire it to the bot's OnOrder); orders
// stored by other instances reach them with the next poll.
func (d *Handler) NotifyOrder(businessID int64) { d.hub.notify(businessID) }

// orderHub holds the wake-up channel of each open live feed, by business.
type orderHub struct {
	mu   sync.Mutex
	subs map[int64]map[chan struct{}]struct{}
}

func (h *orderHub) subscribe(bizID int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[int64]map[chan struct{}]struct{}{}
	}
	if h.subs[bizID] == nil {
		h.subs[bizID] = map[chan struct{}]struct{}{}
	}
	h.subs[bizID][ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[bizID], ch)
		if len(h.subs[bizID]) == 0 {
			delete(h.subs, bizID)
		}
	}
}

func (h *orderHub) notify(bizID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[bizID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
