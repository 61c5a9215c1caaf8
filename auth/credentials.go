package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
)

// ChangePassword lets a logged-in merchant replace their password: the current one is checked (each try counted
// like a login, so a stolen session can't guess it), the new one stored, and every other session of theirs ended;
// the session p came with stays.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	if len(next) < models.MinPasswordLength {
		return models.ErrWeakPassword
	}
	u, err := s.store.User(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	key := s.limitKey("email", u.Email)
	if s.attempt(ctx, key) > MaxFailsPerEmail {
		return models.ErrRateLimited
	}
	ok, err := s.checkPassword(ctx, u.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return models.ErrBadCredentials
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	if err := s.store.UpdatePassword(ctx, u.ID, hash, p.SessionID); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.cache.Delete(ctx, key)
	s.failures.Delete(ctx, key)
	return nil
}

// LogoutEverywhere ends every session of a user, the caller's included, and reports how many ended.
func (s *Service) LogoutEverywhere(ctx context.Context, userID int64) (int64, error) {
	n, err := s.store.DeleteUserSessions(ctx, userID, "")
	if err != nil {
		return 0, fmt.Errorf("log out everywhere: %w", err)
	}
	return n, nil
}

// ResetPassword sets a user's password (an operator's command) and ends all their sessions. An unknown email is
// models.ErrNotFound.
func (s *Service) ResetPassword(ctx context.Context, email, password string) (models.User, error) {
	if len(password) < models.MinPasswordLength {
		return models.User{}, models.ErrWeakPassword
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil {
		return models.User{}, fmt.Errorf("reset password: %w", err)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return models.User{}, err
	}
	if err := s.store.UpdatePassword(ctx, u.ID, hash, ""); err != nil {
		return models.User{}, fmt.Errorf("reset password: %w", err)
	}
	s.cache.Delete(ctx, s.limitKey("email", u.Email))
	s.failures.Delete(ctx, s.limitKey("email", u.Email))
	return u, nil
}

// DeleteUser removes a login and ends its sessions. An unknown email is models.ErrNotFound.
func (s *Service) DeleteUser(ctx context.Context, email string) (models.User, error) {
	u, err := s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return models.User{}, fmt.Errorf("delete user: %w", err)
	}
	if err := s.store.DeleteUser(ctx, u.ID); err != nil {
		return models.User{}, fmt.Errorf("delete user: %w", err)
	}
	return u, nil
}

// APITokens lists a business's API tokens (prefix, name, created, last used, revoked); never the tokens.
func (s *Service) APITokens(ctx context.Context, bizID int64) ([]models.APIToken, error) {
	return s.store.APITokens(ctx, bizID)
}

// RevokeAPIToken stops a business's token from working at once; an unknown or already revoked id is
// models.ErrNotFound.
func (s *Service) RevokeAPIToken(ctx context.Context, bizID, tokenID int64) error {
	return s.store.RevokeAPIToken(ctx, bizID, tokenID)
}

// PurgeSessions deletes sessions that have expired or stayed idle past the idle timeout, and reports how many.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.now()
	return s.store.DeleteExpiredSessions(ctx, now, now.Add(-s.idle))
}

// RunSessionPurge purges ended sessions every interval until ctx ends. Each instance may run it: the delete is
// idempotent.
func (s *Service) RunSessionPurge(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.PurgeSessions(ctx)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			s.log.Warn("session purge failed", "err", err)
		case n > 0:
			s.log.Info("purged ended sessions", "count", n)
		}
	}
}
