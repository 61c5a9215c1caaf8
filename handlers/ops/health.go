// Package ops is the operators' door: /health on the public port, and the operator listener (METRICS_ADDR) with
// /metrics and /memory. It reads the process and the stores' liveness; it must not serve merchants' data.
package ops

import (
	"context"
	"runtime"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"github.com/waorder/waorder/metrics"
)

// Pinger is the database's liveness check.
type Pinger interface {
	Ping(ctx context.Context) error
}

// CacheStatus reports "up", "down" or "memory".
type CacheStatus interface{ Status() string }

// Health serves /health, /memory and /metrics.
type Health struct {
	DB      Pinger
	Cache   CacheStatus
	Metrics *metrics.Metrics
}

type componentStatus struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Routes registers /health, the one public operator route (it says up or down, nothing more). /metrics and
// /memory are served only on the operator listener (operator.go).
func (h *Health) Routes(r fiber.Router) {
	// Registered first (Health is the first area), so this timer wraps every route after it.
	r.Use(h.timeRoute)
	r.Get("/health", h.Check)
}

// Check answers 200 with "ok" or "degraded" (cache down), 503 when the database is down.
func (h *Health) Check(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	status, code := "ok", fiber.StatusOK
	db := componentStatus{Status: "up"}
	if err := h.DB.Ping(ctx); err != nil {
		db = componentStatus{Status: "down", Error: "database unreachable"}
		status, code = "down", fiber.StatusServiceUnavailable
	}
	cs := h.Cache.Status()
	if cs == "down" && code == fiber.StatusOK {
		status = "degraded"
	}
	return c.Status(code).JSON(fiber.Map{"status": status, "database": db, "cache": componentStatus{Status: cs}})
}

// Memory answers the process's memory in megabytes.
func (h *Health) Memory(c *fiber.Ctx) error {
	mem, ms := metrics.Snapshot()
	return c.JSON(fiber.Map{
		"status":     "ok",
		"memory":     mem,
		"goroutines": runtime.NumGoroutine(),
		"gc":         ms.NumGC,
		"timestamp":  time.Now().UTC().Format(time.RFC3339),
	})
}

// Prometheus serves the registry in the text format.
func (h *Health) Prometheus() fiber.Handler {
	return func(c *fiber.Ctx) error {
		fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(h.Metrics.Registry, promhttp.HandlerOpts{}))(c.Context())
		return nil
	}
}

// timeRoute observes waorder_http_seconds by the matched route's pattern (/api/v1/orders/:id, never the raw
// path, so the number of series stays bounded).
func (h *Health) timeRoute(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	h.Metrics.HTTPSeconds.WithLabelValues(c.Route().Path).Observe(time.Since(start).Seconds())
	return err
}
