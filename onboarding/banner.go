package onboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/waorder/waorder/models"
)

// Banner is a warning shown on top of every dashboard page: what happened and what to do. Text says it in English;
// ID and Args name the same message in the dashboard's catalogs (locale/catalogs/dashboard.*.toml, section banner)
// with its fields, for the page to say it in the business's language.
type Banner struct {
	Danger bool // sending is stopped (vs. a warning about what is coming)
	Text   string
	ID     string
	Args   []any // the message's fields: name, value, name, value…
}

// Banners says what is wrong with the business's numbers and window template: a restricted, flagged or
// disconnected-by-Meta number, an expired or soon expiring token, a health note from Meta, a window template
// Meta rejected, paused or disabled.
func (s *Service) Banners(ctx context.Context, biz models.Business, phones []models.PhoneNumber) ([]Banner, error) {
	var out []Banner
	now := s.now()
	for _, p := range phones {
		name := p.DisplayPhoneNumber
		if name == "" {
			name = p.MetaPhoneID
		}
		switch {
		case p.Status == models.PhoneRestricted:
			out = append(out, Banner{true, fmt.Sprintf("%s: sending is paused. %s", name, p.StatusReason),
				"banner.restricted", []any{"Number", name, "Reason", p.StatusReason}})
		case p.Status == models.PhoneTokenExpired:
			out = append(out, Banner{true, fmt.Sprintf("%s: the access token stopped working, so messages wait. Connect the number again in Settings.", name),
				"banner.token_expired", []any{"Number", name}})
		case p.Status == models.PhoneConnected && p.HealthNote != "":
			out = append(out, Banner{false, name + ": " + p.HealthNote, "banner.health", []any{"Number", name, "Note", p.HealthNote}})
		}
		if p.Status == models.PhoneConnected && p.TokenExpiresAt != nil && p.TokenExpiresAt.Sub(now) < TokenWarning {
			when := p.TokenExpiresAt.Format("2 Jan 2006 15:04 MST")
			out = append(out, Banner{false, fmt.Sprintf("%s: the access token expires on %s. Connect the number again before then "+
				"(a system-user token that never expires avoids this).", name, when), "banner.token_expiring", []any{"Number", name, "Date", when}})
		}
	}
	if biz.WindowTemplate != "" {
		t, err := s.Store.Template(ctx, biz.ID, biz.WindowTemplate, biz.TemplateLanguage)
		switch {
		case errors.Is(err, models.ErrNotFound):
		case err != nil:
			return out, err
		case !t.Usable() && t.Status != "PENDING":
			why := ""
			if t.Reason != "" {
				why = " (" + t.Reason + ")"
			}
			out = append(out, Banner{false, fmt.Sprintf("Meta %s the template %s%s, so notifications outside the 24-hour window wait "+
				"until the customer writes. Choose or create another template on the Templates page.", pastTense(t.Status), t.Name, why),
				"banner.template_" + templateState(t.Status), []any{"Name", t.Name, "Why", why, "Status", strings.ToLower(t.Status)}})
		}
	}
	return out, nil
}

// templateState is the banner id's suffix for a template Meta stopped: its status, or "marked" for another one.
func templateState(status string) string {
	switch status {
	case "REJECTED", "PAUSED", "DISABLED", "FLAGGED":
		return strings.ToLower(status)
	}
	return "marked"
}

func pastTense(status string) string {
	switch status {
	case "REJECTED", "PAUSED", "DISABLED", "FLAGGED":
		return strings.ToLower(status)
	}
	return "marked " + strings.ToLower(status)
}
