package repository

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/waorder/waorder/models"
)

// This file is the queue of customers' files to fetch (inbound_media) and what the dashboard reads of it. Leases
// and due times are on the database's clock, like the other queues'.

// RecordInboundMedia queues m's file for fetching, once per inbound message: a second call for the same message
// changes nothing and reports false.
func (s *Store) RecordInboundMedia(ctx context.Context, m models.InboundMedia) (bool, error) {
	nowSQL, nowArgs := s.dbTime(0)
	t := now()
	args := []any{m.BusinessID, m.InboundMessageID, m.PhoneNumberID, m.Kind, m.MediaID, m.MimeType, m.Filename,
		models.MediaPending}
	args = append(args, nowArgs...)
	args = append(args, t, t)
	res := s.db.WithContext(ctx).Exec(`INSERT INTO inbound_media (business_id, inbound_message_id, phone_number_id,
		kind, media_id, mime_type, filename, status, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, `+nowSQL+`, ?, ?) ON CONFLICT (inbound_message_id) DO NOTHING`, args...)
	if res.Error != nil {
		return false, fmt.Errorf("queue media of message %d: %w", m.InboundMessageID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// ClaimInboundMedia leases up to limit due files (pending, not leased, fewer than maxAttempts tries), oldest due
// first, counting the try.
func (s *Store) ClaimInboundMedia(ctx context.Context, limit int, lease time.Duration, maxAttempts int) ([]models.InboundMedia, error) {
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	nowSQL, nowArgs := s.dbTime(0)
	untilSQL, untilArgs := s.dbTime(lease)
	var args []any
	args = append(args, models.MediaPending, maxAttempts)
	args = append(args, nowArgs...)
	args = append(args, nowArgs...)
	args = append(args, limit)
	args = append(args, untilArgs...)
	args = append(args, nowArgs...)
	var claimed []models.InboundMedia
	err := s.freshPlans(ctx, func(tx *Store) error {
		return tx.db.WithContext(ctx).Raw(`WITH picked AS MATERIALIZED (
			SELECT id FROM inbound_media WHERE status = ? AND attempts < ? AND next_attempt_at <= `+nowSQL+`
			AND (claim_until IS NULL OR claim_until < `+nowSQL+`) ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
		UPDATE inbound_media SET claim_until = `+untilSQL+`, attempts = attempts + 1
		WHERE id IN (SELECT id FROM picked) AND (claim_until IS NULL OR claim_until < `+nowSQL+`)
		RETURNING *`, args...).Find(&claimed).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim media to fetch: %w", err)
	}
	sort.Slice(claimed, func(i, j int) bool { return claimed[i].ID < claimed[j].ID })
	return claimed, nil
}

// MediaStored records that a file is kept under key, with its checked type and size.
func (s *Store) MediaStored(ctx context.Context, businessID, id int64, key, mimeType string, size int64) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_media SET status = ?, storage_key = ?, mime_type = ?,
		size_bytes = ?, reason = '', claim_until = NULL, updated_at = ? WHERE business_id = ? AND id = ?`,
		models.MediaStored, key, mimeType, size, now(), businessID, id).Error
	if err != nil {
		return fmt.Errorf("record media %d stored: %w", id, err)
	}
	return nil
}

// MediaRetry gives a file back for another try after backoff, keeping why this one failed.
func (s *Store) MediaRetry(ctx context.Context, businessID, id int64, backoff time.Duration, reason string) error {
	at, atArgs := s.dbTime(backoff)
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_media SET next_attempt_at = `+at+`, claim_until = NULL,
		reason = ?, updated_at = ? WHERE business_id = ? AND id = ? AND status = ?`,
		append(atArgs, reason, now(), businessID, id, models.MediaPending)...).Error
	if err != nil {
		return fmt.Errorf("release media %d: %w", id, err)
	}
	return nil
}

// MediaFailed gives a file up with the reason the merchant sees; its message stays as it is.
func (s *Store) MediaFailed(ctx context.Context, businessID, id int64, reason string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_media SET status = ?, reason = ?, claim_until = NULL,
		updated_at = ? WHERE business_id = ? AND id = ?`, models.MediaFailed, reason, now(), businessID, id).Error
	if err != nil {
		return fmt.Errorf("record media %d failed: %w", id, err)
	}
	return nil
}

// SettleExhaustedMedia fails files whose last try never finished (the service stopped during it): nobody would
// claim them again. It returns how many it settled.
func (s *Store) SettleExhaustedMedia(ctx context.Context, maxAttempts int) (int64, error) {
	nowSQL, nowArgs := s.dbTime(0)
	args := []any{models.MediaFailed, fmt.Sprintf("gave up after %d attempts", maxAttempts), now(), models.MediaPending, maxAttempts}
	res := s.db.WithContext(ctx).Exec(`UPDATE inbound_media SET status = ?,
		reason = CASE WHEN reason = '' THEN ? ELSE reason END, claim_until = NULL, updated_at = ?
		WHERE status = ? AND attempts >= ? AND (claim_until IS NULL OR claim_until < `+nowSQL+`)`,
		append(args, nowArgs...)...)
	if res.Error != nil {
		return 0, fmt.Errorf("settle exhausted media: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// InboundMediaOfMessages returns the files of these messages of a business, by message id.
func (s *Store) InboundMediaOfMessages(ctx context.Context, businessID int64, messageIDs []int64) (map[int64]models.InboundMedia, error) {
	out := make(map[int64]models.InboundMedia, len(messageIDs))
	if len(messageIDs) == 0 {
		return out, nil
	}
	var rows []models.InboundMedia
	if err := s.db.WithContext(ctx).Where("business_id = ? AND inbound_message_id IN ?", businessID, messageIDs).
		Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list media of %d messages: %w", len(messageIDs), err)
	}
	for _, r := range rows {
		out[r.InboundMessageID] = r
	}
	return out, nil
}

// InboundMedia loads one file of a business; another business's id is ErrNotFound.
func (s *Store) InboundMedia(ctx context.Context, businessID, id int64) (models.InboundMedia, error) {
	var m models.InboundMedia
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id = ?", businessID, id).First(&m).Error; err != nil {
		return m, fmt.Errorf("load media %d: %w", id, notFound(err))
	}
	return m, nil
}

// InboundWithFilesSettledSince returns the customer's messages whose file was stored, refused or removed at or
// after from, oldest change first: an open thread redraws them as their files arrive.
func (s *Store) InboundWithFilesSettledSince(ctx context.Context, businessID, customerID int64, from time.Time, limit int) ([]models.InboundMessage, error) {
	var out []models.InboundMessage
	err := s.db.WithContext(ctx).Raw(`SELECT m.* FROM inbound_media f JOIN inbound_messages m ON m.id = f.inbound_message_id
		WHERE f.business_id = ? AND f.updated_at >= ? AND f.status IN ? AND m.customer_id = ?
		ORDER BY f.updated_at, f.id LIMIT ?`, businessID, from.UTC(),
		[]models.MediaStatus{models.MediaStored, models.MediaFailed, models.MediaExpired}, customerID, limit).
		Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list files of customer %d settled since %s: %w", customerID, from.Format(time.RFC3339), err)
	}
	return out, nil
}

// ExpiringMedia marks up to limit stored files received before before as expiring and returns them, so the caller
// removes each from the media store and then records it with MediaExpired. Rows an earlier pass left expiring (it
// stopped between the two) are taken again; removing a file twice is harmless, so two instances may overlap.
func (s *Store) ExpiringMedia(ctx context.Context, before time.Time, limit int) ([]models.InboundMedia, error) {
	var out []models.InboundMedia
	err := s.db.WithContext(ctx).Raw(`UPDATE inbound_media SET status = ?, updated_at = ? WHERE id IN (
			SELECT id FROM inbound_media WHERE status IN ? AND created_at < ? ORDER BY created_at LIMIT ?`+s.skipLocked()+`)
		RETURNING *`, models.MediaExpiring, now(), []models.MediaStatus{models.MediaStored, models.MediaExpiring},
		before.UTC(), limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("pick files received before %s to remove: %w", before.Format(time.RFC3339), err)
	}
	return out, nil
}

// MediaExpired records that the files ids were removed from the media store, with the reason the thread shows.
func (s *Store) MediaExpired(ctx context.Context, ids []int64, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Exec(`UPDATE inbound_media SET status = ?, storage_key = '', reason = ?, updated_at = ?
		WHERE id IN ? AND status = ?`, models.MediaExpired, reason, now(), ids, models.MediaExpiring).Error
	if err != nil {
		return fmt.Errorf("record %d removed files: %w", len(ids), err)
	}
	return nil
}
