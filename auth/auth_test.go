package auth_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func TestHashPassword_Argon2idPHC(t *testing.T) {
	h, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	h2, _ := auth.HashPassword("correct horse")
	if h == h2 {
		t.Fatal("same hash twice: no salt")
	}
	if !auth.CheckPassword(h, "correct horse") || auth.CheckPassword(h, "correct horsE") || auth.CheckPassword(h, "") {
		t.Fatal("CheckPassword wrong")
	}
	for _, bad := range []string{"", "plain", strings.Replace(h, "argon2id", "argon2i", 1), h[:len(h)-5], "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA",
		strings.Replace(h, "m=19456", "m=1048576", 1)} {
		if auth.CheckPassword(bad, "correct horse") {
			t.Fatalf("accepted malformed hash %q", bad)
		}
	}
}

func setup(t *testing.T, s *repository.Store) (*auth.Service, merchanttest.Biz) {
	t.Helper()
	b := merchanttest.Seed(t, s, "A", 0)
	a := auth.New(s, cache.NewMemory(1000), []byte("test-key"), nil)
	return a, b
}

func TestLogin_SessionLogoutAndExpiry(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a, b := setup(t, s)
			email := "Owner" + testutil.RandomHex(3) + "@Example.com"
			u, err := a.CreateUser(ctx, b.Business.ID, email, "s3cret-pass", models.RoleOwner)
			if err != nil {
				t.Fatal(err)
			}
			if u.PasswordHash == "s3cret-pass" || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
				t.Fatalf("stored hash %q", u.PasswordHash)
			}
			if _, err := a.CreateUser(ctx, b.Business.ID, strings.ToLower(email), "another-pass", models.RoleStaff); !errors.Is(err, models.ErrConflict) {
				t.Fatalf("duplicate email: %v", err)
			}
			if _, err := a.CreateUser(ctx, b.Business.ID, "x@example.com", "short", models.RoleStaff); err == nil {
				t.Fatal("short password accepted")
			}
			if _, _, err := a.Login(ctx, email, "wrong-pass", "10.0.0.1"); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
			if _, _, err := a.Login(ctx, "nobody@example.com", "s3cret-pass", "10.0.0.1"); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("unknown email: %v", err)
			}
			cookie, p, err := a.Login(ctx, " "+strings.ToUpper(email)+" ", "s3cret-pass", "10.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if p.UserID != u.ID || p.BusinessID != b.Business.ID || p.Role != models.RoleOwner || p.CSRFToken == "" || len(cookie) < 40 {
				t.Fatalf("principal %+v cookie %q", p, cookie)
			}
			var sess models.Session
			if err := s.DB(ctx).Where("user_id = ?", u.ID).First(&sess).Error; err != nil {
				t.Fatal(err)
			}
			if sess.ID == cookie || len(sess.ID) != 64 {
				t.Fatalf("session row id %q: the cookie must be stored hashed", sess.ID)
			}
			got, err := a.Session(ctx, cookie)
			if err != nil || got.UserID != u.ID || got.CSRFToken != p.CSRFToken {
				t.Fatalf("session %+v err %v", got, err)
			}
			if _, err := a.Session(ctx, cookie+"x"); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("forged cookie: %v", err)
			}
			a.SetClock(func() time.Time { return time.Now().Add(auth.SessionTTL + time.Minute) })
			if _, err := a.Session(ctx, cookie); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("expired session: %v", err)
			}
			a.SetClock(time.Now)
			if _, err := a.Session(ctx, cookie); err != nil {
				t.Fatal(err)
			}
			if err := a.Logout(ctx, cookie); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Session(ctx, cookie); !errors.Is(err, models.ErrNoSession) {
				t.Fatalf("after logout: %v", err)
			}
		})
	}
}

