package repository_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/waorder/waorder/testutil"
)

// A table that grew fast is analyzed at once, not a minute later by autovacuum: the planner then knows its size and
// values. One that barely changed is left alone, and SQLite has nothing to do. Rows updated in place count for less
// than growth: a table is read again only after two tables' worth of changes. A pass reads a small sample.
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
	var buckets int // from a small sample: statistics target 10, 11 bounds (the default target gives 101)
	if err := s.DB(ctx).Raw(`SELECT array_length(histogram_bounds::text::text[], 1) FROM pg_stats
		WHERE schemaname = current_schema() AND tablename = 'customers' AND attname = 'wa_id'`).Scan(&buckets).Error; err != nil {
		t.Fatal(err)
	}
	if buckets != 11 {
		t.Fatalf("wa_id's histogram has %d bounds, want 11 (a pass with statistics target 10)", buckets)
	}
	again, err := s.RefreshStatistics(ctx)
	if err != nil || slices.Contains(again, "customers") {
		t.Fatalf("analyzed again right away: %v, %v", again, err)
	}

	// A queue's rows are updated several times each at the same size: one pass of updates over every row is not a
	// reason to read the table again, two more are (the share of each status has moved).
	update := func(times int) {
		t.Helper()
		for range times {
			if err := s.DB(ctx).Exec(`UPDATE customers SET updated_at = now() WHERE business_id = ?`, b.ID).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	// waitChanges waits until the statistics views count at least n changes since the last analyze pass.
	waitChanges := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			var mods int64
			if err := s.DB(ctx).Raw(`SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = 'customers'::regclass`).
				Scan(&mods).Error; err != nil {
				t.Fatal(err)
			}
			if mods >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the statistics views count %d changes, want %d", mods, n)
			}
		}
	}
	update(1)
	waitChanges(3000)
	if again, err := s.RefreshStatistics(ctx); err != nil || slices.Contains(again, "customers") {
		t.Fatalf("every row updated once: analyzed %v, %v; want customers left alone", again, err)
	}
	update(2)
	waitChanges(9000)
	if again, err := s.RefreshStatistics(ctx); err != nil || !slices.Contains(again, "customers") {
		t.Fatalf("every row updated three times: analyzed %v, %v; want customers", again, err)
	}
}
