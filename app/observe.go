package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/retention"
)

// observe registers what /metrics reads from the database at each scrape: the queues' depth and oldest age, and
// the connection pool.
func observe(m *metrics.Metrics, store *repository.Store) error {
	pool, err := store.Pool()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	m.WatchDB(pool, dbKind(store))
	m.WatchQueues(func(ctx context.Context) ([]metrics.QueueDepth, error) {
		qs, err := store.QueueStats(ctx)
		out := make([]metrics.QueueDepth, len(qs))
		for i, q := range qs {
			out[i] = metrics.QueueDepth{Queue: q.Queue, Depth: q.Depth, Oldest: q.Oldest}
		}
		return out, err
	})
	return nil
}

// newRetention makes the purger every instance runs, from the RETENTION_* settings; files is where customers'
// files are kept.
func newRetention(cfg config.Config, store *repository.Store, files mediastore.Store, log *slog.Logger, m *metrics.Metrics) *retention.Purger {
	return retention.New(store, files, retention.Options{
		StatusAge: cfg.RetainStatuses, EventAge: cfg.RetainEvents, OutboundAge: cfg.RetainOutbound, MediaAge: cfg.RetainMedia,
		Batch: cfg.RetentionBatch, Pause: retentionPause, Interval: cfg.RetentionInterval,
	}, log, m)
}

// retentionPause is the breath between two batches: long enough for webhooks and sends to get the database's write
// lock (SQLite) or the rows (PostgreSQL) between batches, short enough to clear a day's rows in minutes.
const retentionPause = 50 * time.Millisecond
