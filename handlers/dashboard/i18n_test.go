package dashboard

import (
	"errors"
	"strconv"
	"testing"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/models"
)

// Catalog ids the code builds from a value (a role, a step, a status…) escape the catalog test's search for
// literal ids: each must exist.
func TestCatalog_IDsBuiltFromValuesExist(t *testing.T) {
	en := locale.For(locale.Default)
	var ids []string
	for _, r := range []models.Role{models.RoleOwner, models.RoleStaff} {
		ids = append(ids, "team.role_"+string(r))
	}
	for _, st := range models.ConnectSteps {
		ids = append(ids, "settings.step_"+st.Key)
	}
	for _, s := range models.TemplateParamSources {
		ids = append(ids, "templates.source_"+s.Key)
	}
	for _, s := range models.OrderStatuses {
		for _, next := range s.Next() {
			ids = append(ids, "order.action_"+string(next))
		}
	}
	for _, f := range []models.Fulfillment{models.FulfillDelivery, models.FulfillPickup, models.FulfillBoth} {
		ids = append(ids, "order.fulfill_"+string(f))
	}
	for _, kind := range []string{"image", "audio", "video", "document", "sticker"} { // models.IsMediaKind
		ids = append(ids, "media.kind_"+kind)
	}
	for _, b := range []string{"restricted", "token_expired", "health", "token_expiring", "template_rejected", "template_paused",
		"template_disabled", "template_flagged", "template_marked"} { // onboarding.Banner's ids
		ids = append(ids, "banner."+b)
	}
	for _, code := range []int{400, 401, 403, 405, 413, 415, 429} {
		ids = append(ids, "error.title_"+strconv.Itoa(code), "error.text_"+strconv.Itoa(code))
	}
	for _, code := range []string{models.ECONFLICT, models.EFORBIDDEN, models.ENOTFOUND, models.ERATELIMITED, models.EUNAVAILABLE} {
		ids = append(ids, "errors."+code)
	}
	for _, id := range ids {
		if en.T(id) == id {
			t.Errorf("no catalog message %q", id)
		}
	}
}

// A service error is shown in the merchant's language when the catalogs name it, else in the service's English.
func TestErrorText_NamesKnownErrorsInTheLanguage(t *testing.T) {
	es := locale.For("es")
	cases := []struct {
		err  error
		want string
	}{
		{models.ErrNoNumber, "Primero conecta un número de WhatsApp."},
		{models.ErrWindowClosed.With("x"), es.T("errors.window_closed")},
		{models.ErrWeakPassword, "Usa al menos 8 caracteres."},
		{models.Invalid("password", "Use at least 8 characters."), "Usa al menos 8 caracteres."},
		{models.ErrForbidden, "Solo el dueño del negocio puede hacer esto."},
		{models.Invalid("name", "name must be at most 200 characters"), "name must be at most 200 characters"},
		{errors.New("disk on fire"), es.T("error.went_wrong")},
	}
	for _, c := range cases {
		if got := errorText(es, c.err); got != c.want {
			t.Errorf("errorText(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
