package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/models"
)

// loginCookie holds the login form's own CSRF token (double submit): there is no session yet to hold one, and it
// stops another site from logging a merchant into an account of its choosing.
const loginCookie = "waorder_login"

type loginView struct{ Email, Error, Next, Token string }

// loginPage shows the form, or sends a merchant who is already logged in to their orders.
func (d *Handler) loginPage(c *fiber.Ctx) error {
	if v := c.Cookies(SessionCookie); v != "" {
		if _, err := d.Auth.Session(c.UserContext(), v); err == nil {
			return c.Redirect(auth.SafeNext(c.Query("next")), fiber.StatusSeeOther)
		}
	}
	return d.renderLogin(c, fiber.StatusOK, loginView{Next: auth.SafeNext(c.Query("next"))})
}

func (d *Handler) renderLogin(c *fiber.Ctx, status int, v loginView) error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	v.Token = hex.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: loginCookie, Value: v.Token, Path: "/login", MaxAge: 3600, HTTPOnly: true,
		Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return d.render(c, status, "login", "", v)
}

// login checks the credentials and starts a session; wrong credentials and too many attempts say so on the form.
func (d *Handler) login(c *fiber.Ctx) error {
	email := strings.TrimSpace(c.FormValue("email"))
	v := loginView{Email: email, Next: auth.SafeNext(c.FormValue("next"))}
	p := d.printer(c)
	want, got := c.Cookies(loginCookie), c.FormValue("login_token")
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		v.Error = p.T("login.expired")
		return d.renderLogin(c, fiber.StatusForbidden, v)
	}
	cookie, _, err := d.Auth.Login(c.UserContext(), email, c.FormValue("password"), guard.ClientIP(c))
	switch {
	case errors.Is(err, models.ErrRateLimited):
		v.Error = p.T("common.too_many_attempts")
		return d.renderLogin(c, fiber.StatusTooManyRequests, v)
	case errors.Is(err, models.ErrBusy):
		v.Error = p.T("login.busy")
		c.Set(fiber.HeaderRetryAfter, "5")
		return d.renderLogin(c, fiber.StatusServiceUnavailable, v)
	case errors.Is(err, models.ErrBadCredentials):
		v.Error = p.T("login.wrong")
		return d.renderLogin(c, fiber.StatusUnauthorized, v)
	case err != nil:
		return d.fail(c, err)
	}
	c.Cookie(&fiber.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, Expires: time.Unix(1, 0)})
	setSessionCookie(c, cookie)
	return c.Redirect(v.Next, fiber.StatusSeeOther)
}

// logout ends the session everywhere it could be used and clears the cookie.
func (d *Handler) logout(c *fiber.Ctx) error {
	if v := c.Cookies(SessionCookie); v != "" {
		if err := d.Auth.Logout(c.UserContext(), v); err != nil {
			d.Log.Warn("logout: session not deleted", "err", err)
		}
	}
	setSessionCookie(c, "")
	return c.Redirect("/login", fiber.StatusSeeOther)
}
