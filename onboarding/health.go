package onboarding

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/whatsapp"
)

// accountFields are the webhook fields whose stored events ApplyEvents acts on.
var accountFields = []string{whatsapp.FieldAccountUpdate, whatsapp.FieldTemplateStatus, whatsapp.FieldPhoneQualityUpdate,
	whatsapp.FieldPhoneNameUpdate}

// ApplyEvents applies up to limit stored account events (template statuses, quality, names, restrictions) in
// arrival order, marking each applied; it returns how many it applied. Applying twice sets the same state, so two
// instances doing it at once is harmless.
func (s *Service) ApplyEvents(ctx context.Context, limit int) (int, error) {
	evs, err := s.Store.UnappliedAccountEvents(ctx, accountFields, limit)
	if err != nil {
		return 0, err
	}
	for i, ev := range evs {
		note, err := s.applyEvent(ctx, ev)
		if err != nil {
			return i, fmt.Errorf("apply %s event %d: %w", ev.Field, ev.ID, err)
		}
		if err := s.Store.MarkEventApplied(ctx, ev.ID, note); err != nil {
			return i, err
		}
		if ev.BusinessID != nil {
			s.invalidate(ctx, *ev.BusinessID)
		}
	}
	return len(evs), nil
}

// applyEvent returns a note when the event could not be applied (it is not retried: the payload will not change).
func (s *Service) applyEvent(ctx context.Context, ev models.WebhookEvent) (string, error) {
	if ev.BusinessID == nil {
		return "no business", nil
	}
	biz := *ev.BusinessID
	v, err := whatsapp.DecodeAccountEvent(ev.Field, []byte(ev.Payload))
	if err != nil {
		return err.Error(), nil
	}
	switch e := v.(type) {
	case *whatsapp.TemplateStatusUpdate:
		return "", s.templateStatus(ctx, biz, e)
	case *whatsapp.QualityUpdate:
		return s.quality(ctx, biz, ev.WABAID, e)
	case *whatsapp.NameUpdate:
		return s.nameUpdate(ctx, biz, ev.WABAID, e)
	case *whatsapp.AccountUpdate:
		return s.accountUpdate(ctx, biz, ev.WABAID, e)
	}
	return "not an account event", nil
}

func (s *Service) templateStatus(ctx context.Context, bizID int64, e *whatsapp.TemplateStatusUpdate) error {
	status := e.Event
	if status == "REINSTATED" {
		status = "APPROVED"
	}
	reason := rejectedReason(e.Reason)
	if e.OtherInfo.Description != "" {
		reason = strings.TrimSpace(strings.TrimSpace(e.OtherInfo.Title+": ") + " " + e.OtherInfo.Description)
	}
	found, err := s.Store.SetTemplateStatus(ctx, bizID, e.ID.String(), e.Name, e.Language, status, reason)
	if err != nil || found {
		return err
	}
	t := models.MessageTemplate{BusinessID: bizID, MetaID: e.ID.String(), Name: e.Name, Language: e.Language,
		Status: status, Reason: reason}
	return s.Store.SaveTemplate(ctx, &t)
}

