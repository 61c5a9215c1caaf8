package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

func TestResetLink_SetsPasswordOnceAndEndsSessions(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a, b := setup(t, s)
			email := "m" + testutil.RandomHex(4) + "@example.com"
			u, err := a.CreateUser(ctx, b.Business.ID, email, "old-password", models.RoleStaff)
			if err != nil {
				t.Fatal(err)
			}
			cookie, _, err := a.Login(ctx, email, "old-password", "")
			if err != nil {
				t.Fatal(err)
			}
			owner := auth.Principal{UserID: u.ID + 1000, BusinessID: b.Business.ID, Role: models.RoleOwner}
			if _, _, err := a.IssueReset(ctx, auth.Principal{UserID: u.ID, BusinessID: b.Business.ID, Role: models.RoleStaff}, u.ID); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("staff issued a reset: %v", err)
			}
			if _, _, err := a.IssueReset(ctx, auth.Principal{UserID: 1, BusinessID: b.Business.ID + 1, Role: models.RoleOwner}, u.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("another business's owner issued a reset: %v", err)
			}
			_, token, err := a.IssueReset(ctx, owner, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.ResetWithLink(ctx, token, "short"); err == nil {
				t.Error("a short password was accepted")
			}
			if _, err := a.ResetWithLink(ctx, token, "new-password"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Session(ctx, cookie); !errors.Is(err, models.ErrNoSession) {
				t.Errorf("the old session survived: %v", err)
			}
			if _, _, err := a.Login(ctx, email, "new-password", ""); err != nil {
				t.Errorf("new password: %v", err)
			}
			if _, err := a.ResetWithLink(ctx, token, "third-password"); !errors.Is(err, models.ErrLinkUsed) {
				t.Errorf("the link worked twice: %v", err)
			}
			_, byAdmin, err := a.IssueResetByEmail(ctx, email)
			if err != nil || byAdmin == "" {
				t.Fatalf("operator's link: %v", err)
			}
			if _, err := a.RemoveMember(ctx, owner, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.ResetWithLink(ctx, byAdmin, "fourth-password"); !errors.Is(err, models.ErrLinkUsed) {
				t.Errorf("a removed member's link still works: %v", err)
			}
			if _, err := a.RemoveMember(ctx, owner, owner.UserID); err == nil {
				t.Error("an owner removed themselves")
			}
		})
	}
}
