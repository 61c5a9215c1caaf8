package repository

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/requestid"
)

// EnqueueOutbound writes a message to the outbox, to be sent by the queue workers. Call it inside Tx with whatever
// caused the message. A second call with the same IdempotencyKey inserts nothing and reports created false. A
// message naming no RequestID takes ctx's (the request that caused it), so the send is logged with that id.
func (s *Store) EnqueueOutbound(ctx context.Context, m *models.OutboundMessage) (created bool, err error) {
	n, err := s.EnqueueOutbounds(ctx, []*models.OutboundMessage{m})
	return n == 1, err
}

// EnqueueOutbounds writes messages to the outbox in one statement, in their order: their ids ascend in it, and a
// chat's messages are sent in id order. Each message is as EnqueueOutbound's; one whose IdempotencyKey is already
// queued is skipped (its ID stays 0). It returns how many were created.
func (s *Store) EnqueueOutbounds(ctx context.Context, ms []*models.OutboundMessage) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	t := now()
	// Due now by the database's clock unless the caller chose a time: claims compare against that clock. On
	// PostgreSQL a row without a time passes NULL and takes now(); SQLite's clock is this process's.
	due := "?"
	if s.postgres {
		due = "COALESCE(CAST(? AS timestamptz), now())"
	}
	args := make([]any, 0, len(ms)*13)
	for _, m := range ms {
		if m.Status == "" {
			m.Status = models.OutQueued
		}
		if m.RequestID == "" {
			m.RequestID = requestid.From(ctx)
		}
		m.CreatedAt, m.UpdatedAt = t, t
		var at any
		switch {
		case !m.NextAttemptAt.IsZero():
			at = m.NextAttemptAt.UTC()
		case !s.postgres:
			at = t
		}
		args = append(args, m.BusinessID, m.PhoneNumberID, m.CustomerID, m.ToWaID, m.Kind, m.Payload, m.Summary, m.Status,
			m.IdempotencyKey, m.RequestID, at, t, t)
	}
	q := `INSERT INTO outbound_messages (business_id, phone_number_id, customer_id, to_wa_id, kind,
		payload, summary, status, idempotency_key, request_id, next_attempt_at, created_at, updated_at) VALUES ` +
		valueRows(len(ms), "(?,?,?,?,?,?,?,?,?,?,"+due+",?,?)") +
		" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key, next_attempt_at"
	var rows []struct {
		ID             int64
		IdempotencyKey string
		NextAttemptAt  time.Time
	}
	if err := s.db.WithContext(ctx).Raw(q, args...).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("enqueue %d outbound messages (first %s): %w", len(ms), ms[0].IdempotencyKey, err)
	}
	for _, r := range rows {
		for _, m := range ms {
			if m.IdempotencyKey == r.IdempotencyKey && m.ID == 0 {
				m.ID, m.NextAttemptAt = r.ID, r.NextAttemptAt
				break
			}
		}
	}
	return len(rows), nil
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
		Where("business_id = ?", businessID).Group("status").Find(&rows).Error
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
