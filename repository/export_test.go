package repository

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ClaimOutboundPlan is the database's plan for ClaimOutbound's statement, one node per line.
func (s *Store) ClaimOutboundPlan(ctx context.Context, limit int) (string, error) {
	q, args, err := s.claimOutboundSQL(ctx, limit, time.Minute, "plan")
	if err != nil {
		return "", err
	}
	var lines []string
	if s.postgres {
		if err := s.db.WithContext(ctx).Raw("EXPLAIN "+q, args...).Scan(&lines).Error; err != nil {
			return "", fmt.Errorf("explain claim: %w", err)
		}
		return strings.Join(lines, "\n"), nil
	}
	var rows []struct{ Detail string }
	if err := s.db.WithContext(ctx).Raw("EXPLAIN QUERY PLAN "+q, args...).Scan(&rows).Error; err != nil {
		return "", fmt.Errorf("explain claim: %w", err)
	}
	for _, r := range rows {
		lines = append(lines, r.Detail)
	}
	return strings.Join(lines, "\n"), nil
}

// MigrateTo applies the migrations up to version last, so a test can fill an older schema before the rest run.
func MigrateTo(ctx context.Context, s *Store, last int) (int, error) { return s.migrateTo(ctx, last) }

// OutboundRankSQL is outboundRankSQL, for the test that runs it on both databases.
var OutboundRankSQL = outboundRankSQL