// numbersOf finds the business's numbers an event is about: those of wabaID, narrowed to display when given.
func (s *Service) numbersOf(ctx context.Context, bizID int64, wabaID, display string) ([]models.PhoneNumber, error) {
	all, err := s.Store.PhoneNumbersOfWABA(ctx, wabaID)
	if err != nil {
		return nil, err
	}
	var out []models.PhoneNumber
	for _, p := range all {
		if p.BusinessID == bizID && (display == "" || digits(p.DisplayPhoneNumber) == digits(display)) {
			out = append(out, p)
		}
	}
	return out, nil
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func ptr[T any](v T) *T { return &v }

func (s *Service) quality(ctx context.Context, bizID int64, wabaID string, e *whatsapp.QualityUpdate) (string, error) {
	phones, err := s.numbersOf(ctx, bizID, wabaID, e.DisplayPhoneNumber)
	if err != nil || len(phones) == 0 {
		return "no number " + e.DisplayPhoneNumber, err
	}
	h := repository.PhoneHealth{}
	if e.CurrentLimit != "" {
		h.MessagingLimit = ptr(e.CurrentLimit)
	}
	switch e.Event {
	case "FLAGGED":
		h.Status, h.QualityRating = ptr(models.PhoneRestricted), ptr("RED")
		h.Note = ptr("Meta flagged this number for low quality: customers blocked or reported its messages. Sending is " +
			"paused so the rating can recover; check the messages you send in WhatsApp Manager's Insights.")
	case "UNFLAGGED":
		h.Status, h.QualityRating = ptr(models.PhoneConnected), ptr("GREEN")
		h.Note = ptr("")
	case "DOWNGRADE":
		h.Note = ptr("Meta lowered this number's messaging limit to " + e.CurrentLimit + " because of its quality rating.")
	case "UPGRADE", "THROUGHPUT_UPGRADE":
		h.Note = ptr("")
	}
	for _, p := range phones {
		if err := s.Store.UpdatePhoneHealth(ctx, p.ID, h); err != nil {
			return "", err
		}
	}
	return "", nil
}

func (s *Service) nameUpdate(ctx context.Context, bizID int64, wabaID string, e *whatsapp.NameUpdate) (string, error) {
	phones, err := s.numbersOf(ctx, bizID, wabaID, e.DisplayPhoneNumber)
	if err != nil || len(phones) == 0 {
		return "no number " + e.DisplayPhoneNumber, err
	}
	h := repository.PhoneHealth{}
	switch e.Decision {
	case "APPROVED":
		h.VerifiedName = ptr(e.RequestedVerifiedName)
		h.Note = ptr("")
	case "REJECTED":
		h.Note = ptr(fmt.Sprintf("Meta rejected the display name %q (%s): request another in WhatsApp Manager.",
			e.RequestedVerifiedName, strings.ToLower(strings.ReplaceAll(e.RejectionReason, "_", " "))))
	default:
		h.Note = ptr(fmt.Sprintf("Meta deferred its decision on the display name %q.", e.RequestedVerifiedName))
	}
	for _, p := range phones {
		if err := s.Store.UpdatePhoneHealth(ctx, p.ID, h); err != nil {
			return "", err
		}
	}
	return "", nil
}

func (s *Service) accountUpdate(ctx context.Context, bizID int64, wabaID string, e *whatsapp.AccountUpdate) (string, error) {
	phones, err := s.numbersOf(ctx, bizID, wabaID, e.PhoneNumber)
	if err != nil || len(phones) == 0 {
		return "no number", err
	}
	h := repository.PhoneHealth{}
	switch {
	case e.Event == "ACCOUNT_RESTRICTION" && len(e.RestrictionInfo) > 0:
		var parts []string
		for _, r := range e.RestrictionInfo {
			part := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(r.Type, "RESTRICTED_"), "_", " "))
			if r.Expiration != "" {
				part += " until " + r.Expiration
			}
			parts = append(parts, part)
		}
		h.Status = ptr(models.PhoneRestricted)
		h.Note = ptr("Meta restricted this account (" + strings.Join(parts, "; ") + ") for policy violations. Sending is " +
			"paused; see Account quality in WhatsApp Manager to appeal.")
	case e.Event == "ACCOUNT_RESTRICTION":
		h.Status, h.Note = ptr(models.PhoneConnected), ptr("")
	case e.Event == "ACCOUNT_VIOLATION":
		h.Note = ptr("Meta reports a policy violation (" + strings.ToLower(strings.ReplaceAll(e.ViolationInfo.Type, "_", " ")) +
			"). Repeated violations lead to restrictions; see Account quality in WhatsApp Manager.")
	case e.Event == "DISABLED_UPDATE" && e.BanInfo.State == "REINSTATE":
		h.Status, h.Note = ptr(models.PhoneConnected), ptr("")
	case e.Event == "DISABLED_UPDATE" && e.BanInfo.State == "SCHEDULE_FOR_DISABLE":
		h.Note = ptr("Meta scheduled this account to be disabled on " + e.BanInfo.Date + ": appeal in WhatsApp Manager now.")
	case e.Event == "DISABLED_UPDATE", e.Event == "ACCOUNT_DELETED", e.Event == "PARTNER_REMOVED":
		h.Status = ptr(models.PhoneRestricted)
		h.Note = ptr("Meta disabled this WhatsApp account or removed our access (" + strings.ToLower(strings.ReplaceAll(e.Event, "_", " ")) +
			"). Sending is paused; appeal in WhatsApp Manager, then connect the number again.")
	default:
		return "", nil // VERIFIED_ACCOUNT and others change nothing we act on
	}
	for _, p := range phones {
		if err := s.Store.UpdatePhoneHealth(ctx, p.ID, h); err != nil {
			return "", err
		}
	}
	return "", nil
}

// TokenWarning is how long before a token's expiry the dashboard starts warning.
const TokenWarning = 7 * 24 * time.Hour

// CheckTokens asks debug_token about up to limit numbers not checked for a day: a token Meta no longer honours
// pauses its number (token_expired) before any send fails with 190; the expiry is kept for the warning.
func (s *Service) CheckTokens(ctx context.Context, limit int) (int, error) {
	now := s.now()
	phones, err := s.Store.PhonesDueTokenCheck(ctx, now.Add(-24*time.Hour), limit)
	if err != nil {
		return 0, err
	}
	for i, p := range phones {
		token, err := s.Box.Open(p.AccessTokenEnc)
		if err != nil {
			continue // the outbox reports an unreadable token on its first send
		}
		info, err := s.Graph.DebugToken(ctx, token, s.appToken(token))
		switch {
		case whatsapp.IsTokenInvalid(err):
			info.Valid = false
		case err != nil:
			return i, fmt.Errorf("check token of phone number %d: %w", p.ID, err)
		}
		if !info.Valid || (!info.ExpiresAt.IsZero() && !info.ExpiresAt.After(now)) {
			if err := s.Store.SetPhoneStatus(ctx, p.BusinessID, p.ID, models.PhoneTokenExpired,
				"Meta says the access token is no longer valid: connect the number again"); err != nil {
				return i, err
			}
			s.invalidate(ctx, p.BusinessID)
		}
		var exp *time.Time
		if !info.ExpiresAt.IsZero() {
			exp = &info.ExpiresAt
		}
		if err := s.Store.SetTokenChecked(ctx, p.ID, exp, now); err != nil {
			return i, err
		}
	}
	return len(phones), nil
}

// Run applies account events every poll and checks tokens hourly (each number daily) until ctx ends. Failures
// are logged and tried again next round.
func (s *Service) Run(ctx context.Context, poll time.Duration) {
	events := time.NewTicker(poll)
	defer events.Stop()
	tokens := time.NewTicker(time.Hour)
	defer tokens.Stop()
	s.round(ctx, true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-events.C:
			s.round(ctx, false)
		case <-tokens.C:
			s.round(ctx, true)
		}
	}
}

func (s *Service) round(ctx context.Context, tokens bool) {
	for {
		n, err := s.ApplyEvents(ctx, 100)
		if err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("apply account events", "err", err)
		}
		if err != nil || n < 100 {
			break
		}
	}
	if tokens {
		if _, err := s.CheckTokens(ctx, 500); err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("check access tokens", "err", err)
		}
	}
}
