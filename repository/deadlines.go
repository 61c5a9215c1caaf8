package repository

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Every PostgreSQL call has a deadline, so a hung database (a paused server, a half-open connection) costs a caller
// at most the store's QueryTimeout, never forever, and shutdown stays bounded. It is set in one place, here, on the
// way into the driver: a GORM callback gives each statement whose context has no deadline one of QueryTimeout (and
// puts the caller's context back afterwards, as GORM chains reuse a statement), and Tx gives a whole transaction
// one, its BEGIN and COMMIT included. A caller's own tighter deadline always wins. Pool settings alone cannot do
// this: database/sql has no per-query timeout, and PostgreSQL's statement_timeout is enforced by the server, which
// is the part that hangs. The embedded SQLite has no network to hang on; its waits for the write lock are bounded
// by busy_timeout (10 s), so it gets no extra context (its driver would start a goroutine per statement for one).

const deadlineKey = "waorder:deadline"

type deadlineState struct {
	orig   context.Context
	cancel context.CancelFunc
}

// registerDeadlines installs the statement deadline on every kind of GORM operation.
func registerDeadlines(db *gorm.DB, timeout time.Duration) error {
	before := func(tx *gorm.DB) {
		orig := tx.Statement.Context
		if orig == nil {
			orig = context.Background()
		}
		if _, ok := orig.Deadline(); ok {
			return
		}
		ctx, cancel := context.WithTimeout(orig, timeout)
		tx.Statement.Context = ctx
		tx.InstanceSet(deadlineKey, deadlineState{orig: orig, cancel: cancel})
	}
	after := func(tx *gorm.DB) {
		if v, ok := tx.InstanceGet(deadlineKey); ok {
			st := v.(deadlineState)
			st.cancel()
			tx.Statement.Context = st.orig
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
