package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// TestLogin_ParallelGuessesGetNoMoreThanTheLimit: a burst of parallel wrong guesses for one email, each from its own
// IP, gets at most MaxFailsPerEmail password checks; the rest are refused without one.
func TestLogin_ParallelGuessesGetNoMoreThanTheLimit(t *testing.T) {
	for _, name := range []string{"memory", "valkey"} {
		t.Run(name, func(t *testing.T) {
			s := testutil.SQLite(t)
			ctx := context.Background()
			var c cache.Cache = cache.NewMemory(1000)
			if name == "valkey" {
				c = mustCache(t, testutil.ValkeyURL())
			}
			b := merchanttest.Seed(t, s, "A", 0)
			a := auth.New(s, c, []byte(testutil.RandomHex(8)), nil)
			email := "burst" + testutil.RandomHex(3) + "@example.com"
			if _, err := a.CreateUser(ctx, b.Business.ID, email, "right-password", models.RoleStaff); err != nil {
				t.Fatal(err)
			}
			const n = 40
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, _, err := a.Login(ctx, email, fmt.Sprintf("guess-%d", i), fmt.Sprintf("10.7.%d.%d", i/250, i%250))
					errs <- err
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			checked, limited := 0, 0
			for err := range errs {
				switch {
				case errors.Is(err, models.ErrBadCredentials):
					checked++
				case errors.Is(err, models.ErrRateLimited), errors.Is(err, models.ErrBusy):
					limited++ // refused without a check (models.ErrBusy: a slow machine kept the hashing slots busy)
				default:
					t.Fatalf("unexpected: %v", err)
				}
			}
			if checked > auth.MaxFailsPerEmail || checked+limited != n {
				t.Fatalf("%d guesses were checked (limit %d), %d refused", checked, auth.MaxFailsPerEmail, limited)
			}
		})
	}
}

// TestLogin_SuccessClearsTheEmailCount: a merchant who logs in after a few typos starts afresh.
func TestLogin_SuccessClearsTheEmailCount(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b := merchanttest.Seed(t, s, "A", 0)
	a := auth.New(s, cache.NewMemory(1000), []byte(testutil.RandomHex(8)), nil)
	email := "typo" + testutil.RandomHex(3) + "@example.com"
	if _, err := a.CreateUser(ctx, b.Business.ID, email, "right-password", models.RoleStaff); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for range auth.MaxFailsPerEmail - 1 {
			if _, _, err := a.Login(ctx, email, "wrong", ""); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatal(err)
			}
		}
		if _, _, err := a.Login(ctx, email, "right-password", ""); err != nil {
			t.Fatalf("login after %d typos: %v", auth.MaxFailsPerEmail-1, err)
		}
	}
}

// TestLogin_IPv6AddressesOfOneSlash64ShareALimit: a client can't dodge the per-IP limit by taking a new address of
// its /64 for every guess; another /64 is not affected.
func TestLogin_IPv6AddressesOfOneSlash64ShareALimit(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	merchanttest.Seed(t, s, "A", 0)
	a := auth.New(s, cache.NewMemory(1000), []byte(testutil.RandomHex(8)), nil)
	for i := range auth.MaxFailsPerIP {
		_, _, err := a.Login(ctx, fmt.Sprintf("v6-%d@example.com", i), "x", fmt.Sprintf("2001:db8:1:2::%x", i+1))
		if !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if _, _, err := a.Login(ctx, "v6-next@example.com", "x", "2001:db8:1:2:ffff::9"); !errors.Is(err, models.ErrRateLimited) {
		t.Fatalf("another address of the same /64: %v", err)
	}
	if _, _, err := a.Login(ctx, "v6-other@example.com", "x", "2001:db8:1:3::1"); !errors.Is(err, models.ErrBadCredentials) {
		t.Fatalf("an address of another /64: %v", err)
	}
}
