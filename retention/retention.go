// Package retention keeps the database and the media store in bounds: it deletes delivery statuses and raw webhook
// events older than their configured ages, empties the payload of finished outbound messages and, when a media age
// is set, removes customers' files older than it (the message and a note that its file was removed stay), in small
// batches with pauses in between so webhooks and sends never wait long behind it. Every instance runs it; on
// PostgreSQL the batches skip rows another instance holds, so running it everywhere at once is safe and simply
// shares the work. Orders, conversations, customers, inbound messages and product pictures are never touched.
package retention

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/repository"
)

// Options are the ages and the pace. An age of 0 keeps that kind of row forever.
type Options struct {
	StatusAge   time.Duration // delivery statuses (message_statuses)
	EventAge    time.Duration // raw webhook events: account/template updates, unrouted and unparsed deliveries
	OutboundAge time.Duration // finished outbound messages lose their Graph API payload (the row and summary stay)
	MediaAge    time.Duration // customers' files are removed from the media store (needs Files)
	Batch       int           // rows per statement
	Pause       time.Duration // between two batches, so the database serves others in between
	Interval    time.Duration // between two passes
}

// Purger runs retention passes over one store.
type Purger struct {
	store   *repository.Store
	files   mediastore.Store
	opts    Options
	log     *slog.Logger
	metrics *metrics.Metrics
}

// New makes a purger of the database and of files, where customers' files are kept; files and m may be nil.
func New(store *repository.Store, files mediastore.Store, opts Options, log *slog.Logger, m *metrics.Metrics) *Purger {
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Minute
	}
	if files == nil {
		opts.MediaAge = 0
	}
	return &Purger{store: store, files: files, opts: opts, log: log, metrics: m}
}

// Result counts what one pass did.
type Result struct {
	Statuses  int64 // deleted
	Events    int64 // deleted
	Outbound  int64 // compacted
	Media     int64 // files removed
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
				"outbound_compacted", res.Outbound, "media_removed", res.Media)
		} else if res.Statuses+res.Events+res.Outbound+res.Media > 0 {
			p.log.Info("retention pass", "statuses_deleted", res.Statuses, "events_deleted", res.Events,
				"outbound_compacted", res.Outbound, "media_removed", res.Media)
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
		{"inbound_media", "removed", p.opts.MediaAge, p.removeFiles, &res.Media},
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

// removeFiles removes up to limit customers' files received before before from the media store, and records each
// as removed. A file the store cannot remove now stays expiring and is tried again on the next pass.
func (p *Purger) removeFiles(ctx context.Context, before time.Time, limit int) (int64, error) {
	rows, err := p.store.ExpiringMedia(ctx, before, limit)
	if err != nil {
		return 0, err
	}
	removed := make([]int64, 0, len(rows))
	var firstErr error
	for _, r := range rows {
		if r.StorageKey != "" {
			if err := p.files.Delete(ctx, r.StorageKey); err != nil {
				firstErr = cmp.Or(firstErr, fmt.Errorf("remove file of media %d: %w", r.ID, err))
				continue
			}
		}
		removed = append(removed, r.ID)
	}
	reason := fmt.Sprintf("removed after %s (media retention)", days(p.opts.MediaAge))
	if err := p.store.MediaExpired(ctx, removed, reason); err != nil {
		return 0, err
	}
	if firstErr != nil {
		return int64(len(removed)), firstErr
	}
	// A full batch means more may be waiting, whatever a failed removal left behind.
	return int64(len(rows)), nil
}

// days writes an age the way an operator sets it: "90 days", or the duration when it is not whole days.
func days(d time.Duration) string {
	switch n := d / (24 * time.Hour); {
	case d%(24*time.Hour) != 0:
		return d.String()
	case n == 1:
		return "1 day"
	default:
		return fmt.Sprintf("%d days", n)
	}
}
