package repository

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// batchArgs is how many arguments a PostgreSQL statement may take and still be prepared and kept by its connection.
// A statement with more is a batch whose text is made for its row count (a multi-row VALUES list, a long IN list):
// the same statement with 37 rows is another text than with 38.
const batchArgs = 32

// batchPool is the PostgreSQL pool as GORM sees it. pgx prepares every statement text a connection runs and keeps
// up to 512 of them per connection (PostgreSQL keeps each one's plan too), which pays off for the statements that
// run again and again, not for batches: every connection ended up holding a prepared copy of each batch size it had
// seen, one extra round trip to prepare each, and in a one-minute drain the service's heap grew from 12 to 32 MB with
// them (5 MB of prepared descriptions, 6 MB of their texts; peak RSS 100 MB, 69 MB without any cache). So a
// statement with more than batchArgs arguments runs unprepared, in one round trip (pgx's exec mode: the parameters'
// types come from their Go types); every other statement is still prepared once per connection. Hand-written
// because neither GORM nor pgx chooses the mode per statement; pgx takes it as a leading argument.
type batchPool struct{ db *sql.DB }

// batchTx is a transaction of a batchPool: its statements are chosen the same way.
type batchTx struct {
	*sql.Tx
	db *sql.DB
}

// unprepared puts pgx's exec mode in front of a batch's arguments.
func unprepared(args []any) []any {
	if len(args) <= batchArgs {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

func (p *batchPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

func (p *batchPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, query, unprepared(args)...)
}

func (p *batchPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, query, unprepared(args)...)
}

func (p *batchPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, query, unprepared(args)...)
}

// BeginTx starts a transaction whose statements are chosen the same way (GORM's ConnPoolBeginner).
func (p *batchPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &batchTx{tx, p.db}, nil
}

// GetDBConn gives GORM's DB() the pool underneath.
func (p *batchPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// GetDBConn gives GORM's DB() the pool underneath.
func (t *batchTx) GetDBConn() (*sql.DB, error) { return t.db, nil }

func (t *batchTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, query, unprepared(args)...)
}

func (t *batchTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, query, unprepared(args)...)
}

func (t *batchTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, query, unprepared(args)...)
}
