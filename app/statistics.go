package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/waorder/waorder/repository"
)

// statisticsEvery is how often the tables' change counts are looked at (one catalog query); statisticsBackoff is
// the pause after a failure, so a database that refuses ANALYZE (a role that does not own the tables) is not asked
// every few seconds.
const (
	statisticsEvery   = 2 * time.Second
	statisticsBackoff = time.Minute
)

// keepStatistics analyzes, on PostgreSQL, the tables a backlog made grow faster than autovacuum looks at them (see
// repository.RefreshStatistics), until ctx ends.
func keepStatistics(ctx context.Context, store *repository.Store, log *slog.Logger) {
	if !store.Postgres() {
		return
	}
	wait := statisticsEvery
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		analyzed, err := store.RefreshStatistics(ctx)
		wait = statisticsEvery
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("refresh planner statistics failed; trying again in a minute", "err", err)
			wait = statisticsBackoff
		case len(analyzed) > 0:
			log.Debug("planner statistics refreshed", "tables", analyzed)
		}
	}
}
