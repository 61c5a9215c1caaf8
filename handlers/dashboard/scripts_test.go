package dashboard

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/web"
)

// The scripts write only the messages the layout's i18n block carries, each with the fields it declares, and the
// block carries nothing they do not use.
func TestJSMessages_AreWhatTheScriptsWrite(t *testing.T) {
	// An id is a quoted section.key: t("id", …), or an id a script picks before calling t (simulator.js's ticks).
	call := regexp.MustCompile(`"([a-z_]+\.[a-z0-9_]+)"`)
	used := map[string]bool{}
	scripts, _ := fs.Glob(web.Static, "static/*.js")
	for _, s := range scripts {
		b, err := fs.ReadFile(web.Static, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
			if _, ok := jsMessages()[m[1]]; !ok {
				t.Errorf("%s writes %q, which jsMessages does not carry", s, m[1])
			}
		}
	}
	en := locale.For(locale.Default)
	for id, fields := range jsMessages() {
		if en.T(id) == id {
			t.Errorf("no catalog message %q", id)
		}
		if !used[id] {
			t.Errorf("jsMessages carries %q, which no script writes", id)
		}
		for _, lang := range locale.Languages() {
			text := jsText(locale.For(lang))[id]
			for _, f := range fields {
				if !strings.Contains(text, "{"+f+"}") {
					t.Errorf("%s %s: %q does not show where %s goes", lang, id, text, f)
				}
			}
			if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") {
				t.Errorf("%s %s: %q has an unfilled field", lang, id, text)
			}
		}
	}
}

// The layout carries the scripts' messages as JSON the scripts can read, in the page's language.
func TestLayout_CarriesTheScriptsMessagesInThePagesLanguage(t *testing.T) {
	d := &Handler{}
	if err := d.load(); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	tpl, err := d.page("pt", "error")
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.ExecuteTemplate(&b, "layout", page{Data: errorView{"x", "y"}}); err != nil {
		t.Fatal(err)
	}
	block := between(b.String(), `<script type="application/json" id="i18n">`, `</script>`)
	if !strings.Contains(block, `"orders.new_order_toast":"Novo pedido #{Number} · {Customer} · {Total}"`) {
		t.Fatalf("the i18n block is %q", block)
	}
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}
