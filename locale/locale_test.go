package locale

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// catalog reads the embedded files of one language into id → text.
func catalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	files, err := fs.Glob(catalogFiles, "catalogs/*."+lang+".toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalog files for %s: %v", lang, err)
	}
	out := map[string]string{}
	for _, f := range files {
		buf, err := fs.ReadFile(catalogFiles, f)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := toml.Unmarshal(buf, &raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		flatten("", raw, out)
	}
	return out
}

func flatten(prefix string, m map[string]any, out map[string]string) {
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			flatten(prefix+k+".", v, out)
		case string:
			out[prefix+k] = v
		}
	}
}

var field = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func fields(s string) []string {
	var out []string
	for _, m := range field.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestCatalogs_EveryLanguageHasEveryKeyWithTheSameFields(t *testing.T) {
	if _, err := bundle(); err != nil {
		t.Fatalf("the embedded catalogs do not load: %v", err)
	}
	ref := catalog(t, Default)
	if len(ref) < 50 {
		t.Fatalf("the English catalog has only %d messages", len(ref))
	}
	for _, lang := range Languages()[1:] {
		got := catalog(t, lang)
		for _, id := range slices.Sorted(maps.Keys(ref)) {
			text, ok := got[id]
			switch {
			case !ok:
				t.Errorf("%s: missing %q", lang, id)
			case strings.TrimSpace(text) == "":
				t.Errorf("%s: %q is empty", lang, id)
			case !slices.Equal(fields(text), fields(ref[id])):
				t.Errorf("%s: %q fills %v, English fills %v", lang, id, fields(text), fields(ref[id]))
			}
		}
		for id := range got {
			if _, ok := ref[id]; !ok {
				t.Errorf("%s: %q is not in the English catalog", lang, id)
			}
		}
	}
}

// usedIDs are the catalog ids the code and the templates name: Printer.T("id" in Go, {{t "id"}} in templates.
var usedIDs = regexp.MustCompile(`(?:\.T\(|\{\{-?\s*t\s+|\(t\s+)"([a-z_]+\.[a-z0-9_.]+)"`)

func TestCatalogs_EveryIDTheCodeAndTemplatesUseExists(t *testing.T) {
	ref := catalog(t, Default)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".html")) || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range usedIDs.FindAllStringSubmatch(string(buf), -1) {
			seen++
			if _, ok := ref[m[1]]; !ok {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s uses %q, which no catalog has", rel, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Fatalf("found only %d uses of catalog ids: is the pattern still what the code writes?", seen)
	}
}

func TestPrinter_FillsFieldsInTheChosenLanguage(t *testing.T) {
	cases := []struct {
		langs []string
		want  string
	}{
		{[]string{"es"}, "¡Bienvenido a Casa Pepe! 👋"},
		{[]string{"pt-BR"}, "Boas-vindas! Aqui é Casa Pepe 👋"},
		{[]string{"", "es"}, "¡Bienvenido a Casa Pepe! 👋"},        // no customer language: the business's
		{[]string{"fr", "pt"}, "Boas-vindas! Aqui é Casa Pepe 👋"}, // a language we do not have is skipped
		{nil, "Welcome to Casa Pepe! 👋"},
	}
	for _, c := range cases {
		if got := For(c.langs...).T("bot.welcome", "Shop", "Casa Pepe"); got != c.want {
			t.Errorf("For(%q): %q, want %q", c.langs, got, c.want)
		}
	}
	if got := For("es").T("no.such_id"); got != "no.such_id" {
		t.Errorf("an unknown id comes back as itself, got %q", got)
	}
}

func TestFromGreeting_PicksTheLanguageOfAnOpeningGreeting(t *testing.T) {
	cases := map[string]string{
		"Hola!": "es", "buenas": "es", "Buenos días, quiero pedir": "es", "¡Hola, qué tal?": "es",
		"Olá": "pt", "oi": "pt", "Bom dia!": "pt", "boa noite, tudo bem?": "pt",
		"hi": "en", "Hello there": "en", "Good evening": "en",
		"2 pizzas": "", "menu": "", "": "", "ohio": "", "bom": "",
	}
	for text, want := range cases {
		if got := FromGreeting(text); got != want {
			t.Errorf("FromGreeting(%q) = %q, want %q", text, got, want)
		}
	}
}

// WhatsApp refuses a reply button title over 20 characters and a list row or section title over 24; the bot then
// falls back to plain text, losing the buttons.
func TestCatalogs_ButtonAndRowTitlesFitWhatsApp(t *testing.T) {
	for _, lang := range Languages() {
		for id, text := range catalog(t, lang) {
			limit := 0
			switch {
			case strings.HasSuffix(id, "_button"):
				limit = 20
			case strings.HasSuffix(id, "_row"), strings.HasSuffix(id, "_section"), id == "bot.menu_category":
				limit = 24
			}
			if n := len([]rune(text)); limit > 0 && n > limit {
				t.Errorf("%s %s: %q is %d characters, at most %d fit", lang, id, text, n, limit)
			}
		}
	}
}

func TestFromAcceptLanguage_PicksTheBrowsersPreferredSupportedLanguage(t *testing.T) {
	cases := map[string]string{
		"es-MX,es;q=0.9":          "es",
		"pt-BR":                   "pt",
		"pt-PT,pt;q=0.9,en;q=0.5": "pt",
		"en-US,en;q=0.9,es;q=0.8": "en",
		"fr-FR,fr;q=0.9,es;q=0.5": "es", // French is not offered: the next one the browser accepts
		"de-DE,es;q=0.2,pt;q=0.7": "pt", // by weight, not by position
		"fr-FR,de;q=0.9":          "",
		"":                        "",
		"not a ;; header ===":     "",
	}
	for header, want := range cases {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestDate_WritesMonthsWeekdaysAndOrderOfEachLanguage(t *testing.T) {
	at := time.Date(2026, time.December, 2, 14, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang, form, want string
	}{
		{"en", DateDay, "Dec 2"},
		{"en", DateDayTime, "Dec 2, 14:05"},
		{"en", DateFull, "Wed Dec 2 2026, 14:05 UTC"},
		{"es", DateDay, "2 dic"},
		{"es", DateDateTime, "2 dic 2026, 14:05"},
		{"es", DateWeekdayDay, "mié 2 dic"},
		{"pt", Date, "2 dez 2026"},
		{"pt", DateFull, "qua, 2 dez 2026, 14:05 UTC"},
	} {
		if got := For(tc.lang).Date(at, tc.form); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.form, got, tc.want)
		}
	}
}
