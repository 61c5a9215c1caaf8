package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	sqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// SQLite result codes (the low byte of an extended code) and PostgreSQL SQLSTATEs this file decides on.
const (
	sqliteBusy        = 5
	sqliteLocked      = 6
	sqliteIOErr       = 10
	sqliteFull        = 13
	sqliteConstraint  = 19
	sqliteUnique      = sqliteConstraint | 8<<8 // SQLITE_CONSTRAINT_UNIQUE
	sqlitePrimaryKey  = sqliteConstraint | 6<<8 // SQLITE_CONSTRAINT_PRIMARYKEY
	pgUniqueViolation = "23505"
	pgDiskFull        = "53100"
)

// IsUnavailable reports whether err means the database could not be reached or could not write (as opposed to a
// bad statement), so the caller should answer 503 and let the sender retry. It decides on the drivers' error types
// and codes, never on their text.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errDBClosed()) ||
		errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	// The network: refused, reset, a broken pipe, a time-out; and a full disk under either database.
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.ENOSPC} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var netErr net.Error
	var connErr *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &connErr) || pgconn.Timeout(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exceptions; 57P01-03: the server is shutting down, crashed or not accepting yet;
		// 53100: disk full. Nothing was written; retrying later may succeed.
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08",
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", pgErr.Code == pgDiskFull:
			return true
		}
		return false
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqliteBusy, sqliteLocked, sqliteFull, sqliteIOErr:
			return true
		}
	}
	return false
}

// isUniqueViolation reports whether err is a unique constraint refusing a row, under either database.
func isUniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == pgUniqueViolation
	}
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && (liteErr.Code() == sqliteUnique || liteErr.Code() == sqlitePrimaryKey)
}

// errDBClosed is database/sql's error for a query on a closed pool. The package offers no exported value or type to
// test for, so it is taken once from a pool closed on purpose.
var errDBClosed = sync.OnceValue(func() error {
	db := sql.OpenDB(noConnector{})
	_ = db.Close()
	return db.PingContext(context.Background())
})

// noConnector is never asked for a connection: its pool is closed before any query.
type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) { return nil, driver.ErrBadConn }
func (noConnector) Driver() driver.Driver                        { return nil }
