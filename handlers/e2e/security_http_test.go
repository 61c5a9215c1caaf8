package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/testutil"
)

// TestAccount_ChangePasswordKeepsThisSessionAndEndsTheOthers, then log out everywhere ends this one too.
func TestAccount_ChangePasswordKeepsThisSessionAndEndsTheOthers(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	here, elsewhere := e.login(t, e.email, e.password), e.login(t, e.email, e.password)
	if page := here.get(t, "/account"); !strings.Contains(page, "Change password") || !strings.Contains(page, "Log out everywhere") {
		t.Fatalf("account page:\n%s", page)
	}
	form := func(current, next, confirm string) url.Values {
		return url.Values{"_csrf": {here.csrf}, "current_password": {current}, "new_password": {next}, "confirm_password": {confirm}}
	}
	if got := here.status(t, "POST", "/account/password", form("wrong password", "new password 1", "new password 1")); got != http.StatusUnauthorized {
		t.Fatalf("wrong current password: %d", got)
	}
	if got := here.status(t, "POST", "/account/password", form(e.password, "new password 1", "new password 2")); got != http.StatusBadRequest {
		t.Fatalf("mismatched new passwords: %d", got)
	}
	if got := here.status(t, "POST", "/account/password", form(e.password, "new password 1", "new password 1")); got != http.StatusSeeOther {
		t.Fatalf("change: %d", got)
	}
	if got := here.status(t, "GET", "/stats", nil); got != http.StatusOK {
		t.Fatalf("this session after the change: %d", got)
	}
	if got := elsewhere.status(t, "GET", "/stats", nil); got != http.StatusSeeOther {
		t.Fatalf("another session after the change: %d, want a redirect to log in", got)
	}
	third := e.login(t, e.email, "new password 1")
	if got := here.status(t, "POST", "/account/logout-everywhere", url.Values{"_csrf": {here.csrf}}); got != http.StatusSeeOther {
		t.Fatalf("log out everywhere: %d", got)
	}
	for _, c := range []*dashClient{here, third} {
		if got := c.status(t, "GET", "/stats", nil); got != http.StatusSeeOther {
			t.Fatalf("a session after logging out everywhere: %d", got)
		}
	}
}

// TestLogin_NextNeverLeavesTheSite: the reported vector and its relatives land on "/" after logging in.
func TestLogin_NextNeverLeavesTheSite(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	for next, want := range map[string]string{"/\t/evil.example": "/", "//evil.example": "/", "/\\evil.example": "/",
		"https:evil.example": "/", "/stats?range=7": "/stats?range=7"} {
		c := e.login(t, e.email, e.password)
		resp, err := c.Get(e.URL + "/login?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("next=%q: logged-in redirect to %q, want %q", next, got, want)
		}
	}
}

// TestDashboard_PagesCarryTheSecurityHeadersAndErrorsAreHTML.
func TestDashboard_PagesCarryTheSecurityHeadersAndErrorsAreHTML(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	resp, err := c.Get(e.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Security-Policy") != guard.CSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		resp.Header.Get("Referrer-Policy") == "" || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("orders page headers: %v", resp.Header)
	}
	resp, err = c.Get(e.URL + "/settings")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "https://connect.facebook.net") {
		t.Fatalf("the Embedded Signup page's CSP does not let Meta's SDK load: %q", resp.Header.Get("Content-Security-Policy"))
	}
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/no-such-page", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "<!doctype html>") {
		t.Fatalf("unknown page: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, err = http.Get(e.URL + "/api/v1/orders")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"error"`) {
		t.Fatalf("the API's errors stay JSON: %s %s", resp.Header.Get("Content-Type"), body)
	}
}

// TestEvents_LiveFeedsAreCappedPerSession: a session can't hold more than its share of live-feed streams, the order
// feed and the inbox's counted together; another session still gets one.
func TestEvents_LiveFeedsAreCappedPerSession(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	c := e.login(t, e.email, e.password)
	var open []*http.Response
	t.Cleanup(func() {
		for _, r := range open {
			r.Body.Close()
		}
	})
	refused := false
	for i := range 5 {
		resp, err := c.Get(e.URL + []string{"/events", "/conversations/events"}[i%2])
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			refused = true
			resp.Body.Close()
			break
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		open = append(open, resp)
	}
	if !refused || len(open) != 4 {
		t.Fatalf("%d streams open for one session, refused=%v; want 4 then 429", len(open), refused)
	}
	other := e.login(t, e.email, e.password)
	resp, err := other.Get(e.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("another session's stream: %d", resp.StatusCode)
	}
}
