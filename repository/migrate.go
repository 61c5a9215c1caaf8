package repository

// Applying the schema history (migrations.go): once, in order, safe when instances start together.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// render writes a migration in this store's dialect.
func (s *Store) render(sql string) string {
	r := strings.NewReplacer(
		"{{pk}}", map[bool]string{true: "BIGSERIAL PRIMARY KEY", false: "INTEGER PRIMARY KEY AUTOINCREMENT"}[s.postgres],
		"{{ts}}", map[bool]string{true: "TIMESTAMPTZ", false: "TIMESTAMP"}[s.postgres],
		"{{blob}}", map[bool]string{true: "BYTEA", false: "BLOB"}[s.postgres],
	)
	return r.Replace(sql)
}

// migrationLockKey is the PostgreSQL advisory lock that lets only one instance migrate at a time.
const migrationLockKey = 7_283_911_004

// Migrate applies every migration not yet recorded in schema_migrations, each in its own transaction. Two instances
// starting at once are safe: on PostgreSQL an advisory lock serialises them, on SQLite the write lock does, and each
// re-reads the applied versions after taking the lock.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	return s.migrateTo(ctx, len(migrations))
}

// migrateTo applies the migrations up to version last (tests start from an older schema with it).
func (s *Store) migrateTo(ctx context.Context, last int) (applied int, err error) {
	db := s.db.WithContext(ctx)
	if s.postgres {
		conn, err := db.DB()
		if err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
		c, err := conn.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("migrate: connect: %w", err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			return 0, fmt.Errorf("migrate: lock: %w", err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey) //nolint:errcheck
	}
	if err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at ` +
		s.render("{{ts}}") + ` NOT NULL)`).Error; err != nil {
		return 0, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for i, m := range migrations[:last] {
		version := i + 1
		err := db.Transaction(func(tx *gorm.DB) error {
			if !s.postgres {
				// Take SQLite's write lock before reading, so a concurrent migrator waits here.
				if err := tx.Exec("UPDATE schema_migrations SET version = version WHERE 0").Error; err != nil {
					return err
				}
			}
			var n int64
			if err := tx.Raw("SELECT COUNT(*) FROM schema_migrations WHERE version = ?", version).Find(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(s.render(m), ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if err := tx.Exec(stmt).Error; err != nil {
					return err
				}
			}
			applied++
			return tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, time.Now().UTC()).Error
		})
		if err != nil {
			return applied, fmt.Errorf("migrate to version %d: %w", version, err)
		}
	}
	return applied, nil
}
