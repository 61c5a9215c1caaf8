package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

// TestLogin_BusyHashingSlotsAnswerErrBusyInsteadOfQueueing: with every argon2id slot taken, a login waits at most
// its bound (or its request's context) and gives up with models.ErrBusy; it does not queue forever.
func TestLogin_BusyHashingSlotsAnswerErrBusyInsteadOfQueueing(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b := models.Business{Name: "Busy"}
	if err := s.CreateBusiness(ctx, &b); err != nil {
		t.Fatal(err)
	}
	a := New(s, cache.NewMemory(100), []byte("k"), nil)
	if _, err := a.CreateUser(ctx, b.ID, "busy@example.com", "right-password", models.RoleOwner); err != nil {
		t.Fatal(err)
	}
	a.argonWait = 50 * time.Millisecond
	for range cap(a.argon) {
		a.argon <- struct{}{}
	}
	if _, _, err := a.Login(ctx, "busy@example.com", "right-password", "10.0.0.1"); !errors.Is(err, models.ErrBusy) {
		t.Fatalf("login with every slot taken: %v, want models.ErrBusy", err)
	}
	if _, err := a.CreateUser(ctx, b.ID, "other@example.com", "right-password", models.RoleOwner); !errors.Is(err, models.ErrBusy) {
		t.Fatalf("hashing with every slot taken: %v, want models.ErrBusy", err)
	}
	a.argonWait = time.Hour
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.checkPassword(cctx, "h", "pw"); !errors.Is(err, models.ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("password check whose request ended: %v, want models.ErrBusy", err)
	}
	<-a.argon
	a.argonWait = ArgonWait
	if _, _, err := a.Login(ctx, "busy@example.com", "right-password", "10.0.0.1"); err != nil {
		t.Fatalf("login with a slot free: %v", err)
	}
}