func TestLogin_RateLimited(t *testing.T) {
	for _, name := range []string{"memory", "valkey", "valkey-down"} {
		t.Run(name, func(t *testing.T) {
			s := testutil.SQLite(t)
			ctx := context.Background()
			var c cache.Cache = cache.NewMemory(1000)
			switch name {
			case "valkey":
				c = mustCache(t, testutil.Valkey(t))
			case "valkey-down":
				c = mustCache(t, "redis://127.0.0.1:1/0")
			}
			b := merchanttest.Seed(t, s, "A", 0)
			// A fresh key per run: the counters live in a shared Valkey.
			a := auth.New(s, c, []byte(testutil.RandomHex(8)), nil)
			email := "rl" + testutil.RandomHex(3) + "@example.com"
			if _, err := a.CreateUser(ctx, b.Business.ID, email, "right-password", models.RoleStaff); err != nil {
				t.Fatal(err)
			}
			for i := range auth.MaxFailsPerEmail {
				if _, _, err := a.Login(ctx, email, "wrong", "10.0.0.2"); !errors.Is(err, models.ErrBadCredentials) {
					t.Fatalf("failure %d: %v", i+1, err)
				}
			}
			_, _, err := a.Login(ctx, email, "wrong", "10.0.0.2")
			if !errors.Is(err, models.ErrRateLimited) {
				t.Fatalf("after %d failures: %v", auth.MaxFailsPerEmail, err)
			}
			// Also without Valkey: this process's copy of the counters holds the limit on this instance.
			if _, _, err := a.Login(ctx, email, "right-password", "10.0.0.3"); !errors.Is(err, models.ErrRateLimited) {
				t.Fatalf("right password while limited: %v", err)
			}
			// Per IP: 20 failures over many emails.
			for i := range auth.MaxFailsPerIP {
				_, _, err := a.Login(ctx, fmt.Sprintf("u%d-%s@example.com", i, testutil.RandomHex(2)), "x", "10.9.9.9")
				if !errors.Is(err, models.ErrBadCredentials) {
					t.Fatalf("ip failure %d: %v", i+1, err)
				}
			}
			if _, _, err := a.Login(ctx, "fresh@example.com", "x", "10.9.9.9"); !errors.Is(err, models.ErrRateLimited) {
				t.Fatalf("after %d failures from one IP: %v", auth.MaxFailsPerIP, err)
			}
		})
	}
}

func mustCache(t *testing.T, url string) cache.Cache {
	t.Helper()
	c, err := cache.New(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.Now().Add(3 * time.Second)
	for url == testutil.ValkeyURL() && c.Status() != cache.StatusUp && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return c
}

func TestAPIToken_HashedAndScoped(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			a, b := setup(t, s)
			tok, err := a.CreateAPIToken(ctx, b.Business.ID, "erp")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, "wao_") || len(tok) < 40 {
				t.Fatalf("token %q", tok)
			}
			var row models.APIToken
			if err := s.DB(ctx).Table("api_tokens").Where("business_id = ?", b.Business.ID).First(&row).Error; err != nil {
				t.Fatal(err)
			}
			if row.TokenHash == tok || strings.Contains(row.TokenHash, tok[4:]) || !strings.HasPrefix(tok, row.Prefix) {
				t.Fatalf("stored %+v", row)
			}
			biz, err := a.APIToken(ctx, tok)
			if err != nil || biz != b.Business.ID {
				t.Fatalf("resolve: %d %v", biz, err)
			}
			for _, bad := range []string{"", "wao_", tok + "x", strings.TrimPrefix(tok, "wao_"), row.TokenHash} {
				if _, err := a.APIToken(ctx, bad); !errors.Is(err, models.ErrBadToken) {
					t.Fatalf("%q: %v", bad, err)
				}
			}
			if err := s.RevokeAPIToken(ctx, b.Business.ID, row.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.APIToken(ctx, tok); !errors.Is(err, models.ErrBadToken) {
				t.Fatalf("revoked: %v", err)
			}
			if _, err := a.CreateAPIToken(ctx, 424242424242, "x"); err == nil {
				t.Fatal("token for unknown business")
			}
		})
	}
}

// TestLogin_RateLimitSharedAcrossInstances: failures counted by one instance limit logins on another, through Valkey.
func TestLogin_RateLimitSharedAcrossInstances(t *testing.T) {
	s := testutil.SQLite(t)
	ctx := context.Background()
	b := merchanttest.Seed(t, s, "A", 0)
	key := []byte(testutil.RandomHex(8))
	one := auth.New(s, mustCache(t, testutil.Valkey(t)), key, nil)
	two := auth.New(s, mustCache(t, testutil.Valkey(t)), key, nil)
	email := "shared" + testutil.RandomHex(3) + "@example.com"
	if _, err := one.CreateUser(ctx, b.Business.ID, email, "right-password", models.RoleStaff); err != nil {
		t.Fatal(err)
	}
	for i := range auth.MaxFailsPerEmail {
		inst := one
		if i%2 == 1 {
			inst = two
		}
		if _, _, err := inst.Login(ctx, email, "wrong", fmt.Sprintf("10.1.0.%d", i)); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	for _, inst := range []*auth.Service{one, two} {
		if _, _, err := inst.Login(ctx, email, "right-password", "10.2.0.1"); !errors.Is(err, models.ErrRateLimited) {
			t.Fatalf("after failures spread over two instances: %v", err)
		}
	}
}
