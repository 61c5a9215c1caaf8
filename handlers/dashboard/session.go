package dashboard

import (
	"crypto/subtle"
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/models"
)

// SessionCookie holds a dashboard session: HttpOnly, SameSite=Lax, Secure on https. Its value is random; the
// database keeps only its SHA-256.
const SessionCookie = "waorder_session"

// CSRFField is the form field carrying the session's CSRF token; CSRFHeader is the header alternative.
const (
	CSRFField  = "_csrf"
	CSRFHeader = "X-CSRF-Token"
)

const principalKey = "principal"

// setSessionCookie sets the session cookie, or clears it when value is empty.
func setSessionCookie(c *fiber.Ctx, value string) {
	ck := &fiber.Cookie{Name: SessionCookie, Value: value, Path: "/", HTTPOnly: true, Secure: c.Protocol() == "https",
		SameSite: fiber.CookieSameSiteLaxMode}
	if value == "" {
		ck.MaxAge = -1
		ck.Expires = time.Unix(1, 0)
	} else {
		ck.MaxAge = int(auth.SessionTTL / time.Second)
		ck.Expires = time.Now().Add(auth.SessionTTL)
	}
	c.Cookie(ck)
}

// RequireSession lets a request through only with a valid session, whose principal it stores for
// CurrentPrincipal. Without one, a GET (or HEAD) is sent to the login page with a way back; anything else is 401.
func RequireSession(a *auth.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := c.Cookies(SessionCookie)
		p, err := a.Session(c.UserContext(), v)
		if err != nil && !errors.Is(err, models.ErrNoSession) {
			return err
		}
		if err != nil {
			if v != "" {
				setSessionCookie(c, "")
			}
			if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
				return c.Redirect("/login?next="+url.QueryEscape(string(c.Request().RequestURI())), fiber.StatusSeeOther)
			}
			return fiber.NewError(fiber.StatusUnauthorized, "login required")
		}
		c.Locals(principalKey, p)
		return c.Next()
	}
}

// CSRF requires, on every unsafe method, the session's CSRF token in the form field "_csrf" or the header
// "X-CSRF-Token"; otherwise 403. It runs after RequireSession.
func CSRF() fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
			return c.Next()
		}
		p := CurrentPrincipal(c)
		got := c.Get(CSRFHeader)
		if got == "" {
			got = c.FormValue(CSRFField)
		}
		if p.CSRFToken == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRFToken)) != 1 {
			return fiber.NewError(fiber.StatusForbidden, "invalid or missing CSRF token; reload the page and try again")
		}
		return c.Next()
	}
}

// CurrentPrincipal is the principal RequireSession stored; zero without one.
func CurrentPrincipal(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(principalKey).(auth.Principal)
	return p
}
