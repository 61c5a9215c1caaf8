package repository

import (
	"context"
	"fmt"

	"github.com/waorder/waorder/models"
	"gorm.io/gorm"
)

// UpdatePassword replaces a user's password hash and ends every session of theirs except keepSessionID (empty:
// all), in one transaction: a changed password never leaves an old session behind.
func (s *Store) UpdatePassword(ctx context.Context, userID int64, hash, keepSessionID string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Table("users").Where("id = ?", userID).Update("password_hash", hash)
		if res.Error != nil {
			return fmt.Errorf("update password of user %d: %w", userID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("update password of user %d: %w", userID, models.ErrNotFound)
		}
		if err := tx.Table("sessions").Where("user_id = ? AND id <> ?", userID, keepSessionID).Delete(&models.Session{}).Error; err != nil {
			return fmt.Errorf("end sessions of user %d: %w", userID, err)
		}
		return nil
	})
}

// DeleteUser removes a login and its sessions; an unknown id is models.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, userID int64) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Table("sessions").Where("user_id = ?", userID).Delete(&models.Session{}).Error; err != nil {
			return fmt.Errorf("delete sessions of user %d: %w", userID, err)
		}
		res := tx.Table("users").Where("id = ?", userID).Delete(&models.User{})
		if res.Error != nil {
			return fmt.Errorf("delete user %d: %w", userID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete user %d: %w", userID, models.ErrNotFound)
		}
		return nil
	})
}

// APITokens lists a business's API tokens, revoked ones included, oldest first. Rows hold only hashes.
func (s *Store) APITokens(ctx context.Context, businessID int64) ([]models.APIToken, error) {
	var out []models.APIToken
	if err := s.db.WithContext(ctx).Table("api_tokens").Where("business_id = ?", businessID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list api tokens of business %d: %w", businessID, err)
	}
	return out, nil
}
