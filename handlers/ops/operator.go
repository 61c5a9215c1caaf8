package ops

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/pprof"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/waorder/waorder/handlers/httpx"
)

// NewOperatorApp builds the operator listener's app (METRICS_ADDR): what only operators may read, never exposed
// on the public port: /metrics (Prometheus), /memory (the process's memory) and /debug/pprof/ (Go's profiles: CPU,
// heap, goroutines, mutex, block). This is the one place to add further operator routes; keep the listener on a
// private address, as README says — a profile shows the code's internals and costs CPU while it runs.
func NewOperatorApp(log *slog.Logger, h *Health) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "waorder-operator",
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			code, _ := httpx.RouterError(err)
			if code >= 500 {
				log.Error("operator request failed", "path", c.Path(), "err", err)
			}
			return c.Status(code).JSON(httpx.NewErrorBody(httpx.CodeName(code), http.StatusText(code)))
		},
	})
	app.Use(recover.New())
	app.Use(pprof.New())
	app.Get("/health", h.Check)
	app.Get("/memory", h.Memory)
	app.Get("/metrics", h.Prometheus())
	return app
}
