package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ConnectAttempt loads the business's connection in progress, or models.ErrNotFound.
func (s *Store) ConnectAttempt(ctx context.Context, businessID int64) (models.ConnectAttempt, error) {
	var a models.ConnectAttempt
	if err := s.db.WithContext(ctx).Where("business_id = ?", businessID).First(&a).Error; err != nil {
		return a, fmt.Errorf("load connect attempt of business %d: %w", businessID, notFound(err))
	}
	return a, nil
}

// SaveConnectAttempt stores a's progress, replacing the business's earlier attempt.
func (s *Store) SaveConnectAttempt(ctx context.Context, a *models.ConnectAttempt) error {
	t := now()
	a.UpdatedAt = t
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "business_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"method", "step", "phone_number_id", "waba_id", "access_token_enc",
			"pin_enc", "pin_generated", "token_expires_at", "last_error", "updated_at"})}).Omit("id").Create(a).Error
	if err != nil {
		return fmt.Errorf("save connect attempt of business %d: %w", a.BusinessID, err)
	}
	return nil
}

// DeleteConnectAttempt forgets the business's attempt (the owner started over, or it finished).
func (s *Store) DeleteConnectAttempt(ctx context.Context, businessID int64) error {
	if err := s.db.WithContext(ctx).Where("business_id = ?", businessID).Delete(&models.ConnectAttempt{}).Error; err != nil {
		return fmt.Errorf("delete connect attempt of business %d: %w", businessID, err)
	}
	return nil
}

// FinishConnect stores the connected number and drops the attempt in one transaction: either the number is
// connected with everything the steps found, or nothing changed. A number known to this business is reconnected
// in place (its messages and history stay); one of another business is models.ErrNumberTaken.
func (s *Store) FinishConnect(ctx context.Context, p *models.PhoneNumber) error {
	p.Status, p.StatusReason = models.PhoneConnected, ""
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := upsertPhoneNumber(tx, p, map[string]any{"waba_id": p.WABAID, "display_phone_number": p.DisplayPhoneNumber,
			"access_token_enc": p.AccessTokenEnc, "status": p.Status, "status_reason": "", "verified_name": p.VerifiedName,
			"quality_rating": p.QualityRating, "messaging_limit": p.MessagingLimit, "health_note": "",
			"token_expires_at": p.TokenExpiresAt, "token_checked_at": p.TokenCheckedAt})
		if err != nil {
			return err
		}
		if err := tx.Where("business_id = ?", p.BusinessID).Delete(&models.ConnectAttempt{}).Error; err != nil {
			return fmt.Errorf("drop connect attempt: %w", err)
		}
		return nil
	})
}

// DisconnectPhone marks a number disconnected: nothing more is sent from it (queued messages wait), and its
// customers, orders and messages stay.
func (s *Store) DisconnectPhone(ctx context.Context, businessID, id int64, reason string) error {
	res := s.db.WithContext(ctx).Model(&models.PhoneNumber{}).Where("business_id = ? AND id = ?", businessID, id).
		Updates(map[string]any{"status": models.PhoneDisconnected, "status_reason": reason, "updated_at": now()})
	if res.Error != nil {
		return fmt.Errorf("disconnect phone number %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("disconnect phone number %d: %w", id, models.ErrNotFound)
	}
	return nil
}

// PhoneHealth is what an account event changes on a number; nil fields stay as they are.
type PhoneHealth struct {
	Status         *models.PhoneNumberStatus // only between connected and restricted: never over a token or disconnect state
	Note           *string
	QualityRating  *string
	MessagingLimit *string
	VerifiedName   *string
}

// UpdatePhoneHealth applies h to the number with our id.
func (s *Store) UpdatePhoneHealth(ctx context.Context, id int64, h PhoneHealth) error {
	db := s.db.WithContext(ctx)
	set := map[string]any{"updated_at": now()}
	for col, v := range map[string]*string{"health_note": h.Note, "quality_rating": h.QualityRating,
		"messaging_limit": h.MessagingLimit, "verified_name": h.VerifiedName} {
		if v != nil {
			set[col] = *v
		}
	}
	if err := db.Model(&models.PhoneNumber{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("update health of phone number %d: %w", id, err)
	}
	if h.Status != nil {
		err := db.Model(&models.PhoneNumber{}).Where("id = ? AND status IN ?", id,
			[]models.PhoneNumberStatus{models.PhoneConnected, models.PhoneRestricted}).
			Updates(map[string]any{"status": *h.Status, "status_reason": stringOr(h.Note), "updated_at": now()}).Error
		if err != nil {
			return fmt.Errorf("set status of phone number %d: %w", id, err)
		}
	}
	return nil
}

func stringOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// PhoneNumbersOfWABA lists every number of a WhatsApp Business Account, whichever business has it.
func (s *Store) PhoneNumbersOfWABA(ctx context.Context, wabaID string) ([]models.PhoneNumber, error) {
	var out []models.PhoneNumber
	if err := s.db.WithContext(ctx).Where("waba_id = ? AND waba_id <> ''", wabaID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list phone numbers of WABA %s: %w", wabaID, err)
	}
	return out, nil
}

// PhonesDueTokenCheck lists up to limit numbers with a token (connected or restricted) not checked since before.
func (s *Store) PhonesDueTokenCheck(ctx context.Context, before time.Time, limit int) ([]models.PhoneNumber, error) {
	var out []models.PhoneNumber
	err := s.db.WithContext(ctx).Where("status IN ? AND (token_checked_at IS NULL OR token_checked_at < ?)",
		[]models.PhoneNumberStatus{models.PhoneConnected, models.PhoneRestricted}, before.UTC()).
		Order("id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list numbers due a token check: %w", err)
	}
	return out, nil
}

// SetTokenChecked records a token check: when the token expires (nil: never) and when it was checked.
func (s *Store) SetTokenChecked(ctx context.Context, id int64, expiresAt *time.Time, at time.Time) error {
	err := s.db.WithContext(ctx).Model(&models.PhoneNumber{}).Where("id = ?", id).
		Updates(map[string]any{"token_expires_at": expiresAt, "token_checked_at": at.UTC()}).Error
	if err != nil {
		return fmt.Errorf("record token check of phone number %d: %w", id, err)
	}
	return nil
}

// UnappliedAccountEvents lists up to limit stored account events of these fields whose effect was not applied yet,
// oldest first.
func (s *Store) UnappliedAccountEvents(ctx context.Context, fields []string, limit int) ([]models.WebhookEvent, error) {
	var out []models.WebhookEvent
	err := s.db.WithContext(ctx).Where("applied_at IS NULL AND kind = ? AND field IN ?", models.EventKindEvent, fields).
		Order("id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list unapplied account events: %w", err)
	}
	return out, nil
}

// MarkEventApplied records that the event's effect was applied, with a note when it could not be.
func (s *Store) MarkEventApplied(ctx context.Context, id int64, note string) error {
	set := map[string]any{"applied_at": now()}
	if note != "" {
		set["reason"] = note
	}
	if err := s.db.WithContext(ctx).Model(&models.WebhookEvent{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("mark webhook event %d applied: %w", id, err)
	}
	return nil
}
