// Package locale holds the message catalogs (English, Spanish, Portuguese) that everything a customer or a merchant
// reads is written from, and picks a conversation's language from a customer's greeting. It is pure: catalogs are
// embedded in the binary, and nothing here does I/O or knows about storage.
package locale

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"
)

// Default is the language used when neither the customer nor the business chose one, and the one every catalog is
// checked against.
const Default = "en"

// Languages lists the languages with a complete catalog, Default first.
func Languages() []string { return []string{"en", "es", "pt"} }

// catalogFiles are one TOML file per area and language: <area>.<lang>.toml (see README, Languages).
//
//go:embed catalogs/*.toml
var catalogFiles embed.FS

// bundle parses the embedded catalogs once. It is compiled-in data, never changed after loading (like a
// regexp.MustCompile of a constant); TestCatalogs_* fail when a file does not parse.
var bundle = sync.OnceValues(func() (*i18n.Bundle, error) { return load(catalogFiles) })

func load(fsys fs.FS) (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(fsys, "catalogs/*.toml")
	if err != nil {
		return nil, fmt.Errorf("list catalogs: %w", err)
	}
	for _, f := range files {
		if _, err := b.LoadMessageFileFS(fsys, f); err != nil {
			return nil, fmt.Errorf("load catalog %s: %w", path.Base(f), err)
		}
	}
	return b, nil
}

// Supported returns lang reduced to one of Languages ("es-MX" → "es", "pt_BR" → "pt"), or "" when it is none of them.
func Supported(lang string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(lang)), "-")
	base, _, _ = strings.Cut(base, "_")
	for _, l := range Languages() {
		if base == l {
			return l
		}
	}
	return ""
}

// FromAcceptLanguage is the supported language a browser's Accept-Language header prefers ("es-MX,es;q=0.9" →
// "es"), by golang.org/x/text/language's matcher over Languages(), or "" when the header is missing, unreadable or
// names none of them.
func FromAcceptLanguage(header string) string {
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(prefs) == 0 {
		return ""
	}
	langs := Languages()
	tags := make([]language.Tag, len(langs))
	for i, l := range langs {
		tags[i] = language.Make(l)
	}
	_, i, conf := language.NewMatcher(tags).Match(prefs...)
	if conf == language.No {
		return ""
	}
	return langs[i]
}

// Printer writes messages in one language.
type Printer struct {
	lang string
	loc  *i18n.Localizer
}

// For returns the printer of the first supported language among langs (a customer's, then the business's), else
// of Default.
func For(langs ...string) Printer {
	lang := Default
	for _, l := range langs {
		if s := Supported(l); s != "" {
			lang = s
			break
		}
	}
	b, err := bundle()
	if err != nil {
		return Printer{lang: lang}
	}
	return Printer{lang: lang, loc: i18n.NewLocalizer(b, lang, Default)}
}

// Lang is the printer's language code (en, es, pt).
func (p Printer) Lang() string {
	if p.lang == "" {
		return Default
	}
	return p.lang
}

// T is the message id in the printer's language, its {{.Name}} fields filled from pairs of name and value. An id
// missing from this language falls back to English, and one missing everywhere is returned as it is, so a customer
// never gets an empty message; the catalog tests fail on both.
func (p Printer) T(id string, pairs ...any) string {
	if p.loc == nil {
		return id
	}
	var data map[string]any
	if len(pairs) > 0 {
		data = make(map[string]any, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			data[fmt.Sprint(pairs[i])] = pairs[i+1]
		}
	}
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if s == "" && err != nil {
		return id
	}
	return s
}

// Date forms: which parts of a time Printer.Date writes, in the order and with the month and weekday names of the
// printer's language ("Dec 2, 14:05" in English, "2 dic, 14:05" in Spanish).
const (
	DateDay        = "day"         // Dec 2
	DateWeekdayDay = "weekday_day" // Wed Dec 2
	DateDayTime    = "day_time"    // Dec 2, 14:05
	Date           = "date"        // 2 Dec 2026
	DateDateTime   = "date_time"   // Dec 2 2026, 14:05
	DateFull       = "full"        // Wed Dec 2 2026, 14:05 UTC
)

// Date writes t (already in the reader's time zone) in form, one of the Date* constants, from the catalog's
// date.* patterns and names.
func (p Printer) Date(t time.Time, form string) string {
	return p.T("date."+form, "Weekday", p.T(fmt.Sprintf("date.weekday_%d", t.Weekday())),
		"Month", p.T(fmt.Sprintf("date.month_%d", t.Month())), "Day", t.Day(), "Year", t.Year(),
		"Time", t.Format("15:04"), "Zone", t.Format("MST"))
}

// Status is an order's status (pending, out_for_delivery, …) in words: "out for delivery", "en camino".
func (p Printer) Status(status string) string { return p.T("order_status." + status) }
