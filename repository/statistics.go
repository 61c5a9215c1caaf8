package repository

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Planner statistics on PostgreSQL. A queue table grows from nothing to tens of thousands of rows in seconds when a
// backlog builds, and autovacuum looks at it at most once a minute (autovacuum_naptime): until then the planner
// believes the table is as small as it was, and picks plans that walk every unsent row of a number for each
// message sent (the outbox drained at ~400/s with 15,000 queued instead of ~900/s). RefreshStatistics is the
// same rule as autovacuum's analyze, at a short interval: a table is analyzed once the rows changed since its last
// analyze pass analyzeThreshold + analyzeScale × its live rows.
const (
	analyzeThreshold = 1000
	analyzeScale     = 0.1
)

// RefreshStatistics analyzes the tables of the store's schema that changed that much since they were last
// analyzed, and returns their names. It does nothing on SQLite, whose planner uses no statistics here.
func (s *Store) RefreshStatistics(ctx context.Context) ([]string, error) {
	if !s.postgres {
		return nil, nil
	}
	var stale []string
	err := s.db.WithContext(ctx).Raw(`SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema()
		AND n_mod_since_analyze > ? + ? * n_live_tup ORDER BY relname`, analyzeThreshold, analyzeScale).Scan(&stale).Error
	if err != nil {
		return nil, fmt.Errorf("find tables to analyze: %w", err)
	}
	for i, name := range stale {
		// The name comes from the catalog, quoted as an identifier.
		if err := s.db.WithContext(ctx).Exec("ANALYZE " + pgx.Identifier{name}.Sanitize()).Error; err != nil {
			return stale[:i], fmt.Errorf("analyze %s: %w", name, err)
		}
	}
	return stale, nil
}
