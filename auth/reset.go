package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/waorder/waorder/models"
)

// IssueReset makes a one-time password reset link token (valid ResetTTL) for a member of the owner p's business.
func (s *Service) IssueReset(ctx context.Context, p Principal, userID int64) (models.User, string, error) {
	if p.Role != models.RoleOwner {
		return models.User{}, "", models.ErrForbidden
	}
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return u, "", err
	}
	if u.BusinessID != p.BusinessID {
		return models.User{}, "", fmt.Errorf("issue reset: user %d: %w", userID, models.ErrNotFound)
	}
	token, err := s.newReset(ctx, u.ID)
	return u, token, err
}

// IssueResetByEmail is IssueReset for the operator (admin reset-link): any user, by email.
func (s *Service) IssueResetByEmail(ctx context.Context, email string) (models.User, string, error) {
	u, err := s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return u, "", fmt.Errorf("issue reset: %w", err)
	}
	token, err := s.newReset(ctx, u.ID)
	return u, token, err
}

func (s *Service) newReset(ctx context.Context, userID int64) (string, error) {
	token, err := randomToken(32)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	r := models.PasswordReset{UserID: userID, TokenHash: sha256Hex(token), ExpiresAt: now.Add(ResetTTL), CreatedAt: now}
	if err := s.store.CreatePasswordReset(ctx, &r); err != nil {
		return "", err
	}
	return token, nil
}

// OpenReset finds the user a reset link token is for; models.ErrLinkUsed when it cannot be used.
func (s *Service) OpenReset(ctx context.Context, token string) (models.User, models.PasswordReset, error) {
	if token == "" || len(token) > 100 {
		return models.User{}, models.PasswordReset{}, models.ErrLinkUsed
	}
	r, err := s.store.OpenPasswordReset(ctx, sha256Hex(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return models.User{}, r, models.ErrLinkUsed
	}
	if err != nil {
		return models.User{}, r, err
	}
	u, err := s.store.User(ctx, r.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return u, r, models.ErrLinkUsed
	}
	return u, r, err
}

// ResetWithLink sets a new password from a reset link, once, and ends every session of the user.
func (s *Service) ResetWithLink(ctx context.Context, token, password string) (models.User, error) {
	u, r, err := s.OpenReset(ctx, token)
	if err != nil {
		return u, err
	}
	if len(password) < models.MinPasswordLength {
		return u, models.Invalid("password", fmt.Sprintf("Use at least %d characters.", models.MinPasswordLength))
	}
	hash, err := HashPassword(password)
	if err != nil {
		return u, err
	}
	err = s.store.ResetPasswordWithLink(ctx, r.ID, u.ID, hash, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return u, models.ErrLinkUsed
	}
	if err != nil {
		return u, fmt.Errorf("reset password: %w", err)
	}
	s.cache.Delete(ctx, s.limitKey("email", u.Email))
	s.failures.Delete(ctx, s.limitKey("email", u.Email))
	return u, nil
}

// RemoveMember deletes a member's login (and sessions) from the owner p's business; owners cannot remove
// themselves.
func (s *Service) RemoveMember(ctx context.Context, p Principal, userID int64) (models.User, error) {
	if p.Role != models.RoleOwner {
		return models.User{}, models.ErrForbidden
	}
	if userID == p.UserID {
		return models.User{}, models.Invalid("member", "You cannot remove yourself.")
	}
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return u, err
	}
	if u.BusinessID != p.BusinessID {
		return models.User{}, fmt.Errorf("remove member %d: %w", userID, models.ErrNotFound)
	}
	return u, s.store.RemoveMember(ctx, p.BusinessID, u.ID)
}
