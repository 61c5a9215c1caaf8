package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// Lifetimes of one-time links.
const (
	InviteTTL = 7 * 24 * time.Hour
	ResetTTL  = time.Hour
)

// NewBusiness is what a merchant gives to sign up; Language (the bot's and the dashboard's, empty for English) is
// the sign-up page's.
type NewBusiness struct {
	Email, Password, Name, Currency, Timezone, Language string
}

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate checks every field and returns the errors by field name (empty: valid). It normalises n in place.
func (n *NewBusiness) Validate() map[string]string {
	n.Email = strings.ToLower(strings.TrimSpace(n.Email))
	n.Name = strings.TrimSpace(n.Name)
	n.Currency = strings.ToUpper(strings.TrimSpace(n.Currency))
	n.Timezone = strings.TrimSpace(n.Timezone)
	errs := map[string]string{}
	if msg := checkEmail(n.Email); msg != "" {
		errs["email"] = msg
	}
	if len(n.Password) < models.MinPasswordLength {
		errs["password"] = fmt.Sprintf("Use at least %d characters.", models.MinPasswordLength)
	}
	if n.Name == "" || len(n.Name) > 100 {
		errs["name"] = "Enter the business name customers will see (up to 100 characters)."
	}
	if !currencyRe.MatchString(n.Currency) {
		errs["currency"] = "Enter a three-letter currency code, like USD or EUR."
	}
	if n.Timezone == "" {
		n.Timezone = "UTC"
	}
	if _, err := time.LoadLocation(n.Timezone); err != nil {
		errs["timezone"] = "Enter a time zone like Europe/Lisbon or America/Sao_Paulo."
	}
	return errs
}

func checkEmail(email string) string {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return "Enter an email address like ana@example.com."
	}
	return ""
}

// SignUp creates a business and its owner's login in one transaction, then logs the owner in. A taken email is a
// FieldError.
func (s *Service) SignUp(ctx context.Context, n NewBusiness, ip string) (string, Principal, error) {
	for field, msg := range n.Validate() {
		return "", Principal{}, models.Invalid(field, msg)
	}
	hash, err := s.hashPassword(ctx, n.Password)
	if err != nil {
		return "", Principal{}, err
	}
	err = s.store.Tx(ctx, func(tx *repository.Store) error {
		b := models.Business{Name: n.Name, Currency: n.Currency, Timezone: n.Timezone, Language: n.Language}
		if err := tx.CreateBusiness(ctx, &b); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &models.User{BusinessID: b.ID, Email: n.Email, PasswordHash: hash, Role: models.RoleOwner,
			CreatedAt: s.now().UTC()})
	})
	if errors.Is(err, models.ErrConflict) {
		return "", Principal{}, models.Invalid("email", "An account with this email exists: log in, or ask its owner for a password reset link.")
	}
	if err != nil {
		return "", Principal{}, fmt.Errorf("sign up: %w", err)
	}
	return s.Login(ctx, n.Email, n.Password, ip)
}

// Invite issues a one-time link token for someone to join p's business with role; note says who it is for.
func (s *Service) Invite(ctx context.Context, p Principal, role models.Role, note string) (string, error) {
	if p.Role != models.RoleOwner {
		return "", models.ErrForbidden
	}
	if role != models.RoleOwner && role != models.RoleStaff {
		return "", models.Invalid("role", "Choose owner or staff.")
	}
	note = strings.TrimSpace(note)
	if len(note) > 200 {
		return "", models.Invalid("note", "Keep the note under 200 characters.")
	}
	token, err := randomToken(32)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	inv := models.Invite{BusinessID: p.BusinessID, TokenHash: sha256Hex(token), Role: role, Note: note,
		ExpiresAt: now.Add(InviteTTL), CreatedAt: now}
	if err := s.store.CreateInvite(ctx, &inv); err != nil {
		return "", err
	}
	return token, nil
}

// OpenInvite finds the invite of a link token (models.ErrLinkUsed when it cannot be used) and its business's name.
func (s *Service) OpenInvite(ctx context.Context, token string) (models.Invite, string, error) {
	if token == "" || len(token) > 100 {
		return models.Invite{}, "", models.ErrLinkUsed
	}
	inv, err := s.store.OpenInvite(ctx, sha256Hex(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return inv, "", models.ErrLinkUsed
	}
	if err != nil {
		return inv, "", err
	}
	b, err := s.store.Business(ctx, inv.BusinessID)
	if err != nil {
		return inv, "", err
	}
	return inv, b.Name, nil
}

// AcceptInvite creates the invited login and uses the invite in one transaction (a link makes one login, even
// clicked twice at once), then logs it in.
func (s *Service) AcceptInvite(ctx context.Context, token, email, password, ip string) (string, Principal, error) {
	inv, _, err := s.OpenInvite(ctx, token)
	if err != nil {
		return "", Principal{}, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if msg := checkEmail(email); msg != "" {
		return "", Principal{}, models.Invalid("email", msg)
	}
	if len(password) < models.MinPasswordLength {
		return "", Principal{}, models.Invalid("password", fmt.Sprintf("Use at least %d characters.", models.MinPasswordLength))
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return "", Principal{}, err
	}
	err = s.store.Tx(ctx, func(tx *repository.Store) error {
		if err := tx.UseInvite(ctx, inv.ID, s.now()); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &models.User{BusinessID: inv.BusinessID, Email: email, PasswordHash: hash, Role: inv.Role,
			CreatedAt: s.now().UTC()})
	})
	switch {
	case errors.Is(err, models.ErrNotFound):
		return "", Principal{}, models.ErrLinkUsed
	case errors.Is(err, models.ErrConflict):
		return "", Principal{}, models.Invalid("email", "An account with this email exists already: use another email.")
	case err != nil:
		return "", Principal{}, fmt.Errorf("accept invite: %w", err)
	}
	return s.Login(ctx, email, password, ip)
}

// Team lists the business's members and its pending invites.
func (s *Service) Team(ctx context.Context, bizID int64) ([]models.User, []models.Invite, error) {
	users, err := s.store.Users(ctx, bizID)
	if err != nil {
		return nil, nil, err
	}
	invites, err := s.store.PendingInvites(ctx, bizID, s.now())
	return users, invites, err
}

// WithdrawInvite deletes a pending invite of p's business.
func (s *Service) WithdrawInvite(ctx context.Context, p Principal, inviteID int64) error {
	if p.Role != models.RoleOwner {
		return models.ErrForbidden
	}
	return s.store.DeleteInvite(ctx, p.BusinessID, inviteID)
}

// SetRole changes a member's role. An owner cannot demote themselves, so a business always keeps an owner.
func (s *Service) SetRole(ctx context.Context, p Principal, userID int64, role models.Role) error {
	if p.Role != models.RoleOwner {
		return models.ErrForbidden
	}
	if role != models.RoleOwner && role != models.RoleStaff {
		return models.Invalid("role", "Choose owner or staff.")
	}
	if userID == p.UserID && role != models.RoleOwner {
		return models.Invalid("role", "You cannot demote yourself: make someone else owner, and ask them.")
	}
	return s.store.SetUserRole(ctx, p.BusinessID, userID, role)
}
