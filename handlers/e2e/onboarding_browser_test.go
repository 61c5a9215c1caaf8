package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// A newcomer creates an account: bad fields are explained and kept, then the business exists and its owner is
// logged in on the settings page, asked to connect WhatsApp.
func TestBrowser_SignUpExplainsBadFieldsThenCreatesTheBusiness(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ctx := tab(t, 1280, 800)
	email := "new-" + testutil.RandomHex(4) + "@example.com"
	do(t, ctx, "bad sign-up",
		chromedp.Navigate(e.URL+"/signup"),
		chromedp.WaitVisible(chromedp.CSS("#signup")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Taqueria Sol"),
		chromedp.SetValue(chromedp.CSS("#currency"), "pesos"),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), "short"),
		chromedp.Click(chromedp.CSS("#signup button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".field.invalid")))
	if got := text(t, ctx, "#signup"); !strings.Contains(got, "three-letter currency code") || !strings.Contains(got, "at least 8 characters") {
		t.Fatalf("errors shown: %q", got)
	}
	if v := eval[string](t, ctx, `document.querySelector("#name").value`); v != "Taqueria Sol" {
		t.Fatalf("name not kept: %q", v)
	}
	do(t, ctx, "fixed sign-up",
		chromedp.SetValue(chromedp.CSS("#currency"), "MXN"),
		chromedp.SetValue(chromedp.CSS("#timezone"), "America/Mexico_City"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a-long-password"),
		chromedp.Click(chromedp.CSS("#signup button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#connect")))
	if got := text(t, ctx, ".brand"); got != "Taqueria Sol" {
		t.Fatalf("header shows %q", got)
	}
	u, err := e.store.UserByEmail(context.Background(), email)
	if err != nil || u.Role != models.RoleOwner {
		t.Fatalf("owner %+v %v", u, err)
	}
	if b, err := e.store.Business(context.Background(), u.BusinessID); err != nil || b.Currency != "MXN" {
		t.Fatalf("business %+v %v", b, err)
	}
}

// The owner invites a staff member by a one-time link; the link makes one login, as staff, and works once.
func TestBrowser_InviteLinkJoinsTheTeamAsStaff(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ctx := e.ownerTab(t, 1280, 800)
	do(t, ctx, "invite",
		chromedp.Navigate(e.URL+"/team"),
		chromedp.WaitVisible(chromedp.CSS("#invite-form")),
		chromedp.SendKeys(chromedp.CSS("#note"), "Bruno, evenings"),
		chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#one-time-link")))
	link := eval[string](t, ctx, `document.querySelector("#one-time-link input").value`)
	if !strings.HasPrefix(link, e.URL+"/invite/") {
		t.Fatalf("link %q", link)
	}
	if got := text(t, ctx, "#invites"); !strings.Contains(got, "Bruno, evenings") {
		t.Fatalf("pending invites %q", got)
	}
	do(t, ctx, "log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	bruno := "bruno-" + testutil.RandomHex(4) + "@example.com"
	do(t, ctx, "join",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#join")),
		chromedp.SendKeys(chromedp.CSS("#email"), bruno),
		chromedp.SendKeys(chromedp.CSS("#password"), "brunos-password"),
		chromedp.Click(chromedp.CSS("#join button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#orders-total")))
	if got := text(t, ctx, ".brand"); got != "Casa Nonna" {
		t.Fatalf("joined %q", got)
	}
	u, err := e.store.UserByEmail(context.Background(), bruno)
	if err != nil || u.Role != models.RoleStaff || u.BusinessID != e.biz.ID {
		t.Fatalf("user %+v %v", u, err)
	}
	do(t, ctx, "staff sees settings read-only", chromedp.Navigate(e.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS(".alert-warn")))
	do(t, ctx, "the link again", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text(t, ctx, "h1"); !strings.Contains(got, "cannot be used") {
		t.Fatalf("used link shows %q", got)
	}
}

// Connecting a number where Meta refuses one step: the steps show where it stopped with Meta's message, nothing is
// stored, and Retry resumes there and connects the number, showing the generated PIN once.
func TestBrowser_ConnectStopsAtAFailingStepAndRetryResumes(t *testing.T) {
	onEachBackend(t, func(t *testing.T, e *dashEnv) {
		ctx := e.ownerTab(t, 1280, 900)
		e.graph.FailNext(fakegraph.KindSubscribe, fakegraph.Err(http.StatusBadRequest, 200,
			"Permissions error: the app is not allowed to subscribe to this account"))
		do(t, ctx, "paste ids and token",
			chromedp.Navigate(e.URL+"/settings"),
			chromedp.WaitVisible(chromedp.CSS("#connect")),
			chromedp.Click(chromedp.CSS("#connect details summary")),
			chromedp.SendKeys(chromedp.CSS("#c_phone"), "1098765432101"),
			chromedp.SendKeys(chromedp.CSS("#c_waba"), "2098765432101"),
			chromedp.SendKeys(chromedp.CSS("#c_token"), "EAAG"+strings.Repeat("y", 40)),
			chromedp.Click(chromedp.CSS(`form[action="/settings/connect"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("#attempt-error")))
		if got := text(t, ctx, "#attempt-error"); !strings.Contains(got, "not allowed to subscribe") {
			t.Fatalf("error shown: %q", got)
		}
		if got := text(t, ctx, `#attempt .step-failed`); !strings.Contains(got, "Subscribe") {
			t.Fatalf("failed step shown: %q", got)
		}
		if got := text(t, ctx, "#attempt .steps"); strings.Count(got, "✓") != 2 {
			t.Fatalf("steps: %q", got)
		}
		nums, _ := e.store.PhoneNumbers(context.Background(), e.biz.ID)
		if len(nums) != 1 {
			t.Fatalf("a number was stored before every step passed: %d", len(nums))
		}
		do(t, ctx, "retry",
			chromedp.Click(chromedp.CSS("#retry-form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#new-pin")))
		pin := text(t, ctx, "#new-pin strong")
		if len(pin) != 6 || e.graph.RegisteredPIN("1098765432101") != pin {
			t.Fatalf("PIN shown %q, registered %q", pin, e.graph.RegisteredPIN("1098765432101"))
		}
		if !e.graph.Subscribed("2098765432101") {
			t.Fatal("not subscribed after the retry")
		}
		if eval[bool](t, ctx, `!!document.querySelector("#attempt")`) {
			t.Fatal("the attempt is still shown")
		}
		do(t, ctx, "reload", chromedp.Navigate(e.URL+"/settings"), chromedp.WaitVisible(chromedp.CSS("#numbers")))
		if eval[bool](t, ctx, `!!document.querySelector("#new-pin")`) {
			t.Fatal("the PIN is shown a second time")
		}
		if got := text(t, ctx, "#numbers"); !strings.Contains(got, "1098765432101") || !strings.Contains(got, "TIER_1K") {
			t.Fatalf("numbers: %q", got)
		}
	})
}

// Meta flags the number: a banner on every page says sending is paused and why; unflagged, it goes away.
func TestBrowser_HealthBannerOnEveryPage(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t, testutil.SQLite(t))
	ctx := e.ownerTab(t, 1280, 800)
	quality := func(event string) []byte {
		return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":%q,"time":%d,"changes":[{"field":"phone_number_quality_update",`+
			`"value":{"display_phone_number":"15550001111","event":%q,"current_limit":"TIER_1K"}}]}]}`, e.phone.WABAID, time.Now().Unix(), event)
	}
	e.webhook(t, quality("FLAGGED"))
	dashEventually(t, 10*time.Second, "the number to be paused", func() bool {
		p, err := e.store.PhoneNumber(context.Background(), e.biz.ID, e.phone.ID)
		return err == nil && p.Status == models.PhoneRestricted
	})
	for _, path := range []string{"/", "/catalog", "/stats", "/settings", "/templates", "/team"} {
		do(t, ctx, "open "+path, chromedp.Navigate(e.URL+path), chromedp.WaitVisible(chromedp.CSS("[data-banner]")))
		if got := text(t, ctx, "[data-banner]"); !strings.Contains(got, "sending is paused") || !strings.Contains(got, "flagged") {
			t.Fatalf("%s banner: %q", path, got)
		}
	}
	e.webhook(t, quality("UNFLAGGED"))
	dashEventually(t, 10*time.Second, "the number to resume", func() bool {
		p, err := e.store.PhoneNumber(context.Background(), e.biz.ID, e.phone.ID)
		return err == nil && p.Status == models.PhoneConnected
	})
	do(t, ctx, "orders again", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#orders-total")))
	if eval[bool](t, ctx, `!!document.querySelector("[data-banner]")`) {
		t.Fatal("the banner stayed after the number was unflagged")
	}
}
