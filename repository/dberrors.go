package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"

	sqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/waorder/waorder/models"
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
// and codes, never on their text; the standard library's outage errors are models.IsOutage's. Every error GORM
// records that this reports true for reaches callers as models' EUNAVAILABLE error (see outages).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if models.IsOutage(err) || errors.Is(err, errDBClosed()) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || pgconn.Timeout(err) {
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

// outages is the database's dialector with one error translation (gorm.ErrorTranslator, on with TranslateError):
// every error GORM records that IsUnavailable reports true for becomes models' EUNAVAILABLE error wrapping the
// driver's, so the layers above decide on the code (a door answers 503) and never import this package to ask.
// Any other error passes unchanged. GORM finds a dialector's optional methods by type assertion, so the savepoints
// nested transactions use are passed through.
type outages struct{ gorm.Dialector }

func (d outages) Translate(err error) error {
	if models.ErrorCode(err) != models.EUNAVAILABLE && IsUnavailable(err) {
		return &models.Error{Code: models.EUNAVAILABLE, Message: "database unavailable: " + err.Error(), Err: err}
	}
	return err
}

func (d outages) SavePoint(tx *gorm.DB, name string) error {
	return d.Dialector.(gorm.SavePointerDialectorInterface).SavePoint(tx, name)
}

func (d outages) RollbackTo(tx *gorm.DB, name string) error {
	return d.Dialector.(gorm.SavePointerDialectorInterface).RollbackTo(tx, name)
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
