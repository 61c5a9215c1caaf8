package repository

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/waorder/waorder/models"
)

// ClaimUnprocessed leases up to limit inbound messages the bot has not handled (new, or whose lease ran out after a
// crash), oldest first, taking only the oldest pending message of each customer: a customer whose oldest message is
// leased is skipped, so each customer's messages are handled one at a time and in order, across instances. A message
// that used up maxAttempts no longer blocks its customer.
//
// With ids, only those messages are considered: the fast path for messages just stored, which costs index probes
// instead of a scan of everything pending. Without, every pending message is (the sweep for retries and crashes).
func (s *Store) ClaimUnprocessed(ctx context.Context, ids []int64, limit int, lease time.Duration, maxAttempts int) ([]models.InboundMessage, error) {
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	nowSQL, nowArgs := s.dbTime(0)
	untilSQL, untilArgs := s.dbTime(lease)
	var args []any
	args = append(args, maxAttempts)
	args = append(args, nowArgs...)
	args = append(args, maxAttempts)
	only := ""
	if ids != nil {
		only = " AND m.id IN ?"
		args = append(args, ids)
	}
	args = append(args, limit)
	args = append(args, untilArgs...)
	args = append(args, nowArgs...)
	var claimed []models.InboundMessage
	// The pick is a materialized CTE, evaluated once, like the outbox's: written "id IN (SELECT … LIMIT n SKIP
	// LOCKED)", PostgreSQL may run the subquery again and claim more than n. Leases are on the database's clock.
	err := s.freshPlans(ctx, func(tx *Store) error {
		return tx.db.WithContext(ctx).Raw(`WITH picked AS MATERIALIZED (
			SELECT m.id FROM inbound_messages m
			WHERE m.processed_at IS NULL AND m.attempts < ? AND (m.claim_until IS NULL OR m.claim_until < `+nowSQL+`)
			AND NOT EXISTS (SELECT 1 FROM inbound_messages o WHERE o.business_id = m.business_id
				AND o.customer_id = m.customer_id AND o.processed_at IS NULL AND o.attempts < ? AND o.id < m.id)`+only+`
			ORDER BY m.id LIMIT ?`+lock+`)
		UPDATE inbound_messages SET claim_until = `+untilSQL+`, attempts = attempts + 1
		WHERE id IN (SELECT id FROM picked) AND processed_at IS NULL AND (claim_until IS NULL OR claim_until < `+nowSQL+`)
		RETURNING *`, args...).Find(&claimed).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim unprocessed messages: %w", err)
	}
	sort.Slice(claimed, func(i, j int) bool { return claimed[i].ID < claimed[j].ID })
	return claimed, nil
}

// MarkProcessedBatch records that the bot handled these messages.
func (s *Store) MarkProcessedBatch(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_messages SET processed_at = ?, claim_until = NULL, process_error = ''
		WHERE id IN ?`, now(), ids).Error
	if err != nil {
		return fmt.Errorf("mark %d messages processed: %w", len(ids), err)
	}
	return nil
}

// MarkProcessed records that the bot handled a message (procErr empty) or gave up on it.
func (s *Store) MarkProcessed(ctx context.Context, businessID, id int64, procErr string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_messages SET processed_at = ?, claim_until = NULL, process_error = ?
		WHERE business_id = ? AND id = ?`, now(), procErr, businessID, id).Error
	if err != nil {
		return fmt.Errorf("mark message %d processed: %w", id, err)
	}
	return nil
}

// ReleaseClaim gives a message back for another try after backoff (on the database's clock).
func (s *Store) ReleaseClaim(ctx context.Context, businessID, id int64, backoff time.Duration, procErr string) error {
	at, atArgs := s.dbTime(backoff)
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_messages SET claim_until = `+at+`, process_error = ? WHERE business_id = ? AND id = ?`,
		append(atArgs, procErr, businessID, id)...).Error
	if err != nil {
		return fmt.Errorf("release message %d: %w", id, err)
	}
	return nil
}

// InboundMessages lists a business's inbound messages, newest first (for tests and the conversation view).
func (s *Store) InboundMessages(ctx context.Context, businessID int64, limit int) ([]models.InboundMessage, error) {
	var out []models.InboundMessage
	err := s.db.WithContext(ctx).Where("business_id = ?", businessID).Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list inbound messages of business %d: %w", businessID, err)
	}
	return out, nil
}
