package repository

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ClaimOutboundPlan is the database's plan for ClaimOutbound's statement, one node per line, planned as
// ClaimOutbound plans it.
func (s *Store) ClaimOutboundPlan(ctx context.Context, limit int) (string, error) {
	var lines []string
	err := s.freshPlans(ctx, func(tx *Store) error {
		q, args, err := tx.claimOutboundSQL(ctx, limit, time.Minute, "plan")
		if err != nil {
			return err
		}
		if tx.postgres {
			if err := tx.db.WithContext(ctx).Raw("EXPLAIN "+q, args...).Scan(&lines).Error; err != nil {
				return fmt.Errorf("explain claim: %w", err)
			}
			return nil
		}
		var rows []struct{ Detail string }
		if err := tx.db.WithContext(ctx).Raw("EXPLAIN QUERY PLAN "+q, args...).Scan(&rows).Error; err != nil {
			return fmt.Errorf("explain claim: %w", err)
		}
		for _, r := range rows {
			lines = append(lines, r.Detail)
		}
		return nil
	}, claimPlanner...)
	return strings.Join(lines, "\n"), err
}

// MigrateTo applies the migrations up to version last, so a test can fill an older schema before the rest run.
func MigrateTo(ctx context.Context, s *Store, last int) (int, error) { return s.migrateTo(ctx, last) }

// OutboundRankSQL is outboundRankSQL, for the test that runs it on both databases.
var OutboundRankSQL = outboundRankSQL
