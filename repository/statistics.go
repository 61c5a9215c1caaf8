package repository

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Planner statistics on PostgreSQL. A queue table grows from nothing to tens of thousands of rows in seconds when a
// backlog builds, and autovacuum looks at it at most once a minute (autovacuum_naptime): until then the planner
// believes the table is as small as it was, and picks plans that walk every unsent row of a number for each
// message sent (the outbox drained at ~400/s with 15,000 queued instead of ~900/s). RefreshStatistics analyzes a
// table as soon as its size is off from what the planner was last told (pg_class.reltuples) by more than
// analyzeThreshold + analyzeGrowth × that size, or its rows changed more than analyzeThreshold + analyzeChurn ×
// its live rows since the last analyze pass.
//
// Why size and not autovacuum's own rule (changes > 50 + 10 % of the rows): in a queue every row is updated four
// or five times (claimed, sent, delivered, read), and each ANALYZE of a table that size reads all of it, dead
// versions included. Counting changes analyzed the outbox 20 times in a one-minute drain at ~660 ms each, a fifth
// of everything PostgreSQL did in it; counting size analyzes it when it has grown by half (about seven times on
// the way from empty to 30,000 rows), and churn at the same size (the queued share falling as a queue drains)
// still gets a pass every two tables' worth of changes.
const (
	analyzeThreshold = 1000
	analyzeGrowth    = 0.5
	analyzeChurn     = 2.0
)

// RefreshStatistics analyzes the tables of the store's schema whose size or contents moved that far from their
// last analyze pass, and returns their names. It does nothing on SQLite, whose planner uses no statistics here.
func (s *Store) RefreshStatistics(ctx context.Context) ([]string, error) {
	if !s.postgres {
		return nil, nil
	}
	var stale []string
	// reltuples is -1 for a table never analyzed or vacuumed.
	err := s.db.WithContext(ctx).Raw(`SELECT t.relname FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
		WHERE t.schemaname = current_schema() AND (
			abs(t.n_live_tup - greatest(c.reltuples, 0)) > ? + ? * greatest(c.reltuples, 0)
			OR t.n_mod_since_analyze > ? + ? * t.n_live_tup)
		ORDER BY t.relname`, analyzeThreshold, analyzeGrowth, analyzeThreshold, analyzeChurn).Find(&stale).Error
	if err != nil {
		return nil, fmt.Errorf("find tables to analyze: %w", err)
	}
	for i, name := range stale {
		// A sample of 3,000 rows (statistics target 10, local to the pass) instead of 30,000: the planner needs the
		// table's size and the rough share of each status, which a small sample gives, and a pass over a queue
		// full of dead versions read all of it (300 ms for the outbox, 100 ms for the statuses, a sixteenth of
		// PostgreSQL's time in the benchmark's drain). Autovacuum's own passes still use the full target. The name
		// comes from the catalog, quoted as an identifier.
		err := s.Tx(ctx, func(tx *Store) error {
			if err := tx.db.WithContext(ctx).Exec("SET LOCAL default_statistics_target = 10").Error; err != nil {
				return err
			}
			return tx.db.WithContext(ctx).Exec("ANALYZE " + pgx.Identifier{name}.Sanitize()).Error
		})
		if err != nil {
			return stale[:i], fmt.Errorf("analyze %s: %w", name, err)
		}
	}
	return stale, nil
}
