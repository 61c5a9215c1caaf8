package repository_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func TestMigrate_ConcurrentInstancesApplyOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t) // already migrated once
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := s.Migrate(context.Background())
					if err == nil && n != 0 {
						err = fmt.Errorf("re-applied %d migrations", n)
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestMigrate_FreshPostgresSchemaRacingInstances(t *testing.T) {
	u := testutil.PostgresSchemaURL(t)
	var wg sync.WaitGroup
	applied := make(chan int, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := repository.Open(context.Background(), u, "", repository.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			n, err := s.Migrate(context.Background())
			if err != nil {
				t.Error(err)
			}
			applied <- n
		}()
	}
	wg.Wait()
	close(applied)
	total := 0
	for n := range applied {
		total += n
	}
	if total == 0 {
		t.Fatal("no instance applied the migrations")
	}
	s, err := repository.Open(context.Background(), u, "", repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Migrate(context.Background()); err != nil || n != 0 {
		t.Fatalf("after the race: applied %d more, err %v", n, err)
	}
}

// storeAtVersion opens a fresh store on be migrated only up to version, as an older release left it, and an exec
// that writes rows the way that release did (failing the test on an error).
func storeAtVersion(t *testing.T, be testutil.Backend, version int) (*repository.Store, func(q string, args ...any)) {
	t.Helper()
	ctx := context.Background()
	url := ""
	if be.Name == "postgres" {
		url = testutil.PostgresSchemaURL(t)
	}
	s, err := repository.Open(ctx, url, t.TempDir(), repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := repository.MigrateTo(ctx, s, version); err != nil {
		t.Fatal(err)
	}
	return s, func(q string, args ...any) {
		t.Helper()
		if err := s.DB(ctx).Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
}
