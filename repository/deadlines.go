package repository

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Every database call has a deadline, so a hung database (a paused server, a half-open connection) costs a caller
// at most the store's QueryTimeout, never forever, and shutdown stays bounded. It is set in one place, here, on the
// way into the driver: a GORM callback gives each statement whose context has no deadline one of QueryTimeout, and
// Tx gives a whole transaction one (its BEGIN and COMMIT included). A caller's own tighter deadline always wins.
// Pool settings alone cannot do this: database/sql has no per-query timeout, and PostgreSQL's statement_timeout
// is enforced by the server, which is the part that hangs.

const cancelKey = "waorder:deadline_cancel"

// registerDeadlines installs the statement deadline on every kind of GORM operation.
func registerDeadlines(db *gorm.DB, timeout time.Duration) error {
	before := func(tx *gorm.DB) {
		ctx := tx.Statement.Context
		if ctx == nil {
			ctx = context.Background()
		}
		if _, ok := ctx.Deadline(); ok {
			return
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		tx.Statement.Context = ctx
		tx.InstanceSet(cancelKey, cancel)
	}
	after := func(tx *gorm.DB) {
		if c, ok := tx.InstanceGet(cancelKey); ok {
			c.(context.CancelFunc)()
		}
	}
	cb := db.Callback()
	errs := []error{
		cb.Create().Before("*").Register("waorder:deadline", before),
		cb.Create().After("*").Register("waorder:deadline_done", after),
		cb.Query().Before("*").Register("waorder:deadline", before),
		cb.Query().After("*").Register("waorder:deadline_done", after),
		cb.Update().Before("*").Register("waorder:deadline", before),
		cb.Update().After("*").Register("waorder:deadline_done", after),
		cb.Delete().Before("*").Register("waorder:deadline", before),
		cb.Delete().After("*").Register("waorder:deadline_done", after),
		cb.Raw().Before("*").Register("waorder:deadline", before),
		cb.Raw().After("*").Register("waorder:deadline_done", after),
		// Row (and Raw().Scan) hands back rows that are read after the callbacks return: no cancel there, the
		// timer runs out by itself.
		cb.Row().Before("*").Register("waorder:deadline", before),
	}
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("register database deadline: %w", err)
		}
	}
	return nil
}

// deadline gives ctx the store's QueryTimeout unless it already has a deadline.
func (s *Store) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}
