package app

import (
	"context"
	"strings"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

func TestRun_AdminResetLinkPrintsAOneTimeLinkThatWorks(t *testing.T) {
	dbURL := testutil.PostgresSchemaURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SANDBOX": "true", "CONFIG_FILE": "none.yaml", "PUBLIC_URL": "https://orders.example.com/"}
	biz, err := lastLine(t, env, "admin", "create-business", "--name", "Cafe", "--phone-number-id", "7101",
		"--waba-id", "8101", "--access-token", "EAAG-secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lastLine(t, env, "admin", "create-user", "--business", biz, "--email", "forgot@example.com", "--password", "old-password"); err != nil {
		t.Fatal(err)
	}
	link, err := lastLine(t, env, "admin", "reset-link", "--email", "Forgot@example.com")
	if err != nil || !strings.HasPrefix(link, "https://orders.example.com/reset/") {
		t.Fatalf("reset-link printed %q, %v", link, err)
	}
	if _, err := lastLine(t, env, "admin", "reset-link", "--email", "nobody@example.com"); err == nil {
		t.Error("a link for an unknown email")
	}
	ctx := context.Background()
	store, err := repository.Open(ctx, dbURL, "", repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a := auth.New(store, nil, nil, nil)
	if _, err := a.ResetWithLink(ctx, strings.TrimPrefix(link, "https://orders.example.com/reset/"), "new-password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Login(ctx, "forgot@example.com", "new-password", ""); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
}
