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
type batchPool struct {
	batchStatements
	db *sql.DB
}

// batchTx is a transaction of a batchPool: its statements are chosen the same way.
type batchTx struct {
	batchStatements
	tx *sql.Tx
	db *sql.DB
}

// batchStatements runs statements on a pool or a transaction, batches unprepared.
type batchStatements struct {
	on interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func newBatchPool(db *sql.DB) *batchPool { return &batchPool{batchStatements{db}, db} }

// unprepared puts pgx's exec mode in front of a batch's arguments.
func unprepared(args []any) []any {
	if len(args) <= batchArgs {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

func (b batchStatements) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return b.on.PrepareContext(ctx, query)
}

func (b batchStatements) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return b.on.ExecContext(ctx, query, unprepared(args)...)
}

func (b batchStatements) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return b.on.QueryContext(ctx, query, unprepared(args)...)
}

func (b batchStatements) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return b.on.QueryRowContext(ctx, query, unprepared(args)...)
}

// BeginTx starts a transaction whose statements are chosen the same way (GORM's ConnPoolBeginner).
func (p *batchPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &batchTx{batchStatements{tx}, tx, p.db}, nil
}

// GetDBConn gives GORM's DB() the pool underneath.
func (p *batchPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// GetDBConn gives GORM's DB() the pool underneath.
func (t *batchTx) GetDBConn() (*sql.DB, error) { return t.db, nil }

// Commit and Rollback end the transaction (GORM's TxCommitter).
func (t *batchTx) Commit() error { return t.tx.Commit() }

func (t *batchTx) Rollback() error { return t.tx.Rollback() }
