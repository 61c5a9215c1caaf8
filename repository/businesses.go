package repository

import (
	"context"
	"errors"
	"fmt"

	"github.com/waorder/waorder/models"
	"gorm.io/gorm"
)

// CreateBusiness inserts a business with sensible defaults for what b leaves empty.
func (s *Store) CreateBusiness(ctx context.Context, b *models.Business) error {
	if b.Currency == "" {
		b.Currency = "USD"
	}
	if b.Timezone == "" {
		b.Timezone = "UTC"
	}
	if b.Fulfillment == "" {
		b.Fulfillment = models.FulfillBoth
	}
	if b.TemplateLanguage == "" {
		b.TemplateLanguage = "en_US"
	}
	if b.Language == "" {
		b.Language = "en"
	}
	if err := s.db.WithContext(ctx).Create(b).Error; err != nil {
		return fmt.Errorf("create business %q: %w", b.Name, err)
	}
	return nil
}

// Business loads one business.
func (s *Store) Business(ctx context.Context, id int64) (models.Business, error) {
	var b models.Business
	if err := s.db.WithContext(ctx).First(&b, id).Error; err != nil {
		return b, fmt.Errorf("load business %d: %w", id, notFound(err))
	}
	return b, nil
}

// Businesses lists every business (operators' commands and start-up bootstrap).
func (s *Store) Businesses(ctx context.Context) ([]models.Business, error) {
	var out []models.Business
	if err := s.db.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list businesses: %w", err)
	}
	return out, nil
}

// UpdateBusinessSettings saves the merchant-editable settings of b (not its id, sequence or timestamps).
func (s *Store) UpdateBusinessSettings(ctx context.Context, b models.Business) error {
	err := s.db.WithContext(ctx).Model(&models.Business{}).Where("id = ?", b.ID).Updates(map[string]any{
		"name": b.Name, "currency": b.Currency, "timezone": b.Timezone, "opening_hours": b.OpeningHours,
		"greeting": b.Greeting, "fulfillment": b.Fulfillment, "min_order_minor": b.MinOrderMinor,
		"window_template": b.WindowTemplate, "template_language": b.TemplateLanguage, "catalog_id": b.CatalogID,
		"delivery_fee_minor": b.DeliveryFeeMinor, "free_delivery_over_minor": b.FreeDeliveryOverMinor, "language": b.Language,
		"require_contact_phone": b.RequireContactPhone, "updated_at": now(),
	}).Error
	if err != nil {
		return fmt.Errorf("update settings of business %d: %w", b.ID, err)
	}
	return nil
}

// AddPhoneNumber registers a WhatsApp number for a business. Re-adding a number Meta's id already names for the same
// business replaces its token and marks it connected (a reconnect after the token expired); one of another business
// is models.ErrNumberTaken.
func (s *Store) AddPhoneNumber(ctx context.Context, p *models.PhoneNumber) error {
	if p.Status == "" {
		p.Status = models.PhoneConnected
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return upsertPhoneNumber(tx, p, map[string]any{"access_token_enc": p.AccessTokenEnc, "waba_id": p.WABAID,
			"display_phone_number": p.DisplayPhoneNumber, "status": models.PhoneConnected, "status_reason": ""})
	})
}

// upsertPhoneNumber stores p inside tx, found by Meta's id: a number of p's business is reconnected in place with the
// columns in reconnect (its messages and history stay, and p takes its id), one of another business is
// models.ErrNumberTaken, and an unknown one is inserted. Only a miss inserts: any other lookup error is returned.
func upsertPhoneNumber(tx *gorm.DB, p *models.PhoneNumber, reconnect map[string]any) error {
	var existing models.PhoneNumber
	err := tx.Where("phone_number_id = ?", p.MetaPhoneID).First(&existing).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("find phone number %s: %w", p.MetaPhoneID, err)
	}
	if p.SendRatePerSec == 0 {
		p.SendRatePerSec = models.DefaultSendRatePerSec
	}
	t := now()
	p.UpdatedAt = t
	if err == nil {
		if existing.BusinessID != p.BusinessID {
			return fmt.Errorf("connect phone number %s: %w", p.MetaPhoneID, models.ErrNumberTaken)
		}
		p.ID, p.CreatedAt = existing.ID, existing.CreatedAt
		reconnect["updated_at"] = t
		if err := tx.Model(&existing).Updates(reconnect).Error; err != nil {
			return fmt.Errorf("reconnect phone number %s: %w", p.MetaPhoneID, err)
		}
		return nil
	}
	p.CreatedAt = t
	if err := tx.Create(p).Error; err != nil {
		return fmt.Errorf("add phone number %s: %w", p.MetaPhoneID, err)
	}
	return nil
}

