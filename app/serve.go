package app

import (
	"context"
	"log/slog"

	"github.com/waorder/waorder/config"
)

// serve runs the service until ctx ends, then stops it in order and releases what it opened.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	svc, err := New(cfg, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	return svc.Run(ctx)
}
