package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

func TestSession_EndsAfterIdleTimeoutButNotWhileUsed(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a, b := setup(t, s)
			a.SetIdleTimeout(time.Hour)
			email := "idle" + testutil.RandomHex(3) + "@example.com"
			if _, err := a.CreateUser(ctx, b.Business.ID, email, "s3cret-pass", models.RoleOwner); err != nil {
				t.Fatal(err)
			}
			active, _, err := a.Login(ctx, email, "s3cret-pass", "")
			if err != nil {
				t.Fatal(err)
			}
			forgotten, _, err := a.Login(ctx, email, "s3cret-pass", "")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			// The active one is used every 40 minutes for 4 hours; the other is left alone.
			for step := 1; step <= 6; step++ {
				at := start.Add(time.Duration(step) * 40 * time.Minute)
				a.SetClock(func() time.Time { return at })
				if _, err := a.Session(ctx, active); err != nil {
					t.Fatalf("session in use, after %v: %v", at.Sub(start), err)
				}
			}
			if _, err := a.Session(ctx, forgotten); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("session idle for 4 hours: %v, want models.ErrNoSession", err)
			}
			n, err := a.PurgeSessions(ctx)
			if err != nil || n != 1 {
				t.Fatalf("purged %d (%v), want the idle session", n, err)
			}
			if _, err := a.Session(ctx, active); err != nil {
				t.Fatalf("the active session after the purge: %v", err)
			}
		})
	}
}

func TestChangePassword_ChecksTheCurrentOneAndEndsOtherSessions(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a, b := setup(t, s)
			email := "chg" + testutil.RandomHex(3) + "@example.com"
			if _, err := a.CreateUser(ctx, b.Business.ID, email, "old-password", models.RoleOwner); err != nil {
				t.Fatal(err)
			}
			here, p, err := a.Login(ctx, email, "old-password", "")
			if err != nil {
				t.Fatal(err)
			}
			elsewhere, _, err := a.Login(ctx, email, "old-password", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := a.ChangePassword(ctx, p, "wrong-password", "new-password"); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("wrong current password: %v", err)
			}
			if err := a.ChangePassword(ctx, p, "old-password", "short"); !errors.Is(err, models.ErrWeakPassword) {
				t.Fatalf("short new password: %v", err)
			}
			if err := a.ChangePassword(ctx, p, "old-password", "new-password"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Session(ctx, here); err != nil {
				t.Fatalf("the session that changed it: %v", err)
			}
			if _, err := a.Session(ctx, elsewhere); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("another session after the change: %v", err)
			}
			if _, _, err := a.Login(ctx, email, "old-password", ""); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("old password: %v", err)
			}
			if _, _, err := a.Login(ctx, email, "new-password", ""); err != nil {
				t.Fatalf("new password: %v", err)
			}
			n, err := a.LogoutEverywhere(ctx, p.UserID)
			if err != nil || n != 2 {
				t.Fatalf("log out everywhere ended %d (%v), want 2", n, err)
			}
			if _, err := a.Session(ctx, here); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("after logging out everywhere: %v", err)
			}
		})
	}
}

func TestChangePassword_GuessesAreRateLimited(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	a, b := setup(t, s)
	email := "guess" + testutil.RandomHex(3) + "@example.com"
	if _, err := a.CreateUser(ctx, b.Business.ID, email, "old-password", models.RoleOwner); err != nil {
		t.Fatal(err)
	}
	_, p, err := a.Login(ctx, email, "old-password", "")
	if err != nil {
		t.Fatal(err)
	}
	for range auth.MaxFailsPerEmail {
		if err := a.ChangePassword(ctx, p, "guess", "new-password"); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	if err := a.ChangePassword(ctx, p, "old-password", "new-password"); !errors.Is(err, models.ErrRateLimited) {
		t.Fatalf("after %d wrong guesses: %v", auth.MaxFailsPerEmail, err)
	}
}

func TestResetPasswordAndDeleteUser_EndSessions(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a, b := setup(t, s)
			email := "reset" + testutil.RandomHex(3) + "@example.com"
			if _, err := a.CreateUser(ctx, b.Business.ID, email, "old-password", models.RoleOwner); err != nil {
				t.Fatal(err)
			}
			cookie, _, err := a.Login(ctx, email, "old-password", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.ResetPassword(ctx, email, "brand-new-pass"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Session(ctx, cookie); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("session after a reset: %v", err)
			}
			cookie, _, err = a.Login(ctx, email, "brand-new-pass", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.DeleteUser(ctx, email); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Session(ctx, cookie); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("session after the user was deleted: %v", err)
			}
			if _, err := a.DeleteUser(ctx, email); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("deleting twice: %v", err)
			}
			if _, err := a.ResetPassword(ctx, "nobody@example.com", "brand-new-pass"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("reset of an unknown email: %v", err)
			}
		})
	}
}
