package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
)

// GiveUpInbound records that the bot gave up on an inbound message, with the reason, flags the customer's thread
// for a person (models.NeedsBotFailed; the thread is created if the bot died before it got that far, e.g. on a
// customer's first message, so the inbox shows it), and queues fallback (the polite "we could not handle that"
// reply; nil for none), in one transaction. The fallback's IdempotencyKey makes it go once, however often this is
// called. It reports whether this call settled the message (false: it was already processed, e.g. by another
// instance).
func (s *Store) GiveUpInbound(ctx context.Context, m models.InboundMessage, reason string, fallback *models.OutboundMessage) (bool, error) {
	settled := false
	err := s.Tx(ctx, func(tx *Store) error {
		res := tx.db.WithContext(ctx).Exec(`UPDATE inbound_messages SET processed_at = ?, claim_until = NULL, process_error = ?
			WHERE business_id = ? AND id = ? AND processed_at IS NULL`, now(), clip(reason), m.BusinessID, m.ID)
		if res.Error != nil {
			return fmt.Errorf("give up inbound message %d: %w", m.ID, res.Error)
		}
		if settled = res.RowsAffected > 0; !settled {
			return nil
		}
		if err := tx.flagGivenUp(ctx, m); err != nil {
			return err
		}
		if fallback == nil {
			return nil
		}
		_, err := tx.EnqueueOutbound(ctx, fallback)
		return err
	})
	return settled, err
}

// flagGivenUp flags the thread of m's customer for a person (models.NeedsBotFailed), like FlagThread, creating the
// thread when the bot never loaded it.
func (s *Store) flagGivenUp(ctx context.Context, m models.InboundMessage) error {
	t, last := now(), m.SentAt.UTC()
	if m.SentAt.IsZero() {
		last = t
	}
	err := s.db.WithContext(ctx).Exec(`INSERT INTO conversations (business_id, customer_id, state, data, version, last_message_at, needs_human, updated_at)
		VALUES (?, ?, '', '{}', 0, ?, ?, ?) ON CONFLICT (business_id, customer_id)
		DO UPDATE SET needs_human = excluded.needs_human, updated_at = excluded.updated_at WHERE conversations.taken_over_at IS NULL`,
		m.BusinessID, m.CustomerID, last, models.NeedsBotFailed, t).Error
	if err != nil {
		return fmt.Errorf("flag the thread of customer %d for a person: %w", m.CustomerID, err)
	}
	return nil
}

// ExhaustedInbound lists up to limit unprocessed messages that used up maxAttempts without being settled: the
// service stopped (crash, SIGKILL, lost database) during their last attempt, so nobody will claim them again.
// Messages still leased (on the database's clock, like the claims) are left alone: their last attempt may be running.
func (s *Store) ExhaustedInbound(ctx context.Context, maxAttempts, limit int) ([]models.InboundMessage, error) {
	var out []models.InboundMessage
	nowSQL, nowArgs := s.dbTime(0)
	err := s.db.WithContext(ctx).Where("processed_at IS NULL AND attempts >= ? AND (claim_until IS NULL OR claim_until < "+nowSQL+")",
		append([]any{maxAttempts}, nowArgs...)...).Order("id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list exhausted inbound messages: %w", err)
	}
	return out, nil
}

// FailOutboundWithFallback gives up on a claimed message like FailOutbound, and queues fallback (nil for none) in
// the same transaction.
func (s *Store) FailOutboundWithFallback(ctx context.Context, m models.OutboundMessage, code int, reason string, fallback *models.OutboundMessage) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.FailOutbound(ctx, m, code, reason); err != nil {
			return err
		}
		if fallback == nil {
			return nil
		}
		_, err := tx.EnqueueOutbound(ctx, fallback)
		return err
	})
}

// ExpireHeld fails, with reason, up to limit held messages queued before cutoff (written, or retried by the
// merchant: models.OutboundMessage.QueuedAt): sending them now would be stale ("your order is ready" days later).
// A held message still leased, on the database's clock like the claims, is its worker's to settle. It returns how
// many it expired.
func (s *Store) ExpireHeld(ctx context.Context, cutoff time.Time, reason string, limit int) (int64, error) {
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	t := now()
	nowSQL, nowArgs := s.dbTime(0)
	args := append([]any{cutoff.UTC()}, nowArgs...)
	args = append(args, limit, t, clip(reason), t)
	res := s.db.WithContext(ctx).Exec(`WITH picked AS MATERIALIZED (SELECT id FROM outbound_messages
			WHERE status = 'held' AND COALESCE(retried_at, created_at) < ? AND (claim_until IS NULL OR claim_until < `+nowSQL+`)
			ORDER BY id LIMIT ?`+lock+`)
		UPDATE outbound_messages SET status = 'failed', failed_at = ?, last_error = ?, claim_until = NULL, updated_at = ?
		WHERE id IN (SELECT id FROM picked) AND status = 'held'`, args...)
	if res.Error != nil {
		return 0, fmt.Errorf("expire held messages: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// OutboundNeedingAttention lists a business's newest limit replies that failed or are held, newest first: the
// dashboard shows them with their reason and a retry button.
func (s *Store) OutboundNeedingAttention(ctx context.Context, businessID int64, limit int) ([]models.OutboundMessage, error) {
	var out []models.OutboundMessage
	err := s.db.WithContext(ctx).Where("business_id = ? AND status IN ('failed', 'held')", businessID).
		Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list failed and held messages of business %d: %w", businessID, err)
	}
	return out, nil
}

// FailedInbound lists a business's newest limit customer messages the bot gave up on, newest first.
func (s *Store) FailedInbound(ctx context.Context, businessID int64, limit int) ([]models.InboundMessage, error) {
	var out []models.InboundMessage
	err := s.db.WithContext(ctx).Where("business_id = ? AND process_error <> '' AND processed_at IS NOT NULL", businessID).
		Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list failed inbound messages of business %d: %w", businessID, err)
	}
	return out, nil
}

// RetryOutbound puts a failed or held reply of the business back in the queue, due now, with a fresh count of
// attempts and a fresh HELD_MESSAGE_TTL (retried_at; created_at keeps its place in the thread): the merchant's
// retry. Outside the customer's window it goes as the template, or is held again. A message that is not failed or
// held (already retried, sent meanwhile) is models.ErrNotFound.
func (s *Store) RetryOutbound(ctx context.Context, businessID, id int64) error {
	t := now()
	due, dueArgs := s.dbTime(0)
	args := append(dueArgs, t, t, businessID, id)
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'queued', attempts = 0, next_attempt_at = `+due+`,
			error_code = 0, wamid = NULL, sent_at = NULL, delivered_at = NULL, read_at = NULL, failed_at = NULL,
			claim_until = NULL, retried_at = ?, updated_at = ?
		WHERE business_id = ? AND id = ? AND status IN ('failed', 'held')`, args...)
	if res.Error != nil {
		return fmt.Errorf("retry outbound %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("retry outbound %d: %w", id, models.ErrNotFound)
	}
	return nil
}
