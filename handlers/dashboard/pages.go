package dashboard

import (
	"fmt"
	"html/template"
	"sync"

	"github.com/waorder/waorder/locale"
	"github.com/waorder/waorder/web"
)

// pageCache parses a page in a language the first time it is rendered, then keeps it. Parsed and escaped, the
// dashboard's ~30 pages in 3 languages are about 10 MB of heap (each page carries its own copy of the layout), which
// an instance that serves webhooks and nobody's dashboard never needs. The templates are embedded in the binary,
// so a page that parses in the tests parses here (TestDashboard_EveryPageParsesInEveryLanguage).
type pageCache struct {
	mu    sync.Mutex
	base  map[string]*template.Template            // layout and partials, by language; only ever cloned
	pages map[string]map[string]*template.Template // by language, then page name
}

// get returns page name in lang (a supported language), parsing it on first use.
func (pc *pageCache) get(lang, name string) (*template.Template, error) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if t := pc.pages[lang][name]; t != nil {
		return t, nil
	}
	if pc.base == nil {
		pc.base, pc.pages = map[string]*template.Template{}, map[string]map[string]*template.Template{}
	}
	base := pc.base[lang]
	if base == nil {
		var err error
		if base, err = parseLayout(locale.For(lang)); err != nil {
			return nil, fmt.Errorf("dashboard layout in %s: %w", lang, err)
		}
		pc.base[lang], pc.pages[lang] = base, map[string]*template.Template{}
	}
	clone, err := base.Clone()
	if err != nil {
		return nil, fmt.Errorf("page %s in %s: %w", name, lang, err)
	}
	t, err := clone.ParseFS(web.Templates, "templates/"+name+".html")
	if err != nil {
		return nil, fmt.Errorf("page %s in %s: %w", name, lang, err)
	}
	pc.pages[lang][name] = t
	return t, nil
}

// parseLayout parses the layout and partials with labels in p's language; "jsText" is what the scripts write, for
// the layout's i18n block.
func parseLayout(p locale.Printer) (*template.Template, error) {
	js := jsText(p)
	funcs := template.FuncMap{"t": p.T, "statusLabel": func(s any) string { return statusLabel(p, s) },
		"needsWhy": func(code string) string { return needsWhy(p, code) }, "jsText": func() map[string]string { return js }}
	return template.New("").Funcs(funcs).ParseFS(web.Templates, "templates/layout.html", "templates/partials.html")
}
