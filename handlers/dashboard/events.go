package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/models"
)

// liveOrder is one "order" event of the live feed: enough for a toast, and the row to put atop the list.
type liveOrder struct {
	ID       int64  `json:"id"`
	Number   int64  `json:"number"`
	Customer string `json:"customer"`
	Total    string `json:"total"`
	URL      string `json:"url"`
	Row      string `json:"row"`
}

// events streams new orders of the merchant's business as server-sent events (see stream). The browser
// reconnects with the last event id, so nothing is missed or repeated.
func (d *Handler) events(c *fiber.Ctx) error {
	return d.stream(c, func(bizID int64, biz models.Business) (feed, error) {
		after, err := strconv.ParseInt(c.Get("Last-Event-ID", c.Query("after")), 10, 64)
		if err != nil || after < 0 {
			if after, err = d.Merchant.LatestOrderID(c.UserContext(), bizID); err != nil {
				return feed{}, err
			}
		}
		tpl, err := d.page(biz.Language, "orders")
		if err != nil {
			return feed{}, err
		}
		loc := localOf(biz)
		seen := map[int64]bool{}
		first := true
		poll := func(ctx context.Context, w *bufio.Writer) {
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
				if err := tpl.ExecuteTemplate(&buf, "order_row", row); err != nil {
					d.Log.Error("live order feed: render row", "err", err)
					continue
				}
				data, _ := json.Marshal(liveOrder{ID: o.ID, Number: o.Number, Customer: row.Customer, Total: row.Total,
					URL: "/orders/" + strconv.FormatInt(o.ID, 10), Row: buf.String()})
				fmt.Fprintf(w, "id: %d\nevent: order\ndata: %s\n\n", after, data)
			}
			first = false
		}
		// A reconnect resumes from the head's id even if nothing came.
		return feed{head: fmt.Sprintf("retry: 1500\nid: %d\n\n", after), poll: poll}, nil
	})
}
