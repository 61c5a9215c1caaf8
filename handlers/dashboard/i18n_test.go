package dashboard

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/merchant"
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
	for _, s := range orderSources {
		ids = append(ids, "order.from_"+s)
	}
	for _, a := range orderActors {
		ids = append(ids, "order.actor_"+a)
	}
	for _, kind := range inboundKinds {
		ids = append(ids, "conversation.kind_"+kind)
	}
	for _, reason := range models.HoursReasons {
		ids = append(ids, "hours_error."+reason)
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

// Refused opening hours are worded in the merchant's language, on the settings page: where (the weekday, the line
// of the exception days) and what, with nothing of the English left; the service's refusal of stored hours too.
func TestSettings_RefusedHoursAreInTheMerchantsLanguage(t *testing.T) {
	d := &Handler{}
	if err := d.load(); err != nil {
		t.Fatal(err)
	}
	render := func(lang string, form url.Values) string {
		t.Helper()
		app := fiber.New()
		var out string
		app.Post("/", func(c *fiber.Ctx) error {
			f, errs := readSettingsForm(c, locale.For(lang))
			tpl, err := d.page(lang, "settings")
			if err != nil {
				return err
			}
			var b strings.Builder
			err = tpl.ExecuteTemplate(&b, "layout", page{Data: settingsView{Form: f, Errors: errs, CanEdit: true}})
			out = b.String()
			return err
		})
		req := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err := app.Test(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("render: %v %v", resp, err)
		}
		return out
	}
	english := []string{"write hours like", "or closed", "overlaps", "exception days", "line 1", "at least one day",
		"Monday", "Friday"}
	cases := []struct {
		lang  string
		form  url.Values
		wants string
	}{
		{"es", url.Values{"hours_mon": {"9-22"}}, "Lunes: escribe el horario como 09:00-14:00, 18:00-02:00"},
		{"es", url.Values{"hours_sat": {"10:00-23:00"}, "exceptions": {"2026-12-25 cerrado hoy"}},
			"Días especiales, línea 1: escribe el horario como 09:00-14:00, 18:00-02:00, o cerrado"},
		{"pt", url.Values{"hours_fri": {"09:00-14:00, 13:00-18:00"}}, "Sexta-feira: 09:00–14:00 se sobrepõe a 13:00–18:00"},
		{"pt", url.Values{}, "informe o horário de pelo menos um dia, ou marque Sempre aberto"},
		{"en", url.Values{"hours_mon": {"9-22"}}, "Monday: write hours like 09:00-14:00, 18:00-02:00"},
	}
	for _, c := range cases {
		c.form.Set("fulfillment", "both")
		html := render(c.lang, c.form)
		if !strings.Contains(html, `<div class="field-error" role="alert">`+c.wants+`</div>`) {
			t.Errorf("%s, %v: the page does not say %q:\n%s", c.lang, c.form, c.wants, between(html, `<main`, `</main>`))
		}
		for _, en := range english {
			if c.lang != "en" && strings.Contains(html, en) {
				t.Errorf("%s, %v: the page shows %q", c.lang, c.form, en)
			}
		}
	}

	// Hours the service refuses (stored hours posted another way) keep their reason, so this page words it too.
	b := models.Business{Name: "Casa", Currency: "EUR", Timezone: "UTC", OpeningHours: `{"mon":[["09:00","09:00"]]}`}
	v, ok := models.AsInvalid(merchant.ValidateSettings(&b))
	if !ok || v.Field != "opening_hours" {
		t.Fatalf("refusal %v", v)
	}
	if got := settingsErrorText(locale.For("es"), v); got != "Lunes: 09:00–09:00 abre y cierra a la misma hora" {
		t.Errorf("the service's refusal in Spanish: %q", got)
	}
}

// What has no text of its own in a thread (a template we sent, a single product, a customer's catalog cart, a
// message WhatsApp cannot show, a picture removed after the retention period) is worded in the merchant's language when the page is drawn, so rows stored with an
// English Summary read right too; none of that English is left on the page.
func TestInbox_MessagesWithoutATextAreInTheMerchantsLanguage(t *testing.T) {
	d := &Handler{}
	if err := d.load(); err != nil {
		t.Fatal(err)
	}
	tpl := models.OutboundMessage{ID: 1, Kind: "template", Summary: "Template order_ready (es): 42 | Ana",
		Payload: `{"type":"template","template":{"name":"order_ready","language":{"policy":"deterministic","code":"es"},` +
			`"components":[{"type":"body","parameters":[{"type":"text","text":"42"},{"type":"text","text":"Ana"}]}]}}`}
	product := models.OutboundMessage{ID: 2, Kind: "interactive", Summary: "Product pizza-1",
		Payload: `{"type":"interactive","interactive":{"type":"product","action":{"catalog_id":"9","product_retailer_id":"pizza-1"}}}`}
	cart := models.InboundMessage{ID: 3, Type: "order",
		Payload: `{"type":"order","order":{"product_items":[{"product_retailer_id":"pizza-1","quantity":2}]}}`}
	unsupported := models.InboundMessage{ID: 4, Type: "unsupported"}
	render := func(lang string) string {
		t.Helper()
		loc := local{time.UTC, locale.For(lang)}
		msgs := []messageView{outboundView(loc.p, tpl), outboundView(loc.p, product), inboundView(cart, loc, time.Now()),
			inboundView(unsupported, loc, time.Now()),
			{Inbound: true, Media: newMediaView(loc.p, models.InboundMedia{Kind: "image", Status: models.MediaExpired,
				Reason: "removed after 90 days (media retention)"})}}
		page0, err := d.page(lang, "inbox")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		v := inboxView{Open: &openThread{CustomerID: 7, Name: "Ana", Messages: msgs}}
		if err := page0.ExecuteTemplate(&b, "layout", page{Data: v}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	cases := map[string][]string{
		"es": {"Plantilla order_ready (es): 42 | Ana", "Producto pizza-1", "Carrito del catálogo: 2× pizza-1",
			"[Un mensaje que WhatsApp no puede mostrar]", "Foto no se muestra: se eliminó, porque los archivos se guardan"},
		"pt": {"Modelo order_ready (es): 42 | Ana", "Produto pizza-1", "Carrinho do catálogo: 2× pizza-1",
			"[Uma mensagem que o WhatsApp não consegue mostrar]", "Foto: não foi possível exibir (o arquivo foi removido, porque os arquivos"},
		"en": {"Template order_ready (es): 42 | Ana", "Product pizza-1", "Cart from the catalog: 2× pizza-1",
			"[A message WhatsApp cannot show]", "Picture not shown: removed, as files are kept for a limited time"},
	}
	for lang, wants := range cases {
		html := render(lang)
		for _, want := range wants {
			if !strings.Contains(html, want) {
				t.Errorf("%s thread does not say %q:\n%s", lang, want, between(html, `<main`, `</main>`))
			}
		}
		for _, en := range []string{"Template", "Product pizza", "Cart from the catalog", "[unsupported]", "cannot show",
			"removed after", "media retention"} {
			if lang != "en" && strings.Contains(html, en) {
				t.Errorf("%s thread shows %q", lang, en)
			}
		}
	}
	// The needs-attention page lists a reply by the same words.
	if got := outboundSummary(locale.For("es"), tpl); got != "Plantilla order_ready (es): 42 | Ana" {
		t.Errorf("a template reply on the attention page: %q", got)
	}
	if got := outboundSummary(locale.For("pt"), models.OutboundMessage{Summary: "Hi", Payload: `{"type":"text","text":{"body":"Hi"}}`}); got != "Hi" {
		t.Errorf("a text reply on the attention page: %q", got)
	}
}

// The service's refusals of a reply (inbox) and of a status change (order page) are the page's own words in the
// merchant's language, not the service's English; a number not connected yet says so in that language too.
func TestInboxAndOrder_RefusalsAreInTheMerchantsLanguage(t *testing.T) {
	es, pt := locale.For("es"), locale.For("pt")
	cases := []struct {
		p          locale.Printer
		area       string
		err        *models.Error
		want, from string
	}{
		{es, "inbox", models.Invalid("text", "write a message"), "Escribe un mensaje de como máximo 4096 caracteres.", "write a message"},
		{pt, "inbox", models.Invalid("template", "this template needs 2 values"), pt.T("inbox.error_template"), "needs 2 values"},
		{es, "inbox", models.Invalid("key", "the form is missing its key; reload the page"), es.T("inbox.error_key"), "missing its key"},
		{pt, "inbox", models.ErrNoNumber, "Conecte um número de WhatsApp primeiro.", "Connect a WhatsApp"},
		{es, "order", models.Invalid("reason", "the reason must be at most 300 characters"), es.T("order.error_reason"), "at most 300"},
		{pt, "order", models.Invalid("ready_in", "a ready time goes with accepting only"), pt.T("order.error_ready_in"), "accepting only"},
	}
	for _, c := range cases {
		got := fieldErrorText(c.p, c.area, c.err)
		if got != c.want || strings.Contains(got, c.from) {
			t.Errorf("%s %s %v: %q, want %q", c.p.Lang(), c.area, c.err, got, c.want)
		}
	}
	if es.T("inbox.error_key") == "inbox.error_key" || es.T("order.error_ready_in") == "order.error_ready_in" {
		t.Error("the catalogs lack the pages' own words")
	}
}

// Where an order came from and who moved it are stored as codes (chat, catalog; customer, api) beside merchants'
// emails: the order page words the codes in the merchant's language and shows an email as it is.
func TestOrder_SourceAndWhoMovedItAreInTheMerchantsLanguage(t *testing.T) {
	d := &Handler{}
	if err := d.load(); err != nil {
		t.Fatal(err)
	}
	es := locale.For("es")
	v := orderView{ID: 1, Number: 7, Status: "accepted", Source: codeWord(es, "order.from_", orderSources, "catalog"),
		Events: []eventView{{Status: "pending", Actor: codeWord(es, "order.actor_", orderActors, "customer")},
			{Status: "accepted", Actor: codeWord(es, "order.actor_", orderActors, "ana@example.com")},
			{Status: "ready", Actor: codeWord(es, "order.actor_", orderActors, "api")}}}
	tpl, err := d.page("es", "order")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tpl.ExecuteTemplate(&b, "layout", page{Data: v}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"<dd>Catálogo de WhatsApp</dd>", "· el cliente<", "· ana@example.com<", "· la API<"} {
		if !strings.Contains(html, want) {
			t.Errorf("the order page does not say %q:\n%s", want, between(html, `<main`, `</main>`))
		}
	}
	for _, en := range []string{"<dd>catalog</dd>", "· customer<", "· api<"} {
		if strings.Contains(html, en) {
			t.Errorf("the order page shows %q", en)
		}
	}
}
