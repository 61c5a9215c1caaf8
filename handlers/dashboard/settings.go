package dashboard

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

type settingsView struct {
	Form         settingsForm
	Errors       map[string]string
	Error        string
	CanEdit      bool
	Fulfillments []option
	Languages    []option // the bot's and the dashboard's, each named in itself
	Numbers      []numberView
	Connect      struct{ MetaPhoneID, WABAID string }
	Attempt      *attemptView
	NewPIN       string // the generated two-step PIN of a number just connected: shown once
	Signup       bool
	// SandboxSignup replaces Meta's window with a simulated one whose steps run against the sandbox's fake.
	SandboxSignup bool
	MetaAppID     string
	MetaConfigID  string
	GraphVersion  string
}

type settingsForm struct {
	Name, Currency, Timezone, MinOrder, Greeting  string
	WindowTemplate, TemplateLanguage, Fulfillment string
	DeliveryFee, FreeDeliveryOver, Language       string
	AlwaysOpen, RequireContactPhone               bool
	Days                                          []dayHours
	Exceptions                                    string // one a line: "2026-12-25 closed", "2026-12-31 18:00-02:00"
}

type dayHours struct{ Key, Label, Value string }

type numberView struct {
	ID                                   int64
	Display, MetaPhoneID, WABAID, Reason string
	Status                               string
	NeedsReconnect                       bool
	Active                               bool // connected or restricted: it has a working token
	VerifiedName, Quality, Limit, Note   string
	TokenExpires                         string
}

var weekdays = []struct{ Key, Label string }{
	{"mon", "Monday"}, {"tue", "Tuesday"}, {"wed", "Wednesday"}, {"thu", "Thursday"}, {"fri", "Friday"},
	{"sat", "Saturday"}, {"sun", "Sunday"},
}

// settings shows the business settings, its WhatsApp numbers with their connection state, and how to connect one.
func (d *Handler) settings(c *fiber.Ctx) error {
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	return d.renderSettings(c, fiber.StatusOK, formFromBusiness(biz), nil)
}

func (d *Handler) renderSettings(c *fiber.Ctx, status int, f settingsForm, errs map[string]string) error {
	return d.renderSettingsWith(c, status, f, errs, "")
}

// renderSettingsWith is renderSettings showing newPIN, the PIN of a number just connected, once.
func (d *Handler) renderSettingsWith(c *fiber.Ctx, status int, f settingsForm, errs map[string]string, newPIN string) error {
	p, _ := principal(c)
	if d.MetaAppID != "" {
		guard.AllowEmbeddedSignup(c) // the page loads Meta's SDK for Embedded Signup
	}
	numbers, err := d.Merchant.PhoneNumbers(c.UserContext(), p.BusinessID)
	if err != nil {
		return d.fail(c, err)
	}
	v := settingsView{Form: f, Errors: errs, CanEdit: p.Role == models.RoleOwner, MetaAppID: d.MetaAppID,
		MetaConfigID: d.MetaConfigID, GraphVersion: d.GraphVersion, NewPIN: newPIN,
		Signup:        d.MetaAppID != "" && d.MetaConfigID != "" && d.Onboarding != nil,
		SandboxSignup: d.SandboxMeta != nil && d.Onboarding != nil}
	if v.Attempt, err = d.attemptView(c, p.BusinessID); err != nil {
		return d.fail(c, err)
	}
	if v.GraphVersion == "" {
		v.GraphVersion = "v23.0"
	}
	pr := d.printer(c)
	if len(errs) > 0 {
		v.Error = pr.T("common.nothing_saved")
	}
	v.Connect.MetaPhoneID, v.Connect.WABAID = c.FormValue("phone_number_id"), c.FormValue("waba_id")
	for _, fl := range []models.Fulfillment{models.FulfillBoth, models.FulfillDelivery, models.FulfillPickup} {
		label := map[models.Fulfillment]string{models.FulfillBoth: pr.T("settings.fulfill_both"),
			models.FulfillDelivery: pr.T("settings.fulfill_delivery"), models.FulfillPickup: pr.T("settings.fulfill_pickup")}[fl]
		v.Fulfillments = append(v.Fulfillments, option{string(fl), label, string(fl) == f.Fulfillment})
	}
	for i := range v.Form.Days {
		v.Form.Days[i].Label = pr.T("day." + v.Form.Days[i].Key)
	}
	for _, l := range locale.Languages() {
		v.Languages = append(v.Languages, option{l, locale.For(l).T("common.lang_name"), l == f.Language})
	}
	biz, _ := d.business(c) // the zero business reads dates in UTC and English
	for _, n := range numbers {
		v.Numbers = append(v.Numbers, numberOf(n, localOf(biz)))
	}
	return d.render(c, status, "settings", "settings", v)
}

