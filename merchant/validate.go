package merchant

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
)

// ValidateProduct checks what a merchant may set on a product, normalising its text fields.
func ValidateProduct(p *models.Product) error {
	p.Name = strings.TrimSpace(p.Name)
	p.RetailerID = strings.TrimSpace(p.RetailerID)
	p.Category = strings.TrimSpace(p.Category)
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	switch {
	case p.Name == "":
		return models.Invalid("name", "name is required")
	case utf8.RuneCountInString(p.Name) > 200:
		return models.Invalid("name", "name must be at most 200 characters")
	case p.RetailerID == "":
		return models.Invalid("retailer_id", "retailer_id is required")
	case utf8.RuneCountInString(p.RetailerID) > 100:
		return models.Invalid("retailer_id", "retailer_id must be at most 100 characters")
	case p.PriceMinor < 0:
		return models.Invalid("price", "price must be zero or more")
	case p.PriceMinor > 1_000_000_000_00:
		return models.Invalid("price", "price is too large")
	case !isCurrency(p.Currency):
		return models.Invalid("currency", "currency must be a 3-letter ISO code")
	case utf8.RuneCountInString(p.Description) > 2000:
		return models.Invalid("description", "description must be at most 2000 characters")
	case utf8.RuneCountInString(p.Category) > 100:
		return models.Invalid("category", "category must be at most 100 characters")
	}
	return nil
}

func isCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// Meta's rules: template names are lower-case letters, digits and underscores; languages are codes like en or
// en_US (pt_BR, zh_CN, …).
var (
	templateNameRe = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	languageRe     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2,4})?$`)
)

// ValidateSettings checks the merchant-editable settings of b, normalising its text fields. The field names are
// the settings form's: name, currency, timezone, min_order, greeting, fulfillment, opening_hours,
// window_template, template_language.
func ValidateSettings(b *models.Business) error {
	b.Name = strings.TrimSpace(b.Name)
	b.Currency = strings.ToUpper(strings.TrimSpace(b.Currency))
	b.Timezone = strings.TrimSpace(b.Timezone)
	b.Greeting = strings.TrimSpace(b.Greeting)
	b.WindowTemplate = strings.TrimSpace(b.WindowTemplate)
	b.TemplateLanguage = strings.TrimSpace(b.TemplateLanguage)
	b.OpeningHours = strings.TrimSpace(b.OpeningHours)
	switch {
	case b.Name == "":
		return models.Invalid("name", "name is required")
	case utf8.RuneCountInString(b.Name) > 200:
		return models.Invalid("name", "name must be at most 200 characters")
	case !isCurrency(b.Currency):
		return models.Invalid("currency", "currency must be a 3-letter ISO code, like USD or EUR")
	case b.MinOrderMinor < 0:
		return models.Invalid("min_order", "minimum order must be zero or more")
	case utf8.RuneCountInString(b.Greeting) > 1000:
		return models.Invalid("greeting", "greeting must be at most 1000 characters")
	case b.WindowTemplate != "" && !templateNameRe.MatchString(b.WindowTemplate):
		return models.Invalid("window_template", "template name must be lower-case letters, digits and underscores, as in WhatsApp Manager")
	case b.TemplateLanguage != "" && !languageRe.MatchString(b.TemplateLanguage):
		return models.Invalid("template_language", "template language must be a code like en or en_US")
	}
	if b.Timezone != "" {
		if _, err := time.LoadLocation(b.Timezone); err != nil {
			return models.Invalid("timezone", "unknown time zone; use one like Europe/Lisbon")
		}
	}
	switch b.Fulfillment {
	case "", models.FulfillDelivery, models.FulfillPickup, models.FulfillBoth:
	default:
		return models.Invalid("fulfillment", "fulfillment must be delivery, pickup or both")
	}
	switch {
	case b.DeliveryFeeMinor < 0:
		return models.Invalid("delivery_fee", "the delivery fee must be zero or more")
	case b.FreeDeliveryOverMinor < 0:
		return models.Invalid("free_delivery_over", "the free-delivery amount must be zero or more")
	}
	if b.Language == "" {
		b.Language = locale.Default
	}
	if locale.Supported(b.Language) != b.Language {
		return models.Invalid("language", "the language must be one of "+strings.Join(locale.Languages(), ", "))
	}
	hours, err := models.ParseOpeningHours(b.OpeningHours)
	if err != nil {
		// The cause stays in the chain (a *models.HoursError), so the dashboard words it in the merchant's language.
		return &models.Error{Code: models.EINVALID, Field: "opening_hours", Message: err.Error(), Err: err}
	}
	b.OpeningHours = hours.String()
	return nil
}
