package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/models"
)

// lateCommitWindow is how far back a live feed looks for rows whose id was handed out before a higher one but
// committed after it (ids come from a sequence at insert time, visibility at commit).
const lateCommitWindow = 30 * time.Second

// feed is one live feed of a business, opened for a request: head is written first (the browser's retry delay,
// and where a reconnect resumes), then poll writes the events of what changed since its last call. poll runs
// after the handler has returned, so it must not touch the request.
type feed struct {
	head string
	poll func(ctx context.Context, w *bufio.Writer)
}

// stream answers a live feed of the merchant's business as server-sent events; open reads the request and
// prepares the feed. The stream takes a place under the caps (429 past them), polls the database every EventPoll
// or at once when NotifyOrder wakes the business, and ends after EventStream: the browser reconnects by itself,
// which keeps instances stateless and shutdowns short. Polling the database is what makes a change stored by any
// instance reach every instance's streams.
func (d *Handler) stream(c *fiber.Ctx, open func(bizID int64, biz models.Business) (feed, error)) error {
	p, _ := principal(c)
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	f, err := open(p.BusinessID, biz)
	if err != nil {
		return d.fail(c, err)
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
	every, life := d.EventPoll, d.EventStream
	wake, unsubscribe := d.hub.subscribe(p.BusinessID)
	// The writer runs after this handler returns: it must not touch c.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer unsubscribe()
		defer func() { backstop.Stop(); release() }()
		ctx, cancel := context.WithTimeout(context.Background(), life)
		defer cancel()
		fmt.Fprint(w, f.head)
		if w.Flush() != nil {
			return
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			f.poll(ctx, w)
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

// NotifyOrder wakes this instance's live feeds of a business at once (wire it to the bot's OnOrder); changes
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
