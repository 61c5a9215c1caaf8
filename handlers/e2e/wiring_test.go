package e2e

import (
	"log/slog"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/repository"
)

// newAuth builds the accounts service the way serve does.
func newAuth(t *testing.T, store *repository.Store, c cache.Cache, log *slog.Logger) *auth.Service {
	t.Helper()
	return auth.New(store, c, []byte("dash-test-session-key-0123456789"), log)
}
