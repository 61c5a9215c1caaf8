package repository_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must close the stores it opened (testutil closes those it opens when the test ends): an open pool
// keeps database/sql's connection opener and pgx's or SQLite's goroutines running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
