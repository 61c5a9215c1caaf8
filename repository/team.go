package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/waorder/waorder/models"
)

// CreateInvite stores a one-time team invite (only its token's hash).
func (s *Store) CreateInvite(ctx context.Context, inv *models.Invite) error {
	if inv.CreatedAt.IsZero() {
		inv.CreatedAt = now()
	}
	if err := s.db.WithContext(ctx).Create(inv).Error; err != nil {
		return fmt.Errorf("create invite for business %d: %w", inv.BusinessID, err)
	}
	return nil
}

// OpenInvite loads an unused, unexpired invite by its token's hash, or models.ErrNotFound.
func (s *Store) OpenInvite(ctx context.Context, tokenHash string, at time.Time) (models.Invite, error) {
	var inv models.Invite
	err := s.db.WithContext(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", tokenHash, at.UTC()).First(&inv).Error
	if err != nil {
		return inv, fmt.Errorf("load invite: %w", notFound(err))
	}
	return inv, nil
}

// UseInvite marks the invite used, once: a second use (or an expired invite) is models.ErrNotFound. Call it in the
// transaction that creates the user, so an invite is never used without a user, nor a user made twice.
func (s *Store) UseInvite(ctx context.Context, id int64, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&models.Invite{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", id, at.UTC()).
		Update("used_at", at.UTC())
	if res.Error != nil {
		return fmt.Errorf("use invite %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("use invite %d: %w", id, models.ErrNotFound)
	}
	return nil
}

// PendingInvites lists a business's unused, unexpired invites, newest first.
func (s *Store) PendingInvites(ctx context.Context, businessID int64, at time.Time) ([]models.Invite, error) {
	var out []models.Invite
	err := s.db.WithContext(ctx).Where("business_id = ? AND used_at IS NULL AND expires_at > ?", businessID, at.UTC()).
		Order("id DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list invites of business %d: %w", businessID, err)
	}
	return out, nil
}

// DeleteInvite withdraws one of a business's invites.
func (s *Store) DeleteInvite(ctx context.Context, businessID, id int64) error {
	res := s.db.WithContext(ctx).Where("business_id = ? AND id = ?", businessID, id).Delete(&models.Invite{})
	if res.Error != nil {
		return fmt.Errorf("delete invite %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete invite %d: %w", id, models.ErrNotFound)
	}
	return nil
}

// Users lists a business's logins, owners first.
func (s *Store) Users(ctx context.Context, businessID int64) ([]models.User, error) {
	var out []models.User
	if err := s.db.WithContext(ctx).Table("users").Where("business_id = ?", businessID).Order("role, email").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list users of business %d: %w", businessID, err)
	}
	return out, nil
}

// SetUserRole changes the role of one of a business's users.
func (s *Store) SetUserRole(ctx context.Context, businessID, userID int64, role models.Role) error {
	res := s.db.WithContext(ctx).Table("users").Where("business_id = ? AND id = ?", businessID, userID).Update("role", role)
	if res.Error != nil {
		return fmt.Errorf("set role of user %d: %w", userID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set role of user %d: %w", userID, models.ErrNotFound)
	}
	return nil
}

// CreatePasswordReset stores a one-time password reset (only its token's hash).
func (s *Store) CreatePasswordReset(ctx context.Context, r *models.PasswordReset) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	if err := s.db.WithContext(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("create password reset for user %d: %w", r.UserID, err)
	}
	return nil
}

// OpenPasswordReset loads an unused, unexpired reset by its token's hash, or models.ErrNotFound.
func (s *Store) OpenPasswordReset(ctx context.Context, tokenHash string, at time.Time) (models.PasswordReset, error) {
	var r models.PasswordReset
	err := s.db.WithContext(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", tokenHash, at.UTC()).First(&r).Error
	if err != nil {
		return r, fmt.Errorf("load password reset: %w", notFound(err))
	}
	return r, nil
}

// UsePasswordReset marks the reset used, once: a second use (or an expired link) is models.ErrNotFound.
func (s *Store) UsePasswordReset(ctx context.Context, id int64, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&models.PasswordReset{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", id, at.UTC()).
		Update("used_at", at.UTC())
	if res.Error != nil {
		return fmt.Errorf("use password reset %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("use password reset %d: %w", id, models.ErrNotFound)
	}
	return nil
}

// ResetPasswordWithLink uses the reset link resetID and sets userID's password hash in one transaction, ending
// every session of the user: a link sets a password once, and never leaves an old session behind.
func (s *Store) ResetPasswordWithLink(ctx context.Context, resetID, userID int64, hash string, at time.Time) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.UsePasswordReset(ctx, resetID, at); err != nil {
			return err
		}
		res := tx.db.Table("users").Where("id = ?", userID).Update("password_hash", hash)
		if res.Error != nil {
			return fmt.Errorf("set password of user %d: %w", userID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("set password of user %d: %w", userID, models.ErrNotFound)
		}
		if err := tx.db.Table("sessions").Where("user_id = ?", userID).Delete(&models.Session{}).Error; err != nil {
			return fmt.Errorf("end sessions of user %d: %w", userID, err)
		}
		return nil
	})
}

// RemoveMember deletes one of a business's logins with its sessions and unused reset links; another business's
// user is models.ErrNotFound.
func (s *Store) RemoveMember(ctx context.Context, businessID, userID int64) error {
	return s.Tx(ctx, func(tx *Store) error {
		var n int64
		if err := tx.db.Table("users").Where("business_id = ? AND id = ?", businessID, userID).Count(&n).Error; err != nil {
			return fmt.Errorf("find user %d: %w", userID, err)
		}
		if n == 0 {
			return fmt.Errorf("remove user %d: %w", userID, models.ErrNotFound)
		}
		for _, table := range []string{"sessions", "password_resets"} {
			if err := tx.db.Table(table).Where("user_id = ?", userID).Delete(nil).Error; err != nil {
				return fmt.Errorf("remove %s of user %d: %w", table, userID, err)
			}
		}
		if err := tx.db.Table("users").Where("id = ?", userID).Delete(&models.User{}).Error; err != nil {
			return fmt.Errorf("remove user %d: %w", userID, err)
		}
		return nil
	})
}
