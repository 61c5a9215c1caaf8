// Package repository is the only place that talks to the database: PostgreSQL in production, an embedded SQLite
// file by default. Every query that reads or changes a tenant's rows takes the business id. It holds no caches and
// sends nothing; it imports only models.
package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/waorder/waorder/models"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store wraps the database connection pool.
type Store struct {
	db       *gorm.DB
	postgres bool
	timeout  time.Duration
	// conn is DATABASE_URL parsed: its settings (planModeSet), and connections outside the pool (Listen); nil on
	// SQLite.
	conn *pgx.ConnConfig
}

// planModeSet reports whether DATABASE_URL sets plan_cache_mode for every session (see freshPlans).
func (s *Store) planModeSet() bool {
	if s.conn == nil {
		return false
	}
	_, set := s.conn.RuntimeParams["plan_cache_mode"]
	return set
}

// Options tune the connection pool.
type Options struct {
	MaxOpenConns int // 0: 16 on PostgreSQL, 1 on SQLite (one writer at a time; no lock errors)
	// QueryTimeout is the deadline of every PostgreSQL call whose context has none, and of every transaction as a
	// whole (see deadlines.go). 0: 10 s.
	QueryTimeout time.Duration
}

// openPostgres opens a pool on databaseURL, and returns the parsed URL.
func openPostgres(databaseURL string) (*sql.DB, *pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return stdlib.OpenDB(*cfg), cfg, nil
}

// freshPlans runs fn, on PostgreSQL in a transaction whose statements are planned for their own parameters
// (plan_cache_mode=force_custom_plan), unless DATABASE_URL sets plan_cache_mode itself. The queues' claims run
// this way. pgx prepares each statement once per connection; after five executions PostgreSQL may switch a prepared
// statement to a generic plan made from the statistics of that moment, and keep it. Planned while the queue was
// empty, the claim of outbound messages kept checking each candidate's chat against every unsent row, and at 10,000
// queued a claim took 200-650 ms of a core (sends fell to ~60/s; with custom plans they stay at ~600/s). Every
// other statement keeps PostgreSQL's default: planning each execution of all of them cost the database a fifth of
// the webhooks it could commit. settings are more planner settings for that transaction only (name, value); one
// that names plan_cache_mode itself replaces force_custom_plan (and gives way to DATABASE_URL's, too).
func (s *Store) freshPlans(ctx context.Context, fn func(tx *Store) error, settings ...[2]string) error {
	if !s.postgres {
		return fn(s)
	}
	own := slices.IndexFunc(settings, func(kv [2]string) bool { return kv[0] == "plan_cache_mode" })
	switch {
	case s.planModeSet() && own >= 0:
		settings = slices.Delete(slices.Clone(settings), own, own+1)
	case !s.planModeSet() && own < 0:
		settings = append(settings, [2]string{"plan_cache_mode", "force_custom_plan"})
	}
	if len(settings) == 0 {
		return fn(s)
	}
	calls := make([]string, len(settings))
	var args []any
	for i, kv := range settings {
		calls[i] = "set_config(?, ?, true)" // true: local to the transaction
		args = append(args, kv[0], kv[1])
	}
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.db.WithContext(ctx).Exec("SELECT "+strings.Join(calls, ", "), args...).Error; err != nil {
			return fmt.Errorf("set the planner for this transaction: %w", err)
		}
		return fn(tx)
	})
}

// Open connects to PostgreSQL when databaseURL is set, else opens (creating) dataDir/waorder.db.
func Open(ctx context.Context, databaseURL, dataDir string, opts Options) (*Store, error) {
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true, // only outages are translated (see outages)
	}
	var (
		db   *gorm.DB
		err  error
		pg   = databaseURL != ""
		conn *pgx.ConnConfig
	)
	if pg {
		var sqlDB *sql.DB
		if sqlDB, conn, err = openPostgres(databaseURL); err == nil {
			db, err = gorm.Open(outages{postgres.New(postgres.Config{Conn: newBatchPool(sqlDB)})}, gcfg)
		}
	} else {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir %s: %w", dataDir, err)
		}
		path := filepath.Join(dataDir, "waorder.db")
		// synchronous=FULL: WAL frames are fsynced at every commit, so a commit acknowledged to Meta survives power
		// loss and an OS crash, not only a crash of this process (NORMAL's guarantee). Group commit pays one fsync
		// for every delivery of a batch.
		dsn := "file:" + path + "?_txlock=immediate&_time_format=sqlite" +
			"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
		db, err = gorm.Open(outages{sqlite.Open(dsn)}, gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	n := opts.MaxOpenConns
	if n == 0 {
		n = map[bool]int{true: 16, false: 1}[pg]
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	timeout := opts.QueryTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if !pg {
		timeout = 0 // see deadlines.go
	} else if err := registerDeadlines(db, timeout); err != nil {
		sqlDB.Close()
		return nil, err
	}
	s := &Store{db: db, postgres: pg, timeout: timeout, conn: conn}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// Warm opens n of the pool's PostgreSQL connections at once (no more than the pool holds), so the first webhooks
// after a start (a deploy, a restart under Meta's redeliveries) don't each wait for a connection of their own to be
// opened: in an open loop of 1,000 webhooks/s on a fresh start, the first second's p99 was 85-197 ms with the pool
// opened on demand and 22-54 ms warmed. A connection that can't be opened within 5 s is left to be opened on
// demand, as before. The idle ones close after 5 minutes unused, like any other.
func (s *Store) Warm(ctx context.Context, n int) {
	db, err := s.db.DB()
	if !s.postgres || err != nil {
		return
	}
	n = min(n, db.Stats().MaxOpenConnections)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conns := make([]*sql.Conn, n)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := db.Conn(ctx); err == nil { // a new connection, opened and started up
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close() //nolint:errcheck // back to the pool: Close on a *sql.Conn returns it
		}
	}
}

// Postgres reports whether the store runs on PostgreSQL.
func (s *Store) Postgres() bool { return s.postgres }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Stats reports the pool's counters, for metrics.
func (s *Store) Stats() sql.DBStats {
	sqlDB, err := s.db.DB()
	if err != nil {
		return sql.DBStats{}
	}
	return sqlDB.Stats()
}

// Pool is the underlying connection pool, for its metrics collector.
func (s *Store) Pool() (*sql.DB, error) { return s.db.DB() }

// DB returns the GORM handle bound to ctx. Only this package's files and its tests use it.
func (s *Store) DB(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// Tx runs fn in one transaction on a Store bound to it.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, postgres: s.postgres, timeout: s.timeout, conn: s.conn})
	})
}

// now is the single clock for rows this package writes.
func now() time.Time { return time.Now().UTC() }

// notFound maps GORM's miss to models.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.ErrNotFound
	}
	return err
}
