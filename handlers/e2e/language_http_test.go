package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/waorder/waorder/testutil"
)

// Before login there is no business to take a language from: the sign-in page speaks the browser's language
// (Accept-Language) when the dashboard has it, and English otherwise.
func TestDashboard_LoginPageSpeaksTheBrowsersLanguage(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	for _, c := range []struct {
		accept, lang string
		want         []string // words only that language's page has
		wantNot      []string
	}{
		{"es-MX,es;q=0.9", "es", []string{"Iniciar sesión", "Contraseña"}, []string{"Password", "Log in"}},
		{"pt-BR", "pt", []string{"Entrar", "Senha"}, []string{"Password", "Log in"}},
		{"", "en", []string{"Log in", "Password"}, []string{"Contraseña", "Senha"}},
		{"fr-FR,de;q=0.8", "en", []string{"Log in", "Password"}, []string{"Contraseña", "Senha"}},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/login", nil)
		if c.accept != "" {
			req.Header.Set("Accept-Language", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(b)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<html lang="`+c.lang+`">`) {
			t.Errorf("Accept-Language %q: %d, want a page in %s", c.accept, resp.StatusCode, c.lang)
		}
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("Accept-Language %q: the login page lacks %q", c.accept, w)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(page, w) {
				t.Errorf("Accept-Language %q: the login page says %q", c.accept, w)
			}
		}
	}
}

// A wrong password is said in the browser's language too, and a logged-in merchant's pages keep the business's
// language whatever the browser prefers.
func TestDashboard_LoginErrorInTheBrowsersLanguageAndPagesInTheBusinesss(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	anon := &dashClient{Client: &http.Client{Jar: mustJar(t), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: e.URL}
	anon.Transport = acceptLanguage{"pt-BR,pt;q=0.9"}
	token := dashBetween(anon.get(t, "/login"), `name="login_token" value="`, `"`)
	st, page := anon.postBody(t, "/login", url.Values{"email": {e.email}, "password": {"wrong"}, "login_token": {token}})
	if st != http.StatusUnauthorized || !strings.Contains(page, "E-mail ou senha incorretos.") {
		t.Errorf("wrong password in Portuguese: %d %q", st, dashBetween(page, `id="login-error">`, `<`))
	}

	c := e.login(t, e.email, e.password)
	c.Transport = acceptLanguage{"es-MX,es;q=0.9"}
	if team := c.get(t, "/team"); !strings.Contains(team, `<html lang="en">`) || !strings.Contains(team, "Invite someone") {
		t.Errorf("the team page of an English business, for a Spanish browser, is not in English")
	}
}

// acceptLanguage is a transport that sends every request with an Accept-Language header.
type acceptLanguage struct{ value string }

func (a acceptLanguage) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", a.value)
	return http.DefaultTransport.RoundTrip(r)
}
