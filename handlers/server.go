// Package handlers is the HTTP side: Fiber routes for Meta's webhook, health and metrics, the merchants' dashboard
// and JSON API. Handlers parse, validate, call a service or the repository, and answer; they never build queries.
package handlers

import (
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// Area is a group of routes that registers itself on the app.
type Area interface {
	Routes(r fiber.Router)
}

// NewApp builds the Fiber app with the service's limits and error handling, and registers areas.
func NewApp(log *slog.Logger, bodyLimit int, areas ...Area) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "waorder",
		BodyLimit:             bodyLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			code := fiber.StatusInternalServerError
			msg := "internal error"
			var fe *fiber.Error
			if errors.As(err, &fe) {
				code, msg = fe.Code, fe.Message
			}
			if code >= 500 {
				log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
			}
			return c.Status(code).JSON(errorBody(codeName(code), msg))
		},
	})
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		log.Error("panic in handler", "method", c.Method(), "path", c.Path(), "panic", e)
	}}))
	for _, a := range areas {
		a.Routes(app)
	}
	return app
}

func codeName(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "not_found"
	case fiber.StatusRequestEntityTooLarge:
		return "too_large"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusBadRequest:
		return "bad_request"
	case fiber.StatusUnauthorized:
		return "unauthorized"
	case fiber.StatusForbidden:
		return "forbidden"
	case fiber.StatusTooManyRequests:
		return "rate_limited"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// Routes registers GET/POST /webhook.
func (h *Webhook) Routes(r fiber.Router) {
	r.Get("/webhook", h.Verify)
	r.Post("/webhook", h.Receive)
}

// Routes registers /health, /memory and /metrics.
func (h *Health) Routes(r fiber.Router) {
	// Registered first (Health is the first area), so this timer wraps every route after it.
	r.Use(h.timeRoute)
	r.Get("/health", h.Check)
	r.Get("/memory", h.Memory)
	r.Get("/metrics", h.Prometheus())
}
