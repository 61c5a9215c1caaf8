package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

func TestAccounts_UsersSessionsTokens(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "acc-"+testutil.RandomHex(3))
			u := models.User{BusinessID: b.ID, Email: " Ann@Example.com ", PasswordHash: "h", Role: models.RoleOwner}
			if err := s.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			dup := models.User{BusinessID: b.ID, Email: "ann@example.com", PasswordHash: "h", Role: models.RoleStaff}
			if err := s.CreateUser(ctx, &dup); !errors.Is(err, models.ErrConflict) {
				t.Fatalf("duplicate email: %v", err)
			}
			got, err := s.UserByEmail(ctx, "ANN@example.com")
			if err != nil || got.ID != u.ID || got.Role != models.RoleOwner {
				t.Fatalf("by email: %+v %v", got, err)
			}
			if _, err := s.UserByEmail(ctx, "bob@example.com"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("unknown email: %v", err)
			}
			now := time.Now().UTC()
			for i, exp := range []time.Time{now.Add(time.Hour), now.Add(-time.Minute)} {
				sess := models.Session{ID: []string{"live", "dead"}[i] + testutil.RandomHex(4), UserID: u.ID, BusinessID: b.ID,
					CSRFToken: "c", ExpiresAt: exp}
				if err := s.CreateSession(ctx, &sess); err != nil {
					t.Fatal(err)
				}
				_, err := s.Session(ctx, sess.ID, now, now.Add(-time.Hour))
				if (i == 0) != (err == nil) || (i == 1 && !errors.Is(err, models.ErrNotFound)) {
					t.Fatalf("session %d: %v", i, err)
				}
			}
			if n, err := s.DeleteExpiredSessions(ctx, now, now.Add(-time.Hour)); err != nil || n != 1 {
				t.Fatalf("delete expired: %d %v", n, err)
			}
			tok := models.APIToken{BusinessID: b.ID, Name: "erp", TokenHash: testutil.RandomHex(32), Prefix: "wao_ab"}
			if err := s.CreateAPIToken(ctx, &tok); err != nil {
				t.Fatal(err)
			}
			if got, err := s.APITokenByHash(ctx, tok.TokenHash); err != nil || got.BusinessID != b.ID {
				t.Fatalf("token: %+v %v", got, err)
			}
			if err := s.RevokeAPIToken(ctx, b.ID+1, tok.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("revoke by another business: %v", err)
			}
			if err := s.RevokeAPIToken(ctx, b.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.APITokenByHash(ctx, tok.TokenHash); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("revoked token: %v", err)
			}
		})
	}
}
