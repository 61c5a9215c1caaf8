package onboarding

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// number loads one of the business's numbers with its token.
func (s *Service) number(ctx context.Context, bizID, phoneID int64) (models.PhoneNumber, string, error) {
	p, err := s.Store.PhoneNumber(ctx, bizID, phoneID)
	if err != nil {
		return p, "", err
	}
	if p.Status == models.PhoneDisconnected || p.Status == models.PhoneTokenExpired {
		return p, "", models.Invalid("form", "Connect this number again first.")
	}
	token, err := s.Box.Open(p.AccessTokenEnc)
	if err != nil {
		return p, "", models.Invalid("form", "The number's token cannot be read: connect it again.")
	}
	return p, token, nil
}

// Profile reads the number's WhatsApp business profile from Meta.
func (s *Service) Profile(ctx context.Context, bizID, phoneID int64) (whatsapp.BusinessProfile, error) {
	p, token, err := s.number(ctx, bizID, phoneID)
	if err != nil {
		return whatsapp.BusinessProfile{}, err
	}
	prof, err := s.Graph.GetBusinessProfile(ctx, p.MetaPhoneID, token)
	if err != nil {
		return prof, asMetaError("read business profile", err)
	}
	return prof, nil
}

// ValidateProfile checks a profile against Meta's limits, field by field.
func ValidateProfile(p whatsapp.BusinessProfile) map[string]string {
	errs := map[string]string{}
	tooLong := func(field, v string, n int) {
		if utf8.RuneCountInString(v) > n {
			errs[field] = fmt.Sprintf("At most %d characters.", n)
		}
	}
	tooLong("about", p.About, whatsapp.MaxProfileAbout)
	tooLong("address", p.Address, whatsapp.MaxProfileAddress)
	tooLong("description", p.Description, whatsapp.MaxProfileDescription)
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > whatsapp.MaxProfileEmail {
			errs["email"] = "Enter an email address like orders@example.com."
		}
	}
	if len(p.Websites) > whatsapp.MaxProfileWebsites {
		errs["websites"] = "At most two websites."
	}
	for _, w := range p.Websites {
		u, err := url.Parse(w)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(w) > whatsapp.MaxProfileWebsite {
			errs["websites"] = "Enter each website as a full address starting with https://."
		}
	}
	if p.Vertical != "" && !slices.Contains(whatsapp.ProfileVerticals, p.Vertical) {
		errs["vertical"] = "Choose an industry from the list."
	}
	return errs
}

// UpdateProfile validates prof and writes it to Meta. Field errors come back as models.Invalid (models.AsInvalid finds them).
func (s *Service) UpdateProfile(ctx context.Context, bizID, phoneID int64, prof whatsapp.BusinessProfile) error {
	prof.About, prof.Address = strings.TrimSpace(prof.About), strings.TrimSpace(prof.Address)
	prof.Description, prof.Email = strings.TrimSpace(prof.Description), strings.TrimSpace(prof.Email)
	for field, msg := range ValidateProfile(prof) {
		return models.Invalid(field, msg)
	}
	p, token, err := s.number(ctx, bizID, phoneID)
	if err != nil {
		return err
	}
	if err := s.Graph.UpdateBusinessProfile(ctx, p.MetaPhoneID, token, prof); err != nil {
		return asMetaError("update business profile", err)
	}
	return nil
}
