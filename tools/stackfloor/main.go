// Command stackfloor is the benchmark's reference point for memory: the stack the service is required to build on
// (Fiber, GORM with the pgx PostgreSQL driver, valkey-go, Viper) and nothing of ours. It reads its settings with
// Viper, opens GORM on DATABASE_URL and runs a query, pings VALKEY_URL, and serves GET /health on PORT until it is
// stopped, so its resident set once idle is what those libraries cost before the service does anything. Loopback
// only; scripts/bench.sh runs it and prints its idle RSS beside the service's.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/gofiber/fiber/v2"
	"github.com/spf13/viper"
	"github.com/valkey-io/valkey-go"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

func main() {
	if err := run(); err != nil {
		slog.Error("stackfloor", "err", err)
		os.Exit(1)
	}
}

func run() error {
	v := viper.New()
	v.SetDefault("PORT", 3990)
	v.SetDefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	v.SetDefault("VALKEY_URL", "redis://127.0.0.1:6379/15")
	v.AutomaticEnv()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := gorm.Open(postgres.Open(v.GetString("DATABASE_URL")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	var one int
	if err := db.WithContext(ctx).Raw("SELECT 1").Find(&one).Error; err != nil {
		return fmt.Errorf("query database: %w", err)
	}
	u, err := url.Parse(v.GetString("VALKEY_URL"))
	if err != nil {
		return fmt.Errorf("VALKEY_URL: %w", err)
	}
	vk, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{u.Host}})
	if err != nil {
		return fmt.Errorf("connect to valkey: %w", err)
	}
	defer vk.Close()
	if err := vk.Do(ctx, vk.B().Ping().Build()).Error(); err != nil {
		return fmt.Errorf("ping valkey: %w", err)
	}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/health", func(c *fiber.Ctx) error { return c.SendString("ok") })
	go func() {
		<-ctx.Done()
		app.Shutdown() //nolint:errcheck // stopping either way
	}()
	if err := app.Listen(fmt.Sprintf("127.0.0.1:%d", v.GetInt("PORT"))); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
