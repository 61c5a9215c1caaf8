package repository

import (
	"context"
	"fmt"

	"github.com/waorder/waorder/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ReplaceTemplates makes the business's templates exactly ts (a sync from Meta), in one transaction.
func (s *Store) ReplaceTemplates(ctx context.Context, businessID int64, ts []models.MessageTemplate) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("business_id = ?", businessID).Delete(&models.MessageTemplate{}).Error; err != nil {
			return fmt.Errorf("clear templates of business %d: %w", businessID, err)
		}
		for i := range ts {
			ts[i].ID, ts[i].BusinessID, ts[i].UpdatedAt = 0, businessID, now()
		}
		if len(ts) == 0 {
			return nil
		}
		if err := tx.Omit("id").CreateInBatches(ts, 100).Error; err != nil {
			return fmt.Errorf("store templates of business %d: %w", businessID, err)
		}
		return nil
	})
}

// SaveTemplate inserts or updates one template (found by name and language).
func (s *Store) SaveTemplate(ctx context.Context, t *models.MessageTemplate) error {
	t.UpdatedAt = now()
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "business_id"}, {Name: "name"}, {Name: "language"}},
		DoUpdates: clause.AssignmentColumns([]string{"meta_id", "category", "status", "reason", "body", "param_count", "updated_at"}),
	}).Omit("id").Create(t).Error
	if err != nil {
		return fmt.Errorf("save template %s/%s: %w", t.Name, t.Language, err)
	}
	return nil
}

// Templates lists the business's templates by name and language.
func (s *Store) Templates(ctx context.Context, businessID int64) ([]models.MessageTemplate, error) {
	var out []models.MessageTemplate
	if err := s.db.WithContext(ctx).Where("business_id = ?", businessID).Order("name, language").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list templates of business %d: %w", businessID, err)
	}
	return out, nil
}

// Template loads one template by name and language, or models.ErrNotFound when it was never synced.
func (s *Store) Template(ctx context.Context, businessID int64, name, language string) (models.MessageTemplate, error) {
	var t models.MessageTemplate
	err := s.db.WithContext(ctx).Where("business_id = ? AND name = ? AND language = ?", businessID, name, language).First(&t).Error
	if err != nil {
		return t, fmt.Errorf("load template %s/%s: %w", name, language, notFound(err))
	}
	return t, nil
}

// SetTemplateStatus records a status Meta reported for the template with metaID, or else name and language;
// it reports whether a stored template matched.
func (s *Store) SetTemplateStatus(ctx context.Context, businessID int64, metaID, name, language, status, reason string) (bool, error) {
	q := s.db.WithContext(ctx).Model(&models.MessageTemplate{}).Where("business_id = ?", businessID)
	if metaID != "" {
		q = q.Where("(meta_id = ? OR (name = ? AND language = ?))", metaID, name, language)
	} else {
		q = q.Where("name = ? AND language = ?", name, language)
	}
	res := q.Updates(map[string]any{"status": status, "reason": reason, "updated_at": now()})
	if res.Error != nil {
		return false, fmt.Errorf("set status of template %s/%s: %w", name, language, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// SetWindowTemplate chooses the template sent outside the 24-hour window, its language and where each body
// variable's value comes from ("" name: none, messages wait for the customer instead).
func (s *Store) SetWindowTemplate(ctx context.Context, businessID int64, name, language, params string) error {
	err := s.db.WithContext(ctx).Model(&models.Business{}).Where("id = ?", businessID).Updates(map[string]any{
		"window_template": name, "template_language": language, "template_params": params, "updated_at": now()}).Error
	if err != nil {
		return fmt.Errorf("set window template of business %d: %w", businessID, err)
	}
	return nil
}
