package repository_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
	"gorm.io/gorm"
)

// The bot's claim is planned for its own parameters at every execution, however often it ran on an empty queue (a
// generic plan made then may walk every unprocessed row once the queue is deep); the outbox's claim, whose planner
// settings leave it one plan, is planned once (its plan is checked with a deep queue elsewhere); other statements
// keep PostgreSQL's default. A URL that sets plan_cache_mode decides for every statement.
func TestOpen_PostgresClaimsArePlannedForEachExecution(t *testing.T) {
	base := testutil.PostgresSchemaURL(t)
	for _, tc := range []struct {
		name, url, session string
		inboundGeneric     bool // the bot's claim runs on a generic plan
	}{
		{"default", base, "auto", false},
		{"the URL's own setting", base + "&plan_cache_mode=force_generic_plan", "force_generic_plan", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := oneSession(t, tc.url)
			var mode string
			if err := s.DB(ctx).Raw("SHOW plan_cache_mode").Scan(&mode).Error; err != nil {
				t.Fatal(err)
			}
			if mode != tc.session {
				t.Fatalf("plan_cache_mode %q, want %q", mode, tc.session)
			}
			for range 12 { // on an empty queue: the cheapest generic plan PostgreSQL could pick
				if _, err := s.ClaimOutbound(ctx, 16, time.Minute, "w"); err != nil {
					t.Fatal(err)
				}
				if _, err := s.ClaimUnprocessed(ctx, nil, 16, time.Minute, 5); err != nil {
					t.Fatal(err)
				}
			}
			var plans []struct {
				Statement                 string
				GenericPlans, CustomPlans int64
			}
			if err := s.DB(ctx).Raw(`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
				WHERE statement LIKE '%picked AS MATERIALIZED%' AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&plans).Error; err != nil {
				t.Fatal(err)
			}
			if len(plans) != 2 {
				t.Fatalf("%d prepared claims, want the outbox's and the bot's: %+v", len(plans), plans)
			}
			for _, p := range plans {
				want := tc.inboundGeneric || strings.Contains(p.Statement, "UPDATE outbound_messages")
				ok := want && p.CustomPlans == 0 || !want && p.GenericPlans == 0
				if !ok || p.GenericPlans+p.CustomPlans < 12 {
					t.Errorf("claim %.60q: %d generic and %d custom plans, want generic %v", p.Statement, p.GenericPlans,
						p.CustomPlans, want)
				}
			}
		})
	}
}

// The embedded database fsyncs at every commit (synchronous = FULL, 2): a commit acknowledged to Meta survives
// power loss or an OS crash, not only a crash of this process (NORMAL, 1, would not).
func TestOpen_SQLiteSyncsEveryCommit(t *testing.T) {
	s := testutil.SQLite(t)
	var mode int
	if err := s.DB(context.Background()).Raw("PRAGMA synchronous").Scan(&mode).Error; err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Fatalf("PRAGMA synchronous = %d, want 2 (FULL)", mode)
	}
}

// A statement with more than 32 arguments is a batch whose text is made for its size: it runs unprepared, so no
// connection keeps a prepared copy of every batch size it has seen; statements with fewer are still prepared once
// per connection and reused. Both, in and out of a transaction, return their rows.
func TestOpen_PostgresBatchesAreNotPreparedPerSize(t *testing.T) {
	ctx := context.Background()
	s, err := repository.Open(ctx, testutil.PostgresSchemaURL(t), "", repository.Options{MaxOpenConns: 1}) // one session
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := func(n int) []int64 {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(i + 1)
		}
		return v
	}
	run := func(db *gorm.DB, marker string, n int) {
		t.Helper()
		var got int64
		if err := db.Raw("SELECT COUNT(*) /* "+marker+" */ FROM generate_series(1, 100) g WHERE g IN ?", ids(n)).
			Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got != int64(n) {
			t.Fatalf("%s with %d ids counted %d", marker, n, got)
		}
	}
	for n := 30; n <= 40; n++ { // 30-32 arguments: prepared; 33-40: batches
		run(s.DB(ctx), "pool", n)
		if err := s.Tx(ctx, func(tx *repository.Store) error { run(tx.DB(ctx), "tx", n); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 { // run again: reused, not prepared again
		run(s.DB(ctx), "pool", 31)
	}
	for _, marker := range []string{"pool", "tx"} {
		var prepared int
		if err := s.DB(ctx).Raw(`SELECT COUNT(*) FROM pg_prepared_statements
			WHERE statement LIKE ? AND statement NOT LIKE '%pg_prepared_statements%'`, "%/* "+marker+" */%").
			Scan(&prepared).Error; err != nil {
			t.Fatal(err)
		}
		if prepared != 3 {
			t.Errorf("%s: %d statements prepared, want 3 (30, 31 and 32 ids; none of the batches)", marker, prepared)
		}
	}
}

// oneSession migrates the schema at url and opens a store on it with a single connection, so what a test reads of
// the session (its prepared statements, its settings) is the session the store's statements ran in. The store is
// closed when the test ends.
func oneSession(t *testing.T, url string) *repository.Store {
	t.Helper()
	ctx := context.Background()
	m, err := repository.Open(ctx, url, "", repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Migrate(ctx)
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := repository.Open(ctx, url, "", repository.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestWarm_OpensConnectionsBeforeTheyAreAskedFor: a warmed pool holds its connections idle, never more than its
// size; SQLite's single connection is left alone.
func TestWarm_OpensConnectionsBeforeTheyAreAskedFor(t *testing.T) {
	ctx := context.Background()
	s, err := repository.Open(ctx, testutil.PostgresSchemaURL(t), "", repository.Options{MaxOpenConns: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if n := s.Stats().OpenConnections; n != 1 {
		t.Fatalf("%d connections open before warming; want 1 (the ping's)", n)
	}
	s.Warm(ctx, 3)
	if st := s.Stats(); st.OpenConnections != 3 || st.Idle != 3 {
		t.Fatalf("after warming 3: %d open, %d idle; want 3 and 3", st.OpenConnections, st.Idle)
	}
	s.Warm(ctx, 50)
	if n := s.Stats().OpenConnections; n != 5 {
		t.Fatalf("after warming 50 of a pool of 5: %d open; want 5", n)
	}
	lite := testutil.SQLite(t)
	lite.Warm(ctx, 8)
	if n := lite.Stats().OpenConnections; n > 1 {
		t.Fatalf("SQLite: %d connections open; want at most its one", n)
	}
}
