package auth_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/testutil"
)

func TestSignUp_CreatesBusinessAndOwnerAndLogsIn(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a := auth.New(s, cache.NewMemory(100), nil, nil)
			email := "ana" + testutil.RandomHex(4) + "@example.com"
			cookie, p, err := a.SignUp(ctx, auth.NewBusiness{Email: " " + email, Password: "long-enough", Name: "Ana's Tacos",
				Currency: "mxn", Timezone: "America/Mexico_City"}, "10.0.0.1")
			if err != nil || cookie == "" || p.Role != models.RoleOwner {
				t.Fatalf("sign up %+v %v", p, err)
			}
			b, err := s.Business(ctx, p.BusinessID)
			if err != nil || b.Name != "Ana's Tacos" || b.Currency != "MXN" || b.Timezone != "America/Mexico_City" {
				t.Fatalf("business %+v %v", b, err)
			}
			if got, err := a.Session(ctx, cookie); err != nil || got.UserID != p.UserID {
				t.Errorf("session %+v %v", got, err)
			}
			// The same email again: a field error, and no second business.
			before, _ := s.Businesses(ctx)
			_, _, err = a.SignUp(ctx, auth.NewBusiness{Email: email, Password: "long-enough", Name: "Other", Currency: "USD"}, "")
			if fe, ok := models.AsInvalid(err); !ok || fe.Field != "email" {
				t.Fatalf("duplicate email: %v", err)
			}
			if after, _ := s.Businesses(ctx); len(after) != len(before) {
				t.Error("a business was created for a refused sign-up")
			}
		})
	}
}

func TestSignUp_EveryBadFieldHasAMessage(t *testing.T) {
	n := auth.NewBusiness{Email: "nope", Password: "short", Name: "", Currency: "dollars", Timezone: "Mars/Base"}
	errs := n.Validate()
	for _, f := range []string{"email", "password", "name", "currency", "timezone"} {
		if errs[f] == "" {
			t.Errorf("no message for %s: %v", f, errs)
		}
	}
}

func TestInvite_OneTimeLinkJoinsTheTeamOnce(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a, b := setup(t, s)
			owner := auth.Principal{UserID: 1, BusinessID: b.Business.ID, Role: models.RoleOwner}
			staff := auth.Principal{UserID: 2, BusinessID: b.Business.ID, Role: models.RoleStaff}
			if _, err := a.Invite(ctx, staff, models.RoleStaff, ""); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("staff invited: %v", err)
			}
			token, err := a.Invite(ctx, owner, models.RoleStaff, "Bruno, evenings")
			if err != nil {
				t.Fatal(err)
			}
			inv, name, err := a.OpenInvite(ctx, token)
			if err != nil || name != b.Business.Name || inv.Note != "Bruno, evenings" {
				t.Fatalf("open %+v %q %v", inv, name, err)
			}
			// Two clicks at once: one login.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = a.AcceptInvite(ctx, token, "bruno"+testutil.RandomHex(3)+"@example.com", "bruno-pass", "")
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("both or neither accepted: %v / %v", errs[0], errs[1])
			}
			users, invites, err := a.Team(ctx, b.Business.ID)
			if err != nil || len(invites) != 0 {
				t.Fatalf("team %v %v", invites, err)
			}
			staffCount := 0
			for _, u := range users {
				if u.Role == models.RoleStaff {
					staffCount++
				}
			}
			if staffCount != 1 {
				t.Errorf("%d staff after one invite", staffCount)
			}
			if _, _, err := a.OpenInvite(ctx, token); !errors.Is(err, models.ErrLinkUsed) {
				t.Errorf("used link opens: %v", err)
			}
			if _, _, err := a.OpenInvite(ctx, "forged"); !errors.Is(err, models.ErrLinkUsed) {
				t.Errorf("forged link opens: %v", err)
			}
		})
	}
}

func TestSetRole_OwnerOnlyAndNeverDemotesSelf(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	a, b := setup(t, s)
	u, err := a.CreateUser(ctx, b.Business.ID, "s"+testutil.RandomHex(3)+"@example.com", "staff-pass", models.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	owner := auth.Principal{UserID: 999, BusinessID: b.Business.ID, Role: models.RoleOwner}
	if err := a.SetRole(ctx, auth.Principal{UserID: u.ID, BusinessID: b.Business.ID, Role: models.RoleStaff}, u.ID, models.RoleOwner); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("staff promoted themselves: %v", err)
	}
	if err := a.SetRole(ctx, owner, owner.UserID, models.RoleStaff); err == nil {
		t.Error("owner demoted themselves")
	}
	if err := a.SetRole(ctx, owner, u.ID, models.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, u.ID); got.Role != models.RoleOwner {
		t.Errorf("role %s", got.Role)
	}
	other := auth.Principal{UserID: 1, BusinessID: b.Business.ID + 1, Role: models.RoleOwner}
	if err := a.SetRole(ctx, other, u.ID, models.RoleStaff); err == nil {
		t.Error("another business's owner changed the role")
	}
}
