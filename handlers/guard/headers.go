package guard

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
)

// CSP is the Content-Security-Policy of every page: scripts, styles, images and connections from this origin only
// (style attributes are allowed: the templates size chart bars with them), no plugins, no <base>, forms post only
// here, and no page may be framed (clickjacking).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// EmbeddedSignupCSP is CSP plus what Meta's Embedded Signup needs, for the one page that offers it: the Facebook
// JavaScript SDK from connect.facebook.net, its frames, images and calls to facebook.com. (The signup dialog itself
// is a popup, which CSP does not govern; the opener policy below lets it report back.)
const EmbeddedSignupCSP = "default-src 'self'; script-src 'self' https://connect.facebook.net; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: https://*.facebook.com https://*.fbcdn.net; " +
	"connect-src 'self' https://*.facebook.com https://graph.facebook.com https://connect.facebook.net; " +
	"frame-src https://*.facebook.com; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// Headers sets the security headers on every answer (through Fiber's helmet): the CSP above, frame-ancestors and
// X-Frame-Options against framing, nosniff, a Referrer-Policy that sends other sites only our origin, and HSTS for a
// year when the request came over https (directly, or per a trusted proxy's X-Forwarded-Proto).
func Headers() fiber.Handler {
	return helmet.New(helmet.Config{
		ContentSecurityPolicy:     CSP,
		XFrameOptions:             "DENY",
		ContentTypeNosniff:        "nosniff",
		ReferrerPolicy:            "strict-origin-when-cross-origin",
		HSTSMaxAge:                365 * 24 * 3600,
		HSTSExcludeSubdomains:     true,
		CrossOriginEmbedderPolicy: "unsafe-none",
		CrossOriginOpenerPolicy:   "same-origin-allow-popups",
		CrossOriginResourcePolicy: "same-origin",
		XSSProtection:             "0",
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), payment=()",
	})
}

// AllowEmbeddedSignup widens the page's CSP to EmbeddedSignupCSP; the page handler calls it.
func AllowEmbeddedSignup(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, EmbeddedSignupCSP)
}
