package dashboard

import (
	"cmp"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/whatsapp"
)

// banners says what is wrong with the business's WhatsApp account; a failure to find out costs the banner, not
// the page.
func (d *Handler) banners(c *fiber.Ctx, b models.Business) []onboarding.Banner {
	if d.Onboarding == nil {
		return nil
	}
	phones, err := d.Merchant.PhoneNumbers(c.UserContext(), b.ID)
	if err != nil {
		d.Log.Warn("banners: numbers not read", "err", err)
		return nil
	}
	bs, err := d.Onboarding.Banners(c.UserContext(), b, phones)
	if err != nil {
		d.Log.Warn("banners: template not read", "err", err)
	}
	p := locale.For(b.Language)
	for i := range bs {
		if bs[i].ID != "" {
			bs[i].Text = p.T(bs[i].ID, bs[i].Args...)
		}
	}
	return bs
}

type templatesView struct {
	Templates              []models.MessageTemplate
	Errors                 map[string]string
	Error                  string
	CanEdit                bool
	Wording                string
	Languages              []string
	Chosen, ChosenLanguage string
	Params                 []paramView
	Sources                []struct{ Key, Label string }
}

type paramView struct {
	N     int
	Value string
}

// maxTemplateParams is how many variable pickers the page offers.
const maxTemplateParams = 5

func (d *Handler) templatesPage(c *fiber.Ctx) error {
	return d.renderTemplates(c, fiber.StatusOK, nil, "")
}

func (d *Handler) renderTemplates(c *fiber.Ctx, status int, errs map[string]string, msg string) error {
	if d.Onboarding == nil {
		return d.notFound(c)
	}
	p, _ := principal(c)
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	ts, err := d.Onboarding.Templates(c.UserContext(), p.BusinessID)
	if err != nil {
		return d.fail(c, err)
	}
	v := templatesView{Templates: ts, Errors: errs, Error: msg, CanEdit: p.Role == models.RoleOwner,
		Wording: onboarding.OrderTemplateWording(wordingLanguage(biz.Language)), Languages: onboarding.OrderTemplateLanguages(),
		Chosen: biz.WindowTemplate, ChosenLanguage: biz.TemplateLanguage, Sources: models.TemplateParamSources}
	chosen := strings.Split(biz.TemplateParams, ",")
	for i := range maxTemplateParams {
		pv := paramView{N: i + 1}
		if i < len(chosen) {
			pv.Value = chosen[i]
		}
		v.Params = append(v.Params, pv)
	}
	if msg == "" && len(errs) > 0 {
		v.Error = d.printer(c).T("common.nothing_changed")
	}
	return d.render(c, status, "templates", "templates", v)
}

// wordingLanguage is the order-update template's language (onboarding.OrderTemplateLanguages) closest to the
// business's, whose wording the page shows.
func wordingLanguage(lang string) string {
	switch locale.Supported(lang) {
	case "es":
		return "es"
	case "pt":
		return "pt_BR"
	}
	return "en_US"
}

// ownerOnly answers 403 unless the merchant is an owner; id is the catalog message saying who may.
func (d *Handler) ownerOnly(c *fiber.Ctx, id string) (bool, error) {
	p, _ := principal(c)
	if p.Role != models.RoleOwner || d.Onboarding == nil {
		return false, d.ownersOnly(c, "", id)
	}
	return true, nil
}

// templateFailure shows a service error on the templates page: Meta's refusal or a field's message.
func (d *Handler) templateFailure(c *fiber.Ctx, err error, field string) error {
	var me onboarding.MetaError
	if errors.As(err, &me) {
		return d.renderTemplates(c, fiber.StatusBadGateway, nil, me.Message)
	}
	if v, ok := models.AsInvalid(err); ok {
		msg := errorText(d.printer(c), v)
		if v.Field == "form" {
			return d.renderTemplates(c, fiber.StatusUnprocessableEntity, nil, msg)
		}
		return d.renderTemplates(c, fiber.StatusUnprocessableEntity, map[string]string{cmp.Or(v.Field, field): msg}, "")
	}
	return d.fail(c, err)
}

