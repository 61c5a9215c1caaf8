package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/handlers"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

type areaFunc func(fiber.Router)

func (f areaFunc) Routes(r fiber.Router) { f(r) }

func TestSessionAndCSRFMiddleware(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b := merchanttest.Seed(t, s, "A", 0)
			a := auth.New(s, cache.NewMemory(100), []byte("k"), nil)
			email := "m" + testutil.RandomHex(3) + "@example.com"
			if _, err := a.CreateUser(ctx, b.Business.ID, email, "password-1", models.RoleOwner); err != nil {
				t.Fatal(err)
			}
			cookie, p, err := a.Login(ctx, email, "password-1", "1.2.3.4")
			if err != nil {
				t.Fatal(err)
			}
			app := handlers.NewApp(slog.New(slog.DiscardHandler), handlers.Options{BodyLimit: 1 << 20}, areaFunc(func(r fiber.Router) {
				in := []fiber.Handler{dashboard.RequireSession(a), dashboard.CSRF()}
				h := func(c *fiber.Ctx) error {
					pr := dashboard.CurrentPrincipal(c)
					return c.SendString(pr.Email + "|" + string(pr.Role))
				}
				r.Get("/page", append(in, h)...)
				r.Post("/page", append(in, h)...)
			}))
			send := func(method, path, cookieVal, form string, hdr map[string]string) (*http.Response, string) {
				var body io.Reader
				if form != "" {
					body = strings.NewReader(form)
				}
				req := httptest.NewRequest(method, path, body)
				if form != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if cookieVal != "" {
					req.AddCookie(&http.Cookie{Name: dashboard.SessionCookie, Value: cookieVal})
				}
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				resp, err := app.Test(req, -1)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				bb, _ := io.ReadAll(resp.Body)
				return resp, string(bb)
			}
			resp, _ := send("GET", "/page?x=1", "", "", nil)
			if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?next="+url.QueryEscape("/page?x=1") {
				t.Fatalf("no session GET: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := send("POST", "/page", "", "a=1", nil); resp.StatusCode != 401 {
				t.Fatalf("no session POST: %d", resp.StatusCode)
			}
			resp, _ = send("GET", "/page", "forged", "", nil)
			if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Set-Cookie"), dashboard.SessionCookie+"=;") {
				t.Fatalf("forged cookie: %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
			}
			if resp, body := send("GET", "/page", cookie, "", nil); resp.StatusCode != 200 || body != email+"|owner" {
				t.Fatalf("GET with session: %d %q", resp.StatusCode, body)
			}
			if resp, _ := send("POST", "/page", cookie, "a=1", nil); resp.StatusCode != 403 {
				t.Fatalf("POST without CSRF: %d", resp.StatusCode)
			}
			if resp, _ := send("POST", "/page", cookie, "a=1&_csrf=wrong", nil); resp.StatusCode != 403 {
				t.Fatalf("POST with wrong CSRF: %d", resp.StatusCode)
			}
			if resp, _ := send("POST", "/page", cookie, "a=1&_csrf="+url.QueryEscape(p.CSRFToken), nil); resp.StatusCode != 200 {
				t.Fatalf("POST with CSRF field: %d", resp.StatusCode)
			}
			if resp, _ := send("POST", "/page", cookie, "a=1", map[string]string{"X-CSRF-Token": p.CSRFToken}); resp.StatusCode != 200 {
				t.Fatalf("POST with CSRF header: %d", resp.StatusCode)
			}
			// Another session's token is no good.
			_, p2, err := a.Login(ctx, email, "password-1", "1.2.3.4")
			if err != nil {
				t.Fatal(err)
			}
			if resp, _ := send("POST", "/page", cookie, "_csrf="+url.QueryEscape(p2.CSRFToken), nil); resp.StatusCode != 403 {
				t.Fatalf("POST with another session's CSRF: %d", resp.StatusCode)
			}
			if err := a.Logout(ctx, cookie); err != nil {
				t.Fatal(err)
			}
			if resp, _ := send("GET", "/page", cookie, "", nil); resp.StatusCode != 303 {
				t.Fatalf("after logout: %d", resp.StatusCode)
			}
		})
	}
}

// TestSessionCookie_FlagsFollowTheScheme: the cookie RequireSession clears is HttpOnly and SameSite=Lax always,
// and Secure when the request came over https through a trusted proxy that says so; anyone else's
// X-Forwarded-Proto is ignored.
func TestSessionCookie_FlagsFollowTheScheme(t *testing.T) {
	s := testutil.SQLite(t)
	a := auth.New(s, cache.NewMemory(100), []byte("k"), nil)
	newApp := func(trusted ...string) *fiber.App {
		proxies, err := guard.ParseProxies(trusted)
		if err != nil {
			t.Fatal(err)
		}
		return handlers.NewApp(slog.New(slog.DiscardHandler), handlers.Options{BodyLimit: 1 << 20, Proxies: proxies},
			areaFunc(func(r fiber.Router) {
				r.Get("/page", dashboard.RequireSession(a), func(c *fiber.Ctx) error { return c.SendString("in") })
			}))
	}
	// app.Test's requests come from 0.0.0.0.
	untrusted, trusted := newApp(), newApp("0.0.0.0")
	for _, tc := range []struct {
		app    *fiber.App
		proto  string
		secure bool
	}{{untrusted, "", false}, {untrusted, "http", false}, {untrusted, "https", false},
		{trusted, "", false}, {trusted, "http", false}, {trusted, "https", true}} {
		req := httptest.NewRequest("GET", "/page", nil)
		req.AddCookie(&http.Cookie{Name: dashboard.SessionCookie, Value: "stale"})
		if tc.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		resp, err := tc.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ck := strings.ToLower(resp.Header.Get("Set-Cookie"))
		if !strings.HasPrefix(ck, dashboard.SessionCookie+"=;") || !strings.Contains(ck, "httponly") ||
			!strings.Contains(ck, "samesite=lax") || strings.Contains(ck, "secure") != tc.secure {
			t.Fatalf("trusted proxy %v, X-Forwarded-Proto %q: Set-Cookie %q", tc.app == trusted, tc.proto, ck)
		}
	}
}
