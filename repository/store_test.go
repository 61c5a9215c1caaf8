package repository_test

import (
	"context"
	"testing"
	"time"

	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// The queues' claims are planned for their own parameters at every execution, however often they ran on an empty
// queue (a generic plan made then walks every unsent row once the queue is deep); other statements keep
// PostgreSQL's default. A URL that sets plan_cache_mode decides for every statement.
func TestOpen_PostgresClaimsArePlannedForEachExecution(t *testing.T) {
	base := testutil.PostgresSchemaURL(t)
	for _, tc := range []struct {
		name, url, session string
		generic            bool // claims may run on a generic plan
	}{
		{"default", base, "auto", false},
		{"the URL's own setting", base + "&plan_cache_mode=force_generic_plan", "force_generic_plan", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m, err := repository.Open(ctx, tc.url, "", repository.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			m.Close()
			s, err := repository.Open(ctx, tc.url, "", repository.Options{MaxOpenConns: 1}) // one session: its statements
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
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
				if generic := p.GenericPlans > 0; generic != tc.generic || p.GenericPlans+p.CustomPlans < 12 {
					t.Errorf("claim %.60q: %d generic and %d custom plans", p.Statement, p.GenericPlans, p.CustomPlans)
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
