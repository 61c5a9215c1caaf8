package repository

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"gorm.io/gorm"
)

// CreateUser inserts a merchant login; a taken email is models.ErrEmailTaken (an ErrConflict). The email is stored lower-cased.
func (s *Store) CreateUser(ctx context.Context, u *models.User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now()
	}
	if err := s.db.WithContext(ctx).Table("users").Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) || isUniqueViolation(err) {
			return fmt.Errorf("create user %q: %w", u.Email, models.ErrEmailTaken)
		}
		return fmt.Errorf("create user %q: %w", u.Email, err)
	}
	return nil
}

// UserByEmail loads a user by email (case-insensitive).
func (s *Store) UserByEmail(ctx context.Context, email string) (models.User, error) {
	var u models.User
	err := s.db.WithContext(ctx).Table("users").Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&u).Error
	if err != nil {
		return u, fmt.Errorf("load user: %w", notFound(err))
	}
	return u, nil
}

// User loads a user by id.
func (s *Store) User(ctx context.Context, id int64) (models.User, error) {
	var u models.User
	if err := s.db.WithContext(ctx).Table("users").Where("id = ?", id).First(&u).Error; err != nil {
		return u, fmt.Errorf("load user %d: %w", id, notFound(err))
	}
	return u, nil
}

// TouchUserLogin records a successful login.
func (s *Store) TouchUserLogin(ctx context.Context, id int64, at time.Time) error {
	return s.db.WithContext(ctx).Table("users").Where("id = ?", id).Update("last_login_at", at.UTC()).Error
}

// CreateSession inserts a dashboard session (ID is the hash of the cookie value). It counts as seen when created.
func (s *Store) CreateSession(ctx context.Context, sess *models.Session) error {
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = now()
	}
	if sess.LastSeenAt.IsZero() {
		sess.LastSeenAt = sess.CreatedAt
	}
	sess.ExpiresAt, sess.LastSeenAt = sess.ExpiresAt.UTC(), sess.LastSeenAt.UTC()
	if err := s.db.WithContext(ctx).Table("sessions").Create(sess).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session loads a session that has not expired at at and was last seen after idleSince; an unknown, expired or
// idle session is models.ErrNotFound.
func (s *Store) Session(ctx context.Context, id string, at, idleSince time.Time) (models.Session, error) {
	var sess models.Session
	err := s.db.WithContext(ctx).Table("sessions").Where("id = ? AND expires_at > ? AND last_seen_at > ?", id, at.UTC(),
		idleSince.UTC()).First(&sess).Error
	if err != nil {
		return sess, fmt.Errorf("load session: %w", notFound(err))
	}
	return sess, nil
}

// TouchSession records that a session was used at at.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if err := s.db.WithContext(ctx).Table("sessions").Where("id = ?", id).Update("last_seen_at", at.UTC()).Error; err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession removes a session; a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.db.WithContext(ctx).Table("sessions").Where("id = ?", id).Delete(&models.Session{}).Error; err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of a user except keepID (empty: all of them) and reports how many.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, keepID string) (int64, error) {
	res := s.db.WithContext(ctx).Table("sessions").Where("user_id = ? AND id <> ?", userID, keepID).Delete(&models.Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected, nil
}

// DeleteExpiredSessions removes sessions expired at at or last seen before idleSince, and reports how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, at, idleSince time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Table("sessions").Where("expires_at <= ? OR last_seen_at <= ?", at.UTC(), idleSince.UTC()).
		Delete(&models.Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// CreateAPIToken inserts an API token (only its hash).
func (s *Store) CreateAPIToken(ctx context.Context, t *models.APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now()
	}
	if err := s.db.WithContext(ctx).Table("api_tokens").Create(t).Error; err != nil {
		return fmt.Errorf("create api token: %w", err)
	}
	return nil
}

// APITokenByHash loads a token that is not revoked; unknown or revoked is models.ErrNotFound.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (models.APIToken, error) {
	var t models.APIToken
	err := s.db.WithContext(ctx).Table("api_tokens").Where("token_hash = ? AND revoked_at IS NULL", hash).First(&t).Error
	if err != nil {
		return t, fmt.Errorf("load api token: %w", notFound(err))
	}
	return t, nil
}

// TouchAPIToken records a use of a token.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	return s.db.WithContext(ctx).Table("api_tokens").Where("id = ?", id).Update("last_used_at", at.UTC()).Error
}

// RevokeAPIToken revokes a business's token; unknown is models.ErrNotFound.
func (s *Store) RevokeAPIToken(ctx context.Context, businessID, id int64) error {
	res := s.db.WithContext(ctx).Table("api_tokens").Where("business_id = ? AND id = ? AND revoked_at IS NULL", businessID, id).
		Update("revoked_at", now())
	if res.Error != nil {
		return fmt.Errorf("revoke api token %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("revoke api token %d: %w", id, models.ErrNotFound)
	}
	return nil
}
