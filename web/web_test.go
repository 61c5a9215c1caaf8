package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func TestEmbedsTheAssetsAndPages(t *testing.T) {
	for _, f := range []string{"static/app.css", "static/app.js", "static/i18n.js", "static/simulator.js", "static/signup.js", "static/favicon.svg"} {
		if b, err := fs.ReadFile(Static, f); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	pages, _ := fs.Glob(Templates, "templates/*.html")
	if len(pages) < 10 {
		t.Fatalf("only %d templates embedded", len(pages))
	}
}

// Nothing is loaded from another origin, except Meta's own SDK for Embedded Signup on the settings page.
func TestLoadsNothingFromOtherOrigins(t *testing.T) {
	remote := regexp.MustCompile(`(?i)<(script|link|img|iframe|source)\b[^>]*\b(src|href)="(https?:)?//[^"]*"`)
	_ = fs.WalkDir(Templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(Templates, p)
		for _, m := range remote.FindAllString(string(b), -1) {
			if p == "templates/settings.html" && strings.Contains(m, `src="https://connect.facebook.net/en_US/sdk.js"`) {
				continue
			}
			t.Errorf("%s loads from another origin: %s", p, m)
		}
		return nil
	})
	css, _ := fs.ReadFile(Static, "static/app.css")
	if strings.Contains(string(css), "url(http") || strings.Contains(string(css), "@import") {
		t.Error("app.css fetches from elsewhere")
	}
}
