package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// This file is retention's side of the database: each call removes or compacts at most limit rows older than a
// moment and returns how many it touched, so the caller works in small batches that never hold locks for long.
// On PostgreSQL the batch is picked with FOR UPDATE SKIP LOCKED, so instances running retention at once take
// disjoint rows instead of waiting on each other; on SQLite the single writer serialises them.

// PurgeStatuses deletes up to limit delivery statuses received before before. The outbound message a status
// updated keeps what it recorded (status and its times); only the raw status rows go.
func (s *Store) PurgeStatuses(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, "message_statuses", before, limit)
}

// PurgeWebhookEvents deletes up to limit raw webhook events (account and template updates, unrouted and unparsed
// deliveries) received before before.
func (s *Store) PurgeWebhookEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, "webhook_events", before, limit)
}

func (s *Store) purge(ctx context.Context, table string, before time.Time, limit int) (int64, error) {
	res := s.db.WithContext(ctx).Exec(`DELETE FROM `+table+` WHERE id IN (SELECT id FROM `+table+`
		WHERE received_at < ? ORDER BY received_at LIMIT ?`+s.skipLocked()+`)`, before.UTC(), limit)
	if res.Error != nil {
		return 0, fmt.Errorf("purge %s received before %s: %w", table, before.Format(time.RFC3339), res.Error)
	}
	return res.RowsAffected, nil
}

// CompactOutbound empties the Graph API payload of up to limit finished outbound messages (sent, delivered, read,
// failed) last changed before before. The row stays, with its summary, status, times and idempotency key, so the
// conversation still shows it and a replayed cause still cannot send it twice. A message Meta failed for the
// 24-hour window keeps its payload: it may still be resent as a template.
func (s *Store) CompactOutbound(ctx context.Context, before time.Time, limit int) (int64, error) {
	// The predicate repeats migration 11's partial index outbound_messages_compactable (WHERE payload <> '' AND status
	// IN ('sent', 'delivered', 'read', 'failed')) word for word: the planner uses a partial index only for a query
	// that implies its WHERE, so a status added here must be added there too, in a new migration.
	const finished = `payload <> '' AND status IN ('sent', 'delivered', 'read', 'failed')
		AND NOT (status = 'failed' AND error_code = 131047 AND kind <> 'template')`
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET payload = '' WHERE id IN (SELECT id
		FROM outbound_messages WHERE `+finished+` AND updated_at < ? ORDER BY updated_at LIMIT ?`+s.skipLocked()+`)
		AND `+finished, before.UTC(), limit)
	if res.Error != nil {
		return 0, fmt.Errorf("compact outbound messages finished before %s: %w", before.Format(time.RFC3339), res.Error)
	}
	return res.RowsAffected, nil
}

// skipLocked is PostgreSQL's clause for taking rows nobody else holds; SQLite has a single writer and no such clause.
func (s *Store) skipLocked() string {
	if s.postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// QueueStat is the backlog of one queue: how many rows wait and when the oldest of them arrived.
type QueueStat struct {
	Queue  string     // "inbound" (messages the bot has not handled), "outbound" (queued sends), "outbound_held"
	Depth  int64      // rows waiting
	Oldest *time.Time // arrival of the oldest waiting row; nil when none waits
}

// QueueStats reads the depth and the oldest arrival of the inbound and outbound queues. Each count walks only the
// small partial index of waiting rows, and the oldest is the row with the lowest id, so a scrape stays cheap while
// a backlog grows.
func (s *Store) QueueStats(ctx context.Context) ([]QueueStat, error) {
	queries := []struct{ queue, count, oldest string }{
		{"inbound", `SELECT COUNT(*) FROM inbound_messages WHERE processed_at IS NULL`,
			`SELECT received_at FROM inbound_messages WHERE id = (SELECT MIN(id) FROM inbound_messages WHERE processed_at IS NULL)`},
		{"outbound", `SELECT COUNT(*) FROM outbound_messages WHERE status = 'queued'`,
			`SELECT created_at FROM outbound_messages WHERE id = (SELECT MIN(id) FROM outbound_messages WHERE status = 'queued')`},
		{"outbound_held", `SELECT COUNT(*) FROM outbound_messages WHERE status = 'held'`,
			`SELECT created_at FROM outbound_messages WHERE id = (SELECT MIN(id) FROM outbound_messages WHERE status = 'held')`},
	}
	db := s.db.WithContext(ctx)
	out := make([]QueueStat, 0, len(queries))
	for _, q := range queries {
		st := QueueStat{Queue: q.queue}
		if err := db.Raw(q.count).Find(&st.Depth).Error; err != nil {
			return nil, fmt.Errorf("count the %s queue: %w", q.queue, err)
		}
		if st.Depth > 0 {
			var at sql.NullTime
			if err := db.Raw(q.oldest).Row().Scan(&at); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("find the oldest of the %s queue: %w", q.queue, err)
			}
			if at.Valid {
				st.Oldest = &at.Time
			}
		}
		out = append(out, st)
	}
	return out, nil
}