func (d *Handler) syncTemplates(c *fiber.Ctx) error {
	if ok, err := d.ownerOnly(c, "templates.sync_owner_only"); !ok {
		return err
	}
	p, _ := principal(c)
	ts, err := d.Onboarding.SyncTemplates(c.UserContext(), p.BusinessID)
	if err != nil {
		return d.templateFailure(c, err, "form")
	}
	return redirect(c, "/templates", d.printer(c).T("templates.synced_flash", "N", len(ts)))
}

func (d *Handler) createTemplate(c *fiber.Ctx) error {
	if ok, err := d.ownerOnly(c, "templates.create_owner_only"); !ok {
		return err
	}
	p, _ := principal(c)
	t, err := d.Onboarding.CreateOrderTemplate(c.UserContext(), p.BusinessID, c.FormValue("language"))
	if err != nil {
		return d.templateFailure(c, err, "language")
	}
	return redirect(c, "/templates", d.printer(c).T("templates.submitted_flash", "Name", t.Name, "Language", t.Language,
		"Status", strings.ToLower(t.Status)))
}

func (d *Handler) chooseTemplate(c *fiber.Ctx) error {
	if ok, err := d.ownerOnly(c, "templates.choose_owner_only"); !ok {
		return err
	}
	p, _ := principal(c)
	name, lang, _ := strings.Cut(c.FormValue("template"), "|")
	var params []string
	for i := range maxTemplateParams {
		params = append(params, c.FormValue("param"+strconv.Itoa(i)))
	}
	if err := d.Onboarding.ChooseWindowTemplate(c.UserContext(), p.BusinessID, name, lang, params); err != nil {
		return d.templateFailure(c, err, "template")
	}
	if name == "" {
		return redirect(c, "/templates", d.printer(c).T("templates.none_flash"))
	}
	return redirect(c, "/templates", d.printer(c).T("templates.chosen_flash", "Name", name))
}

type profileView struct {
	ID                 int64
	Number             string
	Form               whatsapp.BusinessProfile
	Website1, Website2 string
	Verticals          []string
	Errors             map[string]string
	Error              string
	CanEdit            bool
}

func (d *Handler) profilePage(c *fiber.Ctx) error {
	id, ok := httpx.PathID(c)
	if !ok || d.Onboarding == nil {
		return d.notFound(c)
	}
	p, _ := principal(c)
	prof, err := d.Onboarding.Profile(c.UserContext(), p.BusinessID, id)
	msg := ""
	if err != nil {
		var me onboarding.MetaError
		v, isField := models.AsInvalid(err)
		switch {
		case errors.As(err, &me):
			msg = me.Message
		case isField:
			msg = errorText(d.printer(c), v)
		default:
			return d.fail(c, err)
		}
	}
	return d.renderProfile(c, fiber.StatusOK, id, prof, nil, msg)
}

func (d *Handler) renderProfile(c *fiber.Ctx, status int, id int64, prof whatsapp.BusinessProfile, errs map[string]string, msg string) error {
	p, _ := principal(c)
	phone, err := d.Onboarding.PhoneNumber(c.UserContext(), p.BusinessID, id)
	if err != nil {
		return d.fail(c, err)
	}
	v := profileView{ID: id, Number: phone.DisplayPhoneNumber, Form: prof, Verticals: whatsapp.ProfileVerticals, Errors: errs,
		Error: msg, CanEdit: p.Role == models.RoleOwner}
	if len(prof.Websites) > 0 {
		v.Website1 = prof.Websites[0]
	}
	if len(prof.Websites) > 1 {
		v.Website2 = prof.Websites[1]
	}
	if msg == "" && len(errs) > 0 {
		v.Error = d.printer(c).T("common.nothing_saved")
	}
	return d.render(c, status, "profile", "settings", v)
}

