package e2e

import (
	"log/slog"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// newAuth builds the accounts service the way serve does. Its session key is random, which gives each test its
// own login rate-limit counters on the shared Redis (they are keyed by it): otherwise the test that trips the
// per-IP limit would lock every other test out of 127.0.0.1 for LoginWindow.
func newAuth(t *testing.T, store *repository.Store, c cache.Cache, log *slog.Logger) *auth.Service {
	t.Helper()
	return auth.New(store, c, []byte("dash-test-"+testutil.RandomHex(16)), log)
}