func formFromBusiness(b models.Business) settingsForm {
	f := settingsForm{Name: b.Name, Currency: b.Currency, Timezone: b.Timezone, Greeting: b.Greeting,
		WindowTemplate: b.WindowTemplate, TemplateLanguage: b.TemplateLanguage, Fulfillment: string(b.Fulfillment),
		MinOrder: majorUnits(b.MinOrderMinor, b.Currency), AlwaysOpen: strings.TrimSpace(b.OpeningHours) == "",
		Language: b.Language, RequireContactPhone: b.RequireContactPhone}
	if b.DeliveryFeeMinor > 0 {
		f.DeliveryFee = majorUnits(b.DeliveryFeeMinor, b.Currency)
	}
	if b.FreeDeliveryOverMinor > 0 {
		f.FreeDeliveryOver = majorUnits(b.FreeDeliveryOverMinor, b.Currency)
	}
	hours, _ := models.ParseOpeningHours(b.OpeningHours) // unreadable hours show as empty days, to be fixed here
	for _, wd := range weekdays {
		f.Days = append(f.Days, dayHours{wd.Key, wd.Label, models.FormatRanges(hours.Day(wd.Key))})
	}
	f.Exceptions = models.FormatExceptions(hours.Exceptions, locale.For(b.Language).T("settings.closed")) // the word it reads back
	return f
}