// PhoneNumberByMetaID finds the number whose id at Meta is metaPhoneID, for routing webhooks. It is the one lookup not
// scoped by business: the business is what it finds.
func (s *Store) PhoneNumberByMetaID(ctx context.Context, metaPhoneID string) (models.PhoneNumber, error) {
	var p models.PhoneNumber
	if err := s.db.WithContext(ctx).Where("phone_number_id = ?", metaPhoneID).First(&p).Error; err != nil {
		return p, fmt.Errorf("find phone number %s: %w", metaPhoneID, notFound(err))
	}
	return p, nil
}

// PhoneNumber loads one of a business's numbers by our id.
func (s *Store) PhoneNumber(ctx context.Context, businessID, id int64) (models.PhoneNumber, error) {
	var p models.PhoneNumber
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id = ?", businessID, id).First(&p).Error; err != nil {
		return p, fmt.Errorf("load phone number %d: %w", id, notFound(err))
	}
	return p, nil
}

// PhoneNumbers lists a business's numbers.
func (s *Store) PhoneNumbers(ctx context.Context, businessID int64) ([]models.PhoneNumber, error) {
	var out []models.PhoneNumber
	if err := s.db.WithContext(ctx).Where("business_id = ?", businessID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list phone numbers of business %d: %w", businessID, err)
	}
	return out, nil
}

// SetPhoneStatus records a number's connection state, e.g. token_expired after Graph error 190.
func (s *Store) SetPhoneStatus(ctx context.Context, businessID, id int64, status models.PhoneNumberStatus, reason string) error {
	err := s.db.WithContext(ctx).Model(&models.PhoneNumber{}).Where("business_id = ? AND id = ?", businessID, id).
		Updates(map[string]any{"status": status, "status_reason": reason, "updated_at": now()}).Error
	if err != nil {
		return fmt.Errorf("set status of phone number %d: %w", id, err)
	}
	return nil
}

// Customer loads one customer of a business.
func (s *Store) Customer(ctx context.Context, businessID, id int64) (models.Customer, error) {
	var c models.Customer
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id = ?", businessID, id).First(&c).Error; err != nil {
		return c, fmt.Errorf("load customer %d: %w", id, notFound(err))
	}
	return c, nil
}

// CustomersByID loads the business's customers named by ids, by id; ids of other businesses' customers, and unknown
// ones, are left out.
func (s *Store) CustomersByID(ctx context.Context, businessID int64, ids []int64) (map[int64]models.Customer, error) {
	out := make(map[int64]models.Customer, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var cs []models.Customer
	if err := s.db.WithContext(ctx).Where("business_id = ? AND id IN ?", businessID, ids).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("load %d customers of business %d: %w", len(ids), businessID, err)
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}

// BusinessByWABA finds the business owning a WhatsApp Business Account, for webhook fields that carry no phone
// number (account and template updates).
func (s *Store) BusinessByWABA(ctx context.Context, wabaID string) (int64, error) {
	var p models.PhoneNumber
	if err := s.db.WithContext(ctx).Where("waba_id = ? AND waba_id <> ''", wabaID).Order("id").First(&p).Error; err != nil {
		return 0, fmt.Errorf("find business of WABA %s: %w", wabaID, notFound(err))
	}
	return p.BusinessID, nil
}
