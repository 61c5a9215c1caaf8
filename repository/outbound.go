package repository

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
)

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

// ClaimOutbound leases up to limit due messages for owner. Only the oldest queued message of each customer is
// eligible, so a customer's messages go out in order, across instances; numbers whose token expired are skipped
// (their messages wait, queued). Two workers never hold the same row: the lease is taken by a conditional update.
func (s *Store) ClaimOutbound(ctx context.Context, limit int, lease time.Duration, owner string) ([]models.OutboundMessage, error) {
	t := now()
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE OF m SKIP LOCKED"
	}
	var out []models.OutboundMessage
	err := s.db.WithContext(ctx).Raw(`UPDATE outbound_messages SET claim_until = ?, claimed_by = ?
		WHERE id IN (
			SELECT m.id FROM outbound_messages m JOIN phone_numbers p ON p.id = m.phone_number_id
			WHERE m.status = 'queued' AND m.next_attempt_at <= ? AND (m.claim_until IS NULL OR m.claim_until < ?)
			AND p.status = 'connected'
			AND NOT EXISTS (SELECT 1 FROM outbound_messages o WHERE o.business_id = m.business_id
				AND o.customer_id = m.customer_id AND o.status = 'queued' AND o.id < m.id)
			ORDER BY m.id LIMIT ?`+lock+`)
		AND status = 'queued' AND (claim_until IS NULL OR claim_until < ?)
		RETURNING *`, t.Add(lease), owner, t, t, limit, t).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim outbound messages: %w", err)
	}
	return out, nil
}

// MarkOutboundSent records Meta's wamid for a sent message, then applies any status webhook that arrived for that
// wamid before we knew it.
func (s *Store) MarkOutboundSent(ctx context.Context, m models.OutboundMessage, wamid string) error {
	t := now()
	err := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'sent', wamid = ?, sent_at = ?, updated_at = ?,
		attempts = attempts + 1, claim_until = NULL, last_error = '', error_code = 0 WHERE business_id = ? AND id = ?`,
		wamid, t, t, m.BusinessID, m.ID).Error
	if err != nil {
		return fmt.Errorf("mark outbound %d sent: %w", m.ID, err)
	}
	var early []models.MessageStatus
	if err := s.db.WithContext(ctx).Where("business_id = ? AND wamid = ?", m.BusinessID, wamid).Order("status_at").
		Find(&early).Error; err != nil {
		return fmt.Errorf("load early statuses of %s: %w", wamid, err)
	}
	for _, st := range early {
		if err := s.applyStatus(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// RetryOutbound gives a message back to the queue for another attempt at at.
func (s *Store) RetryOutbound(ctx context.Context, m models.OutboundMessage, at time.Time, code int, reason string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'queued', next_attempt_at = ?, attempts = attempts + 1,
		claim_until = NULL, error_code = ?, last_error = ?, updated_at = ? WHERE business_id = ? AND id = ?`,
		at.UTC(), code, truncate(reason, 500), now(), m.BusinessID, m.ID).Error
	if err != nil {
		return fmt.Errorf("retry outbound %d: %w", m.ID, err)
	}
	return nil
}

// FailOutbound gives up on a message, keeping the reason.
func (s *Store) FailOutbound(ctx context.Context, m models.OutboundMessage, code int, reason string) error {
	t := now()
	err := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'failed', failed_at = ?, attempts = attempts + 1,
		claim_until = NULL, error_code = ?, last_error = ?, updated_at = ? WHERE business_id = ? AND id = ?`,
		t, code, truncate(reason, 500), t, m.BusinessID, m.ID).Error
	if err != nil {
		return fmt.Errorf("fail outbound %d: %w", m.ID, err)
	}
	return nil
}

// HoldOutbound keeps a message unsent (outside the 24-hour window with no template) until ReleaseHeld.
func (s *Store) HoldOutbound(ctx context.Context, m models.OutboundMessage, code int, reason string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'held', claim_until = NULL, error_code = ?,
		last_error = ?, updated_at = ? WHERE business_id = ? AND id = ?`, code, truncate(reason, 500), now(), m.BusinessID, m.ID).Error
	if err != nil {
		return fmt.Errorf("hold outbound %d: %w", m.ID, err)
	}
	return nil
}

// ReplaceOutboundPayload swaps what will be sent (a template in place of free text outside the window).
func (s *Store) ReplaceOutboundPayload(ctx context.Context, m models.OutboundMessage, kind, payload string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET kind = ?, payload = ?, updated_at = ? WHERE business_id = ? AND id = ?`,
		kind, payload, now(), m.BusinessID, m.ID).Error
	if err != nil {
		return fmt.Errorf("replace payload of outbound %d: %w", m.ID, err)
	}
	return nil
}

// ReleaseHeld re-queues a customer's held messages: the customer wrote again, so the window is open.
func (s *Store) ReleaseHeld(ctx context.Context, businessID, customerID int64) (int64, error) {
	t := now()
	res := s.db.WithContext(ctx).Exec(`UPDATE outbound_messages SET status = 'queued', next_attempt_at = ?, updated_at = ?
		WHERE business_id = ? AND customer_id = ? AND status = 'held'`, t, t, businessID, customerID)
	if res.Error != nil {
		return 0, fmt.Errorf("release held messages of customer %d: %w", customerID, res.Error)
	}
	return res.RowsAffected, nil
}

// OutboundForCustomer lists the messages sent (or to be sent) to a customer, oldest first.
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

// truncate keeps error texts stored on rows short.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n]
}
