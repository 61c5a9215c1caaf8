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
	return s.explainClaim(ctx, limit, func(tx *Store, q string, args []any) (lines []string, err error) {
		if tx.postgres {
			err = tx.db.WithContext(ctx).Raw("EXPLAIN "+q, args...).Scan(&lines).Error
			return lines, err
		}
		var rows []struct{ Detail string }
		err = tx.db.WithContext(ctx).Raw("EXPLAIN QUERY PLAN "+q, args...).Scan(&rows).Error
		for _, r := range rows {
			lines = append(lines, r.Detail)
		}
		return lines, err
	})
}

// ClaimOutboundGenericPlan is the generic plan PostgreSQL keeps for ClaimOutbound's statement, one node per line:
// the statement is prepared in this session at the first call (the store must have a single connection), planned
// with the claim's settings, and kept, as pgx's prepared copy of it is, until an ANALYZE changes the statistics.
// The parameters are NULL: a generic plan does not depend on them.
func (s *Store) ClaimOutboundGenericPlan(ctx context.Context, limit int) (string, error) {
	return s.explainClaim(ctx, limit, func(tx *Store, q string, args []any) (lines []string, err error) {
		stmt := tx.db.WithContext(ctx).Raw(q, args...).Statement // PostgreSQL's $n placeholders, one per value
		var prepared int
		if err := tx.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM pg_prepared_statements WHERE name = 'generic_claim'").
			Scan(&prepared).Error; err != nil {
			return nil, err
		}
		if prepared == 0 {
			if err := tx.db.WithContext(ctx).Exec("PREPARE generic_claim AS " + stmt.SQL.String()).Error; err != nil {
				return nil, fmt.Errorf("prepare claim: %w", err)
			}
		}
		nulls := strings.TrimSuffix(strings.Repeat("NULL,", len(stmt.Vars)), ",")
		err = tx.db.WithContext(ctx).Raw("EXPLAIN EXECUTE generic_claim(" + nulls + ")").Scan(&lines).Error
		return lines, err
	})
}

// explainClaim builds ClaimOutbound's statement in a transaction with the claim's planner settings and returns
// what explain says of it, one line per node.
func (s *Store) explainClaim(ctx context.Context, limit int, explain func(tx *Store, q string, args []any) ([]string, error)) (string, error) {
	var lines []string
	err := s.freshPlans(ctx, func(tx *Store) error {
		q, args, err := tx.claimOutboundSQL(ctx, limit, time.Minute, "plan")
		if err != nil {
			return err
		}
		if lines, err = explain(tx, q, args); err != nil {
			return fmt.Errorf("explain claim: %w", err)
		}
		return nil
	}, claimPlanner...)
	return strings.Join(lines, "\n"), err
}

// MigrateTo applies the migrations up to version last, so a test can fill an older schema before the rest run.
func MigrateTo(ctx context.Context, s *Store, last int) (int, error) { return s.migrateTo(ctx, last) }

// OutboundRankSQL is outboundRankSQL, for the test that runs it on both databases.
var OutboundRankSQL = outboundRankSQL