// saveSettings validates and stores the settings; only owners may.
func (d *Handler) saveSettings(c *fiber.Ctx) error {
	p, _ := principal(c)
	if p.Role != models.RoleOwner {
		return d.ownersOnly(c, "settings", "settings.owner_only")
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	pr := d.printer(c)
	f, errs := readSettingsForm(c, pr)
	biz = applySettings(biz, f)
	if len(errs) == 0 {
		err = d.Merchant.UpdateSettings(c.UserContext(), biz)
		if err == nil {
			return redirect(c, "/settings", pr.T("settings.saved_flash"))
		}
	} else {
		// The service's rules (merchant.ValidateSettings, pure) judge the rest of the form too, so one post shows
		// every field to fix: what could not be parsed here and what the service refuses.
		err = merchant.ValidateSettings(&biz)
	}
	if err != nil {
		v, ok := models.AsInvalid(err)
		if !ok {
			return d.fail(c, err)
		}
		if field := fieldOr(v.Field, settingsFields); errs[field] == "" {
			errs[field] = settingsErrorText(pr, v)
		}
	}
	return d.renderSettings(c, fiber.StatusUnprocessableEntity, f, errs)
}

// settingsErrorText is the service's refusal of a settings field in pr's language: the settings page's own words
// for the field when it has them ("settings.error_name"), the hours' own for refused hours, else the shared ones.
func settingsErrorText(pr locale.Printer, v *models.Error) string {
	var hours *models.HoursError
	if errors.As(v, &hours) {
		return hoursErrorText(pr, hours)
	}
	return fieldErrorText(pr, "settings", v)
}

var settingsFields = map[string]bool{"name": true, "currency": true, "timezone": true, "min_order": true, "greeting": true,
	"fulfillment": true, "opening_hours": true, "window_template": true, "template_language": true, "delivery_fee": true,
	"free_delivery_over": true, "language": true}

// fieldOr is field when the page has it, else "form" (the message shows at the end of the form).
func fieldOr(field string, known map[string]bool) string {
	if known[field] {
		return field
	}
	return "form"
}

// readSettingsForm reads the posted settings; what cannot be parsed comes back as field errors in pr's language.
func readSettingsForm(c *fiber.Ctx, pr locale.Printer) (settingsForm, map[string]string) {
	f := settingsForm{Name: strings.TrimSpace(c.FormValue("name")), Currency: strings.ToUpper(strings.TrimSpace(c.FormValue("currency"))),
		Timezone: strings.TrimSpace(c.FormValue("timezone")), MinOrder: strings.TrimSpace(c.FormValue("min_order")),
		Greeting: strings.TrimSpace(c.FormValue("greeting")), WindowTemplate: strings.TrimSpace(c.FormValue("window_template")),
		TemplateLanguage: strings.TrimSpace(c.FormValue("template_language")), Fulfillment: c.FormValue("fulfillment"),
		AlwaysOpen: c.FormValue("always_open") == "true", DeliveryFee: strings.TrimSpace(c.FormValue("delivery_fee")),
		FreeDeliveryOver: strings.TrimSpace(c.FormValue("free_delivery_over")), Language: c.FormValue("language"),
		Exceptions:          c.FormValue("exceptions"),
		RequireContactPhone: c.FormValue("require_contact_phone") == "true"}
	for _, wd := range weekdays {
		f.Days = append(f.Days, dayHours{wd.Key, pr.T("day." + wd.Key), strings.TrimSpace(c.FormValue("hours_" + wd.Key))})
	}
	// Only what must be parsed from the form's text is checked here; the rules of the values themselves (name,
	// currency, time zone, fulfillment, limits) are merchant.ValidateSettings', which saving applies.
	errs := map[string]string{}
	if f.Timezone == "" {
		f.Timezone = "UTC"
	}
	// The service lets an empty fulfillment through (a new business gets a default); this page always sends one.
	if f.Fulfillment == "" {
		errs["fulfillment"] = pr.T("settings.error_fulfillment")
	}
	if f.MinOrder != "" {
		if _, err := whatsapp.MinorUnits(f.MinOrder, f.Currency); err != nil {
			errs["min_order"] = pr.T("settings.error_min_order")
		}
	}
	for field, v := range map[string]string{"delivery_fee": f.DeliveryFee, "free_delivery_over": f.FreeDeliveryOver} {
		if v != "" {
			if _, err := whatsapp.MinorUnits(v, f.Currency); err != nil {
				errs[field] = pr.T("settings.error_fee")
			}
		}
	}
	if _, err := openingHours(f); err != nil {
		errs["opening_hours"] = hoursErrorText(pr, err)
	}
	return f, errs
}

// applySettings copies the form onto the business; a value that could not be parsed is left zero (its field error
// is shown instead).
func applySettings(b models.Business, f settingsForm) models.Business {
	b.Name, b.Currency, b.Timezone, b.Greeting = f.Name, f.Currency, f.Timezone, f.Greeting
	b.WindowTemplate, b.TemplateLanguage, b.Fulfillment = f.WindowTemplate, f.TemplateLanguage, models.Fulfillment(f.Fulfillment)
	b.MinOrderMinor, b.RequireContactPhone = 0, f.RequireContactPhone
	if f.MinOrder != "" {
		b.MinOrderMinor, _ = whatsapp.MinorUnits(f.MinOrder, f.Currency)
	}
	b.DeliveryFeeMinor, b.FreeDeliveryOverMinor = 0, 0
	if f.Language != "" {
		b.Language = f.Language
	}
	if f.DeliveryFee != "" {
		b.DeliveryFeeMinor, _ = whatsapp.MinorUnits(f.DeliveryFee, f.Currency)
	}
	if f.FreeDeliveryOver != "" {
		b.FreeDeliveryOverMinor, _ = whatsapp.MinorUnits(f.FreeDeliveryOver, f.Currency)
	}
	b.OpeningHours, _ = openingHours(f)
	return b
}

// openingHours turns the day fields ("09:00-14:00, 18:00-02:00"; empty = closed) and the exception days into the
// stored form (models.OpeningHours); always open is the empty string. A refusal is a *models.HoursError, which
// hoursErrorText words in the merchant's language.
func openingHours(f settingsForm) (string, error) {
	if f.AlwaysOpen {
		return "", nil
	}
	var h models.OpeningHours
	for _, d := range f.Days {
		rs, err := models.ParseRanges(d.Value)
		if err != nil {
			var e *models.HoursError
			if errors.As(err, &e) {
				e.Day = d.Key
			}
			return "", err
		}
		if err := h.SetDay(d.Key, rs); err != nil {
			return "", err
		}
	}
	ex, err := models.ParseExceptions(f.Exceptions)
	if err != nil {
		return "", err
	}
	h.Exceptions = ex
	if h.AlwaysOpen() {
		return "", &models.HoursError{Reason: models.HoursNone}
	}
	if err := h.Validate(); err != nil {
		return "", err
	}
	return h.String(), nil
}

// hoursErrorText is a refusal of opening hours in p's language: where (a weekday, a line of the exception days, a
// date), then what. An error that is not a *models.HoursError keeps its text.
func hoursErrorText(p locale.Printer, err error) string {
	var e *models.HoursError
	if !errors.As(err, &e) {
		return err.Error()
	}
	var parts []string
	if e.Day != "" {
		parts = append(parts, p.T("day."+e.Day))
	}
	if e.Line > 0 {
		parts = append(parts, p.T("hours_error.line", "Line", e.Line))
	}
	if e.Date != "" {
		parts = append(parts, e.Date)
	}
	return strings.Join(append(parts, p.T("hours_error."+e.Reason, e.Args...)), ": ")
}
