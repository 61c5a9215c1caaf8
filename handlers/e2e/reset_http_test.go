package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/waorder/waorder/testutil"
)

// The owner issues a member a one-time reset link; it sets a new password once; a removed member cannot log in.
func TestDashboard_ResetLinkAndRemoveMember(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	owner := e.login(t, e.email, e.password)
	staff := e.staff(t)
	members := owner.get(t, "/team")
	id := dashBetween(members, `<tr id="member-`, `">`)
	var staffID int64
	for _, part := range strings.Split(members, `<tr id="member-`)[1:] {
		if strings.Contains(part, "staff-") {
			fmt.Sscan(part, &staffID)
		}
	}
	if staffID == 0 || id == "" {
		t.Fatal("no staff member listed")
	}
	st, body := owner.postBody(t, fmt.Sprintf("/team/%d/reset", staffID), url.Values{})
	link := dashBetween(body, `class="copy" readonly value="`, `"`)
	if st != http.StatusOK || !strings.Contains(link, "/reset/") {
		t.Fatalf("reset link: %d %q", st, link)
	}
	path := link[strings.Index(link, "/reset/"):]
	anon := &dashClient{Client: &http.Client{Jar: mustJar(t), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: e.URL}
	page := anon.get(t, path)
	token := dashBetween(page, `name="form_token" value="`, `"`)
	resp := anon.post(t, path, url.Values{"form_token": {token}, "password": {"short"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("short password: %d", resp.StatusCode)
	}
	page = anon.get(t, path)
	token = dashBetween(page, `name="form_token" value="`, `"`)
	if resp := anon.post(t, path, url.Values{"form_token": {token}, "password": {"brand-new-pass"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if st := anon.status(t, http.MethodGet, path, nil); st != http.StatusGone {
		t.Errorf("used link: %d", st)
	}
	if st := staff.status(t, http.MethodGet, "/", nil); st == http.StatusOK {
		t.Error("the staff member's old session survived the reset")
	}
	if st, _ := owner.postBody(t, fmt.Sprintf("/team/%d/remove", staffID), url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("remove: %d", st)
	}
	if _, err := e.store.User(context.Background(), staffID); err == nil {
		t.Error("the member is still there")
	}
}

func mustJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
