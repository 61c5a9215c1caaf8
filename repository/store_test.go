package repository_test

import (
	"context"
	"testing"

	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// Every PostgreSQL session plans each statement for its own parameters (the queues' claims must not keep a plan made
// while their queue was empty), unless DATABASE_URL says otherwise.
func TestOpen_PostgresSessionsPlanEachExecutionUnlessTheURLSaysOtherwise(t *testing.T) {
	base := testutil.PostgresSchemaURL(t)
	for _, tc := range []struct{ name, url, want string }{
		{"default", base, "force_custom_plan"},
		{"the URL's own setting", base + "&plan_cache_mode=auto", "auto"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := repository.Open(ctx, tc.url, "", repository.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var mode string
			if err := s.DB(ctx).Raw("SHOW plan_cache_mode").Scan(&mode).Error; err != nil {
				t.Fatal(err)
			}
			if mode != tc.want {
				t.Fatalf("plan_cache_mode %q, want %q", mode, tc.want)
			}
		})
	}
}
