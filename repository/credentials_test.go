package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func seedUser(t *testing.T, s *repository.Store, bizID int64) models.User {
	t.Helper()
	u := models.User{BusinessID: bizID, Email: "u" + testutil.RandomHex(4) + "@example.com", PasswordHash: "old", Role: models.RoleOwner}
	if err := s.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func seedSession(t *testing.T, s *repository.Store, u models.User, lastSeen time.Time) models.Session {
	t.Helper()
	sess := models.Session{ID: testutil.RandomHex(16), UserID: u.ID, BusinessID: u.BusinessID, CSRFToken: "c",
		ExpiresAt: time.Now().Add(time.Hour), CreatedAt: lastSeen, LastSeenAt: lastSeen}
	if err := s.CreateSession(context.Background(), &sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

func sessionCount(t *testing.T, s *repository.Store, userID int64) int64 {
	t.Helper()
	var n int64
	if err := s.DB(context.Background()).Table("sessions").Where("user_id = ?", userID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSession_IdleSessionIsGoneUntilTouchedAndIsPurged(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "idle-"+testutil.RandomHex(3))
			u := seedUser(t, s, b.ID)
			now := time.Now().UTC()
			idle := seedSession(t, s, u, now.Add(-2*time.Hour))
			fresh := seedSession(t, s, u, now.Add(-time.Minute))
			cutoff := now.Add(-time.Hour)
			if _, err := s.Session(ctx, idle.ID, now, cutoff); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("idle session loaded: %v", err)
			}
			if _, err := s.Session(ctx, fresh.ID, now, cutoff); err != nil {
				t.Fatalf("fresh session: %v", err)
			}
			if err := s.TouchSession(ctx, fresh.ID, now.Add(30*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Session(ctx, fresh.ID, now.Add(50*time.Minute), now.Add(20*time.Minute)); err != nil {
				t.Fatalf("touched session: %v", err)
			}
			if n, err := s.DeleteExpiredSessions(ctx, now, cutoff); err != nil || n != 1 {
				t.Fatalf("purged %d (%v), want the idle one", n, err)
			}
			if got := sessionCount(t, s, u.ID); got != 1 {
				t.Fatalf("%d sessions left, want 1", got)
			}
		})
	}
}

func TestCredentials_PasswordChangeEndsOtherSessionsAndDeleteUserRemovesAll(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "cred-"+testutil.RandomHex(3))
			u, other := seedUser(t, s, b.ID), seedUser(t, s, b.ID)
			now := time.Now().UTC()
			keep := seedSession(t, s, u, now)
			seedSession(t, s, u, now)
			seedSession(t, s, other, now)
			if err := s.UpdatePassword(ctx, u.ID, "new", keep.ID); err != nil {
				t.Fatal(err)
			}
			got, _ := s.User(ctx, u.ID)
			if got.PasswordHash != "new" || sessionCount(t, s, u.ID) != 1 || sessionCount(t, s, other.ID) != 1 {
				t.Fatalf("hash %q, sessions %d/%d", got.PasswordHash, sessionCount(t, s, u.ID), sessionCount(t, s, other.ID))
			}
			if _, err := s.Session(ctx, keep.ID, now, now.Add(-time.Hour)); err != nil {
				t.Fatalf("the kept session: %v", err)
			}
			if n, err := s.DeleteUserSessions(ctx, u.ID, ""); err != nil || n != 1 || sessionCount(t, s, u.ID) != 0 {
				t.Fatalf("log out everywhere: %d %v", n, err)
			}
			if err := s.UpdatePassword(ctx, 987654321, "x", ""); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("unknown user: %v", err)
			}
			if err := s.DeleteUser(ctx, other.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.User(ctx, other.ID); !errors.Is(err, models.ErrNotFound) || sessionCount(t, s, other.ID) != 0 {
				t.Fatalf("deleted user still there: %v", err)
			}
			if err := s.DeleteUser(ctx, other.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

func TestAPITokens_ListedWithRevokedOnesPerBusiness(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, _ := seedBusiness(t, s, "tok-"+testutil.RandomHex(3))
			other, _ := seedBusiness(t, s, "tok-"+testutil.RandomHex(3))
			var ids []int64
			for _, biz := range []int64{b.ID, b.ID, other.ID} {
				tok := models.APIToken{BusinessID: biz, TokenHash: testutil.RandomHex(32), Prefix: "wao_" + testutil.RandomHex(3)}
				if err := s.CreateAPIToken(ctx, &tok); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, tok.ID)
			}
			if err := s.RevokeAPIToken(ctx, b.ID, ids[0]); err != nil {
				t.Fatal(err)
			}
			got, err := s.APITokens(ctx, b.ID)
			if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[0].RevokedAt == nil || got[1].RevokedAt != nil {
				t.Fatalf("tokens %+v %v", got, err)
			}
		})
	}
}

func TestInstanceMode_RecordedAndReplaced(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			if m, err := s.InstanceMode(ctx); err != nil || m != "" {
				t.Fatalf("fresh database mode %q %v", m, err)
			}
			for _, mode := range []string{repository.ModeSandbox, repository.ModeProduction} {
				if err := s.SetInstanceMode(ctx, mode); err != nil {
					t.Fatal(err)
				}
				if m, err := s.InstanceMode(ctx); err != nil || m != mode {
					t.Fatalf("mode %q %v, want %q", m, err, mode)
				}
			}
		})
	}
}
