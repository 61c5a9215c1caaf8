package repository

import "context"

// MigrateTo applies the migrations up to version last, so a test can fill an older schema before the rest run.
func MigrateTo(ctx context.Context, s *Store, last int) (int, error) { return s.migrateTo(ctx, last) }
