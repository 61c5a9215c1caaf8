package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func TestDeadlines_APostgresCallThatHangsEndsAtTheQueryTimeout(t *testing.T) {
	u := testutil.PostgresSchemaURL(t)
	s, err := repository.Open(context.Background(), u, "", repository.Options{QueryTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background() // no deadline of the caller's
	err = s.DB(ctx).Exec("SELECT pg_sleep(30)").Error
	if !errors.Is(err, context.DeadlineExceeded) || !repository.IsUnavailable(err) {
		t.Fatalf("a statement that hangs: %v; want the deadline, reported as unavailable", err)
	}
	// A whole transaction has the deadline too, and a chained query reuses the caller's context afterwards.
	err = s.Tx(ctx, func(tx *repository.Store) error { return tx.DB(ctx).Exec("SELECT pg_sleep(30)").Error })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a transaction that hangs: %v", err)
	}
	if err := s.DB(ctx).Exec("CREATE TABLE chained (version INTEGER); INSERT INTO chained VALUES (1), (2), (3)").Error; err != nil {
		t.Fatal(err)
	}
	q := s.DB(ctx).Table("chained")
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	var versions []int
	if err := q.Pluck("version", &versions).Error; err != nil || len(versions) != 3 || n != 3 {
		t.Fatalf("second query of one chain: %v, %v (count %d)", versions, err, n)
	}
	// A caller's own deadline wins.
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.DB(short).Exec("SELECT pg_sleep(0.5)").Error; err != nil {
		t.Fatalf("a call within the caller's longer deadline: %v", err)
	}
}
