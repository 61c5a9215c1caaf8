package dashboard

import (
	"errors"
	"strconv"
	"strings"
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
	for _, code := range append(needsReasons, "other") {
		ids = append(ids, "inbox.needs_"+code)
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

// Why a thread waits for a person is stored as a code and shown in the merchant's language, in the list and above
// the open thread; a reason stored by an older version that is not a code still says something in that language.
func TestInbox_WhyAThreadWaitsForAPersonIsInTheMerchantsLanguage(t *testing.T) {
	d := &Handler{}
	if err := d.load(); err != nil {
		t.Fatal(err)
	}
	render := func(lang, needs string) string {
		t.Helper()
		var b strings.Builder
		v := inboxView{Threads: []threadView{{CustomerID: 7, Name: "Ana", Needs: needs}},
			Open: &openThread{CustomerID: 7, Name: "Ana", Needs: needs}}
		tpl, err := d.page(lang, "inbox")
		if err != nil {
			t.Fatal(err)
		}
		if err := tpl.ExecuteTemplate(&b, "layout", page{Data: v}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	cases := []struct{ lang, needs, want string }{
		{"es", models.NeedsAsked, "el cliente lo pidió"},
		{"es", models.NeedsBotFailed, "el bot no pudo con un mensaje"},
		{"pt", models.NeedsNotUnderstood, "o bot não entendeu o cliente"},
		{"en", models.NeedsAsked, "the customer asked for one"},
		{"pt", "something an older version wrote", "o bot passou a conversa"},
	}
	for _, c := range cases {
		html := render(c.lang, c.needs)
		if !strings.Contains(html, `title="`+c.want+`"`) || !strings.Contains(html, ": "+c.want+".</div>") {
			t.Errorf("%s page for %q does not say %q:\n%s", c.lang, c.needs, c.want, between(html, `<main`, `</main>`))
		}
		for _, english := range []string{"asked for a person", "the bot failed", "did not understand", c.needs} {
			if c.lang != "en" && strings.Contains(html, english) {
				t.Errorf("%s page for %q shows %q", c.lang, c.needs, english)
			}
		}
	}
}

// Each language's word for a closed day is one the opening hours read, so what the settings page writes back (and
// its hint tells the merchant to type) is accepted.
func TestSettings_ClosedDayIsWrittenAndReadInTheMerchantsWord(t *testing.T) {
	for _, lang := range locale.Languages() {
		word := locale.For(lang).T("settings.closed")
		if rs, err := models.ParseRanges(word); err != nil || rs != nil {
			t.Errorf("%s: %q is not read as closed: %v, %v", lang, word, rs, err)
		}
		if hint := locale.For(lang).T("settings.exceptions_hint"); !strings.Contains(hint, "“"+word+"”") {
			t.Errorf("%s: the hint %q does not name %q", lang, hint, word)
		}
		f := formFromBusiness(models.Business{Language: lang, OpeningHours: `{"sat":[["10:00","23:00"]],"exceptions":{"2026-12-24":[]}}`})
		if f.Exceptions != "2026-12-24 "+word+"\n" {
			t.Errorf("%s: exception days written as %q", lang, f.Exceptions)
		}
	}
}
