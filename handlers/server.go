// Package handlers is the HTTP side's composition: NewApp puts the doors (the packages beside it: webhook, api,
// dashboard, ops) behind one Fiber app with the shared limits, guards and error handling. Each door parses,
// validates, calls a service and answers; none builds queries, and this package holds no routes of its own.
package handlers

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/requestid"
)

// Area is a group of routes that registers itself on the app.
type Area interface {
	Routes(r fiber.Router)
}

// Options are the server's limits and the proxies it trusts.
type Options struct {
	BodyLimit int           // largest accepted request body, bytes
	Proxies   guard.Proxies // TRUSTED_PROXIES: whose X-Forwarded-For/-Proto are believed
}

// ErrorPager is an area that renders errors as HTML pages for browsers (the dashboard); NewApp uses the first one.
type ErrorPager interface {
	ErrorPage(c *fiber.Ctx, code int, msg string) error
}

// NewApp builds the Fiber app with the service's limits, guards and error handling, and registers areas. Every
// request passes the guards first: security headers, the client's address behind trusted proxies, and a 415 for a
// compressed body (nothing inflates a body before its signature or token is checked).
func NewApp(log *slog.Logger, opts Options, areas ...Area) *fiber.App {
	var pager ErrorPager
	for _, a := range areas {
		if p, ok := a.(ErrorPager); ok && pager == nil {
			pager = p
		}
	}
	cfg := fiber.Config{
		AppName:               "waorder",
		BodyLimit:             opts.BodyLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			code, msg := httpx.RouterError(err)
			if code >= 500 {
				log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "err", err)
			}
			if pager != nil && wantsPage(c) {
				if perr := pager.ErrorPage(c, code, msg); perr == nil {
					return nil
				}
			}
			return c.Status(code).JSON(httpx.NewErrorBody(httpx.CodeName(code), msg))
		},
	}
	opts.Proxies.Configure(&cfg)
	app := fiber.New(cfg)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		log.ErrorContext(c.UserContext(), "panic in handler", "method", c.Method(), "path", c.Path(), "panic", e)
	}}))
	app.Use(withRequestID, guard.Headers(), opts.Proxies.Middleware(), guard.IdentityBodyOnly())
	for _, a := range areas {
		a.Routes(app)
	}
	return app
}

// RequestIDHeader names a request's id, on the request (from a proxy) and on the response.
const RequestIDHeader = "X-Request-ID"

// withRequestID gives every request an id, the proxy's when it is a plain token (Heroku's router sets one) or a new
// one, names it on the response, and puts it in the request's context: every line logged with that context, and
// the rows and later work the request causes (requestid), carry it.
func withRequestID(c *fiber.Ctx) error {
	id := c.Get(RequestIDHeader)
	if !requestid.Valid(id) {
		id = requestid.New()
	}
	c.Set(RequestIDHeader, id)
	c.SetUserContext(requestid.With(c.UserContext(), id))
	return c.Next()
}

// wantsPage: a browser's request for a dashboard page, not a machine's call to the API, the webhook or the health
// check, gets its errors as an HTML page.
func wantsPage(c *fiber.Ctx) bool {
	p := c.Path()
	for _, machine := range []string{"/api/", "/webhook", "/health", "/static/"} {
		if strings.HasPrefix(p, machine) {
			return false
		}
	}
	return c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMETextHTML
}
