// Package webhook is Meta's door: the subscription check and signed deliveries on /webhook. It verifies the
// signature over the raw bytes and hands the delivery to ingest; it must not parse messages or run the bot.
package webhook

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/waorder/waorder/handlers/guard"
	"github.com/waorder/waorder/handlers/httpx"
	"github.com/waorder/waorder/ingest"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/whatsapp"
)

// Handler answers Meta: GET verification and POST deliveries.
type Handler struct {
	AppSecret   string
	VerifyToken string
	Ingest      *ingest.Service
	Metrics     *metrics.Metrics
	Log         *slog.Logger
	Timeout     time.Duration // how long a delivery may wait for its commit before 503
}

// Routes registers GET/POST /webhook.
func (h *Handler) Routes(r fiber.Router) {
	r.Get("/webhook", h.Verify)
	r.Post("/webhook", h.Receive)
}

// Verify answers Meta's subscription check: the challenge as plain text, or 403.
func (h *Handler) Verify(c *fiber.Ctx) error {
	token := c.Query("hub.verify_token")
	if c.Query("hub.mode") != "subscribe" || token == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(h.VerifyToken)) != 1 {
		return c.Status(fiber.StatusForbidden).SendString("forbidden")
	}
	return c.Type("txt").SendString(c.Query("hub.challenge"))
}

// Receive checks the signature over the raw body, stores the delivery and answers 200 once it is committed. The
// body is the bytes received, never c.Body(), which would inflate a Content-Encoding first (a compressed body is
// refused with 415 before this runs; see guard.IdentityBodyOnly).
func (h *Handler) Receive(c *fiber.Ctx) error {
	start := time.Now()
	body := c.Request().Body()
	if !whatsapp.VerifySignature(body, c.Get("X-Hub-Signature-256"), h.AppSecret) {
		h.Metrics.Webhook("unauthorized", start)
		h.Log.WarnContext(c.UserContext(), "webhook with a missing or bad signature rejected", "ip", guard.ClientIP(c), "bytes", len(body))
		return c.Status(fiber.StatusUnauthorized).JSON(httpx.NewErrorBody("bad_signature", "missing or invalid X-Hub-Signature-256"))
	}
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), timeout)
	defer cancel()
	if err := h.Ingest.Accept(ctx, body); err != nil {
		h.Metrics.Webhook("unavailable", start)
		if !errors.Is(err, models.ErrIngestClosed) {
			h.Log.ErrorContext(ctx, "webhook not stored; asked Meta to retry", "err", err)
		}
		c.Set("Retry-After", "5")
		return c.Status(fiber.StatusServiceUnavailable).JSON(httpx.NewErrorBody("unavailable", "could not store the delivery; retry later"))
	}
	h.Metrics.Webhook("stored", start)
	// The request id on this line is stored with the delivery's rows: the bot's and the outbox's lines carry it too.
	h.Log.InfoContext(ctx, "webhook stored", "bytes", len(body), "ms", time.Since(start).Milliseconds())
	return c.SendStatus(fiber.StatusOK)
}
