package repository_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/waorder/waorder/testutil"
)

// A table that grew fast is analyzed at once, not a minute later by autovacuum: the planner then knows its size and
// values. One that barely changed is left alone, and SQLite has nothing to do.
func TestRefreshStatistics_AnalyzesATableThatGrewFastAndLeavesTheOthers(t *testing.T) {
	ctx := context.Background()
	if got, err := testutil.SQLite(t).RefreshStatistics(ctx); err != nil || got != nil {
		t.Fatalf("SQLite: %v, %v", got, err)
	}
	s := testutil.Postgres(t)
	b, _ := seedBusiness(t, s, "1")
	if err := s.DB(ctx).Exec(`INSERT INTO customers (business_id, wa_id, created_at, updated_at)
		SELECT ?, '35191' || g, now(), now() FROM generate_series(1, 3000) g`, b.ID).Error; err != nil {
		t.Fatal(err)
	}
	var analyzed []string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got, err := s.RefreshStatistics(ctx) // the inserts reach the statistics views within a second or so
		if err != nil {
			t.Fatal(err)
		}
		analyzed = append(analyzed, got...)
		if slices.Contains(analyzed, "customers") || time.Now().After(deadline) {
			break
		}
	}
	if !slices.Contains(analyzed, "customers") {
		t.Fatalf("analyzed %v, want customers among them", analyzed)
	}
	if slices.Contains(analyzed, "businesses") || slices.Contains(analyzed, "products") {
		t.Fatalf("analyzed %v: tables with a handful of changes too", analyzed)
	}
	var planned int64 // the planner's row count for the table, which ANALYZE sets
	if err := s.DB(ctx).Raw(`SELECT reltuples::bigint FROM pg_class WHERE oid = 'customers'::regclass`).Scan(&planned).Error; err != nil {
		t.Fatal(err)
	}
	if planned != 3000 {
		t.Fatalf("the planner counts %d customers, want 3000", planned)
	}
	again, err := s.RefreshStatistics(ctx)
	if err != nil || slices.Contains(again, "customers") {
		t.Fatalf("analyzed again right away: %v, %v", again, err)
	}
}
