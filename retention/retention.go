// Package retention keeps the database in bounds: it deletes delivery statuses and raw webhook events older than
// their configured ages and empties the payload of finished outbound messages, in small batches with pauses in
// between so webhooks and sends never wait long behind it. Every instance runs it; on PostgreSQL the batches skip
// rows another instance holds, so running it everywhere at once is safe and simply shares the work. Orders,
// conversations, customers and inbound messages are never touched.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/repository"
)

// Options are the ages and the pace. An age of 0 keeps that kind of row forever.
type Options struct {
	StatusAge   time.Duration // delivery statuses (message_statuses)
	EventAge    time.Duration // raw webhook events: account/template updates, unrouted and unparsed deliveries
	OutboundAge time.Duration // finished outbound messages lose their Graph API payload (the row and summary stay)
	Batch       int           // rows per statement
	Pause       time.Duration // between two batches, so the database serves others in between
	Interval    time.Duration // between two passes
}

// Purger runs retention passes over one store.
type Purger struct {
	store   *repository.Store
	opts    Options
	log     *slog.Logger
	metrics *metrics.Metrics
}

// New makes a purger; m may be nil.
func New(store *repository.Store, opts Options, log *slog.Logger, m *metrics.Metrics) *Purger {
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Minute
	}
	return &Purger{store: store, opts: opts, log: log, metrics: m}
}

// Result counts what one pass did.
type Result struct {
	Statuses  int64 // deleted
	Events    int64 // deleted
	Outbound  int64 // compacted
	Completed bool  // false when ctx ended before every kind was done
}

// Run makes a pass at once and then every Interval until ctx ends.
func (p *Purger) Run(ctx context.Context) {
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		res, err := p.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Error("retention pass", "err", err, "statuses_deleted", res.Statuses, "events_deleted", res.Events,
				"outbound_compacted", res.Outbound)
		} else if res.Statuses+res.Events+res.Outbound > 0 {
			p.log.Info("retention pass", "statuses_deleted", res.Statuses, "events_deleted", res.Events,
				"outbound_compacted", res.Outbound)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass works through every kind of row until nothing older than its age is left (or ctx ends), one batch at a time.
// The cut-off is taken once at the start, so rows ageing during a long pass wait for the next one.
func (p *Purger) Pass(ctx context.Context) (Result, error) {
	var res Result
	now := time.Now()
	kinds := []struct {
		table, action string
		age           time.Duration
		do            func(context.Context, time.Time, int) (int64, error)
		total         *int64
	}{
		{"message_statuses", "deleted", p.opts.StatusAge, p.store.PurgeStatuses, &res.Statuses},
		{"webhook_events", "deleted", p.opts.EventAge, p.store.PurgeWebhookEvents, &res.Events},
		{"outbound_messages", "compacted", p.opts.OutboundAge, p.store.CompactOutbound, &res.Outbound},
	}
	for _, k := range kinds {
		if k.age <= 0 {
			continue
		}
		before := now.Add(-k.age)
		for {
			n, err := k.do(ctx, before, p.opts.Batch)
			*k.total += n
			if n > 0 && p.metrics != nil {
				p.metrics.RetentionRows.WithLabelValues(k.table, k.action).Add(float64(n))
			}
			if err != nil {
				return res, fmt.Errorf("retention of %s: %w", k.table, err)
			}
			if n < int64(p.opts.Batch) {
				break
			}
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(p.opts.Pause):
			}
		}
	}
	res.Completed = true
	return res, nil
}
