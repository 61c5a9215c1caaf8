package repository

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waorder/waorder/models"
)

// ErrLeaseLost means a claimed outbound message is no longer this worker's to settle: its lease ran out and another
// worker claimed it, or it was already recorded as sent. Nothing was written.
var ErrLeaseLost = errors.New("outbound message lease lost")

// EnqueueOutbound writes a message to the outbox, to be sent by the queue workers. Call it inside Tx with whatever
// caused the message. A second call with the same IdempotencyKey inserts nothing and reports created false.
func (s *Store) EnqueueOutbound(ctx context.Context, m *models.OutboundMessage) (created bool, err error) {
	t := now()
	if m.Status == "" {
		m.Status = models.OutQueued
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = t
	}
	m.CreatedAt, m.UpdatedAt = t, t
	var ids []int64
	err = s.db.WithContext(ctx).Raw(`INSERT INTO outbound_messages (business_id, phone_number_id, customer_id, to_wa_id, kind,
		payload, summary, status, idempotency_key, next_attempt_at, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		m.BusinessID, m.PhoneNumberID, m.CustomerID, m.ToWaID, m.Kind, m.Payload, m.Summary, m.Status, m.IdempotencyKey,
		m.NextAttemptAt.UTC(), t, t).Scan(&ids).Error
	if err != nil {
		return false, fmt.Errorf("enqueue outbound %s: %w", m.IdempotencyKey, err)
	}
	if len(ids) == 0 {
		return false, nil
	}
	m.ID = ids[0]
	return true, nil
}

// ClaimOutbound leases up to limit due messages to owner until now+lease, oldest first. It is the queue's only
// entrance, for every business, and keeps three rules across any number of instances:
//
//   - One chat at a time: only the oldest unsent message of each (phone number, customer) is eligible, so a
//     customer's messages go out one by one, in order. A message waiting for a retry still blocks the ones after it.
//   - Held messages (outside the 24-hour window, no template) come back by themselves: a held row is eligible again
//     once the customer has written after it was held (customers.last_inbound_at > its next_attempt_at, which holds
//     the customer's last inbound time when it was held), and then it blocks newer messages like a queued one.
//     A held message the customer has not answered does not block: a template queued after it can still go.
//   - Numbers that are not connected (token expired, disconnected) are skipped; their messages wait, queued, and go
//     as soon as the number is connected again.
//
// Two workers never hold the same row: the lease is taken by a conditional update (with SKIP LOCKED on PostgreSQL,
// the write lock on SQLite).
func (s *Store) ClaimOutbound(ctx context.Context, limit int, lease time.Duration, owner string) ([]models.OutboundMessage, error) {
	t := now()
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []models.OutboundMessage
	// The pick is a materialized CTE, evaluated once: written "id IN (SELECT … LIMIT n SKIP LOCKED)", PostgreSQL may
	// run the subquery again and, skipping the rows it just locked, claim more than n. Only m is in its FROM (numbers
	// and customers are looked up per row), so both databases walk the unsent index in id order and stop at the
	// limit, however long the history.
	err := s.db.WithContext(ctx).Raw(`WITH picked AS MATERIALIZED (
			SELECT m.id FROM outbound_messages m
			WHERE m.status IN ('queued', 'held') AND (m.claim_until IS NULL OR m.claim_until < ?)
			AND ((m.status = 'queued' AND m.next_attempt_at <= ?)
				OR (m.status = 'held' AND (SELECT c.last_inbound_at FROM customers c WHERE c.id = m.customer_id) > m.next_attempt_at))
			AND EXISTS (SELECT 1 FROM phone_numbers p WHERE p.id = m.phone_number_id AND p.status = 'connected')
			AND NOT EXISTS (SELECT 1 FROM outbound_messages o WHERE o.phone_number_id = m.phone_number_id
				AND o.customer_id = m.customer_id AND o.id < m.id AND o.status IN ('queued', 'held')
				AND (o.status = 'queued' OR (SELECT c.last_inbound_at FROM customers c WHERE c.id = o.customer_id) > o.next_attempt_at))
			ORDER BY m.id LIMIT ?`+lock+`)
		UPDATE outbound_messages SET claim_until = ?, claimed_by = ?, status = 'queued',
			error_code = CASE WHEN status = 'held' THEN 0 ELSE error_code END
		WHERE id IN (SELECT id FROM picked) AND status IN ('queued', 'held') AND (claim_until IS NULL OR claim_until < ?)
		RETURNING *`, t, t, limit, t.Add(lease), owner, t).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim outbound messages: %w", err)
	}
	return out, nil
}

// settle writes the outcome of a claimed message, only while m is still queued and claimed by the same owner, and
// releases the claim. m.Attempts is written as is: the worker counts the sends it makes.
func (s *Store) settle(ctx context.Context, m models.OutboundMessage, what, set string, args ...any) error {
	args = append(args, m.Attempts, now(), m.BusinessID, m.ID, m.ClaimedBy)
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET `+set+`, attempts = ?, claim_until = NULL, updated_at = ?
		WHERE business_id = ? AND id = ? AND status = 'queued' AND claimed_by = ?`, args...)
	if res.Error != nil {
		return fmt.Errorf("%s outbound %d: %w", what, m.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s outbound %d: %w", what, m.ID, ErrLeaseLost)
	}
	return nil
}

// MarkOutboundSent records Meta's wamid for a sent message, then applies any status webhook that arrived for that
// wamid before we knew it, in one transaction. The send happened, so it is recorded whoever holds the lease now;
// ErrLeaseLost means the row was already recorded as sent: the message went out twice.
func (s *Store) MarkOutboundSent(ctx context.Context, m models.OutboundMessage, wamid string) error {
	return s.Tx(ctx, func(tx *Store) error {
		t := now()
		res := tx.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'sent', wamid = ?, sent_at = ?, attempts = ?,
			claim_until = NULL, last_error = '', error_code = 0, updated_at = ? WHERE business_id = ? AND id = ? AND status = 'queued'`,
			wamid, t, m.Attempts, t, m.BusinessID, m.ID)
		if res.Error != nil {
			return fmt.Errorf("mark outbound %d sent: %w", m.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("mark outbound %d sent as %s: %w", m.ID, wamid, ErrLeaseLost)
		}
		var early []models.MessageStatus
		if err := tx.db.WithContext(ctx).Where("business_id = ? AND wamid = ?", m.BusinessID, wamid).Find(&early).Error; err != nil {
			return fmt.Errorf("load early statuses of %s: %w", wamid, err)
		}
		for _, st := range early {
			if err := tx.applyStatus(ctx, st); err != nil {
				return err
			}
		}
		return nil
	})
}

// RequeueOutbound gives a claimed message back to the queue, due at at: a retry (the worker counted the attempt in
// m.Attempts) or a deferral (it did not).
func (s *Store) RequeueOutbound(ctx context.Context, m models.OutboundMessage, at time.Time, code int, reason string) error {
	return s.settle(ctx, m, "requeue", "next_attempt_at = ?, error_code = ?, last_error = ?", at.UTC(), code, clip(reason))
}

// FailOutbound gives up on a claimed message, keeping the reason.
func (s *Store) FailOutbound(ctx context.Context, m models.OutboundMessage, code int, reason string) error {
	return s.settle(ctx, m, "fail", "status = 'failed', failed_at = ?, error_code = ?, last_error = ?", now(), code, clip(reason))
}

// HoldOutbound keeps a claimed message unsent until the customer writes after lastInbound (their last inbound
// time as the worker saw it; zero if they never wrote): ClaimOutbound then releases it on its own.
func (s *Store) HoldOutbound(ctx context.Context, m models.OutboundMessage, lastInbound time.Time, code int, reason string) error {
	if lastInbound.IsZero() {
		lastInbound = time.Unix(0, 0)
	}
	return s.settle(ctx, m, "hold", "status = 'held', next_attempt_at = ?, error_code = ?, last_error = ?",
		lastInbound.UTC(), code, clip(reason))
}

// ReplaceOutboundPayload swaps what a claimed message will send (a template in place of free text outside the
// window); the claim stays.
func (s *Store) ReplaceOutboundPayload(ctx context.Context, m models.OutboundMessage, kind, payload string) error {
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET kind = ?, payload = ?, updated_at = ?
		WHERE business_id = ? AND id = ? AND status = 'queued' AND claimed_by = ?`, kind, payload, now(), m.BusinessID, m.ID, m.ClaimedBy)
	if res.Error != nil {
		return fmt.Errorf("replace payload of outbound %d: %w", m.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("replace payload of outbound %d: %w", m.ID, ErrLeaseLost)
	}
	return nil
}

// RequeueWindowFailures puts back in the queue up to limit free-form messages that Meta accepted and then failed
// with 131047 (outside the 24-hour window) in a status webhook. They keep error_code 131047, which tells the worker
// to send the business's template instead, or hold them. Their wamid is cleared: that send is over. It returns how
// many were requeued.
func (s *Store) RequeueWindowFailures(ctx context.Context, limit int) (int64, error) {
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	t := now()
	res := s.db.WithContext(ctx).Exec(`WITH picked AS MATERIALIZED (SELECT id FROM outbound_messages
			WHERE status = 'failed' AND error_code = 131047 AND kind <> 'template' ORDER BY id LIMIT ?`+lock+`)
		UPDATE outbound_messages SET status = 'queued', wamid = NULL, sent_at = NULL, delivered_at = NULL, read_at = NULL,
			failed_at = NULL, claim_until = NULL, next_attempt_at = ?, updated_at = ?
		WHERE id IN (SELECT id FROM picked) AND status = 'failed' AND error_code = 131047`, limit, t, t)
	if res.Error != nil {
		return 0, fmt.Errorf("requeue messages failed outside the window: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// ReleaseHeldForCustomer re-queues a customer's held messages now. ClaimOutbound already releases them when the
// customer writes again, so no caller needs this for that; it is for sending them after something else changed,
// e.g. the merchant configured a template (outside the window they are sent as the template, or held again).
func (s *Store) ReleaseHeldForCustomer(ctx context.Context, businessID, customerID int64) (int64, error) {
	t := now()
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'queued', next_attempt_at = ?, error_code = 0,
		updated_at = ? WHERE business_id = ? AND customer_id = ? AND status = 'held'`, t, t, businessID, customerID)
	if res.Error != nil {
		return 0, fmt.Errorf("release held messages of customer %d: %w", customerID, res.Error)
	}
	return res.RowsAffected, nil
}

// DisconnectPhoneNumber marks a connected number token_expired or disconnected with the reason, unless its access
// token changed since p was read (it was reconnected meanwhile). It reports whether the number was changed.
func (s *Store) DisconnectPhoneNumber(ctx context.Context, p models.PhoneNumber, status models.PhoneNumberStatus, reason string) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE phone_numbers SET status = ?, status_reason = ?, updated_at = ?
		WHERE business_id = ? AND id = ? AND access_token_enc = ? AND status = 'connected'`,
		status, clip(reason), now(), p.BusinessID, p.ID, p.AccessTokenEnc)
	if res.Error != nil {
		return false, fmt.Errorf("set phone number %d %s: %w", p.ID, status, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// OutboundForCustomer lists the newest limit messages sent (or to be sent) to a customer, oldest first: the
// conversation view.
func (s *Store) OutboundForCustomer(ctx context.Context, businessID, customerID int64, limit int) ([]models.OutboundMessage, error) {
	var out []models.OutboundMessage
	err := s.db.WithContext(ctx).Where("business_id = ? AND customer_id = ?", businessID, customerID).
		Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list outbound messages of customer %d: %w", customerID, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Outbound loads one outbound message of a business.
func (s *Store) Outbound(ctx context.Context, businessID, id int64) (models.OutboundMessage, error) {
	var m models.OutboundMessage
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id = ?", businessID, id).First(&m).Error; err != nil {
		return m, fmt.Errorf("load outbound %d: %w", id, notFound(err))
	}
	return m, nil
}

// OutboundCounts counts a business's outbound messages by status.
func (s *Store) OutboundCounts(ctx context.Context, businessID int64) (map[models.OutboundStatus]int64, error) {
	var rows []struct {
		Status models.OutboundStatus
		N      int64
	}
	err := s.db.WithContext(ctx).Model(&models.OutboundMessage{}).Select("status, COUNT(*) AS n").
		Where("business_id = ?", businessID).Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count outbound messages of business %d: %w", businessID, err)
	}
	out := map[models.OutboundStatus]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// clip keeps error texts stored on rows short, without cutting a character in two.
func clip(s string) string {
	const n = 500
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