func (d *Handler) saveProfile(c *fiber.Ctx) error {
	if ok, err := d.ownerOnly(c, "profile.edit_owner_only"); !ok {
		return err
	}
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	prof := whatsapp.BusinessProfile{About: strings.TrimSpace(c.FormValue("about")), Address: strings.TrimSpace(c.FormValue("address")),
		Description: strings.TrimSpace(c.FormValue("description")), Email: strings.TrimSpace(c.FormValue("email")),
		Vertical: c.FormValue("vertical")}
	for _, w := range []string{c.FormValue("website1"), c.FormValue("website2")} {
		if w = strings.TrimSpace(w); w != "" {
			prof.Websites = append(prof.Websites, w)
		}
	}
	if errs := onboarding.ValidateProfile(prof); len(errs) > 0 {
		return d.renderProfile(c, fiber.StatusUnprocessableEntity, id, prof, errs, "")
	}
	err := d.Onboarding.UpdateProfile(c.UserContext(), p.BusinessID, id, prof)
	var me onboarding.MetaError
	switch v, isField := models.AsInvalid(err); {
	case err == nil:
		return redirect(c, "/settings/numbers/"+strconv.FormatInt(id, 10)+"/profile", d.printer(c).T("profile.saved_flash"))
	case errors.As(err, &me):
		return d.renderProfile(c, fiber.StatusBadGateway, id, prof, nil, me.Message)
	case isField:
		return d.renderProfile(c, fiber.StatusUnprocessableEntity, id, prof, map[string]string{v.Field: errorText(d.printer(c), v)}, "")
	default:
		return d.fail(c, err)
	}
}

// sandboxEvent delivers a simulated Meta account webhook about one of the business's numbers (sandbox mode).
func (d *Handler) sandboxEvent(c *fiber.Ctx) error {
	if ok, err := d.ownerOnly(c, "settings.events_owner_only"); !ok {
		return err
	}
	id, ok := httpx.PathID(c)
	if !ok {
		return d.notFound(c)
	}
	p, _ := principal(c)
	phone, err := d.Onboarding.PhoneNumber(c.UserContext(), p.BusinessID, id)
	if err != nil {
		return d.fail(c, err)
	}
	biz, err := d.business(c)
	if err != nil {
		return d.fail(c, err)
	}
	field, value, ok := sandboxEventBody(c.FormValue("event"), phone, biz)
	if !ok {
		return redirect(c, "/settings", d.printer(c).T("settings.choose_event"))
	}
	if err := d.SandboxMeta.AccountEvent(c.UserContext(), phone.WABAID, field, value); err != nil {
		return d.fail(c, err)
	}
	if _, err := d.Onboarding.ApplyEvents(c.UserContext(), 100); err != nil {
		return d.fail(c, err)
	}
	return redirect(c, "/settings", d.printer(c).T("settings.event_flash", "Field", field))
}

func sandboxEventBody(event string, phone models.PhoneNumber, biz models.Business) (string, any, bool) {
	display := phone.DisplayPhoneNumber
	switch event {
	case "flagged", "unflagged":
		return whatsapp.FieldPhoneQualityUpdate, map[string]string{"display_phone_number": display,
			"event": strings.ToUpper(event), "current_limit": "TIER_1K"}, true
	case "restricted":
		return whatsapp.FieldAccountUpdate, map[string]any{"phone_number": display, "event": "ACCOUNT_RESTRICTION",
			"restriction_info": []map[string]string{{"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": "in 7 days"}}}, true
	case "lifted":
		return whatsapp.FieldAccountUpdate, map[string]any{"phone_number": display, "event": "ACCOUNT_RESTRICTION",
			"restriction_info": []any{}}, true
	case "template_paused", "template_approved":
		status, reason := "PAUSED", "Paused because customers reported it (simulated)."
		if event == "template_approved" {
			status, reason = "APPROVED", ""
		}
		return whatsapp.FieldTemplateStatus, map[string]any{"event": status, "message_template_name": biz.WindowTemplate,
			"message_template_language": biz.TemplateLanguage, "reason": "NONE",
			"other_info": map[string]string{"title": "", "description": reason}}, biz.WindowTemplate != ""
	}
	return "", nil, false
}
