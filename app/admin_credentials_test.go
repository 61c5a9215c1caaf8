package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

// admin runs an admin command with stdin and returns stdout's last line and stderr.
func runAdmin(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Main(context.Background(), append([]string{"admin"}, args...), envOf(env), strings.NewReader(stdin), &out, &errOut)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1], errOut.String(), err
}

func TestAdmin_SecretsFromStdinAndTheCredentialLifecycle(t *testing.T) {
	dir := t.TempDir()
	env := productionEnv(dir)
	biz, stderr, err := runAdmin(t, env, "EAAG-from-stdin\n", "create-business", "--name", "Cafe", "--phone-number-id",
		"7001", "--access-token", "-")
	if err != nil || stderr != "" {
		t.Fatalf("create-business from stdin: %v %q", err, stderr)
	}
	if _, stderr, err := runAdmin(t, env, "", "create-business", "--name", "Other", "--phone-number-id", "7002",
		"--access-token", "EAAG-typed"); err != nil || !strings.Contains(stderr, "process list") {
		t.Fatalf("a typed secret works with a warning: %v %q", err, stderr)
	}
	if _, _, err := runAdmin(t, env, "", "create-user", "--business", biz, "--email", "a@example.com", "--password", "-"); err == nil {
		t.Fatal("an empty stdin was taken as a password")
	}
	if _, _, err := runAdmin(t, env, "first-password\n", "create-user", "--business", biz, "--email", "a@example.com",
		"--password", "-"); err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for _, name := range []string{"erp", "pos"} {
		tok, _, err := runAdmin(t, env, "", "create-api-token", "--business", biz, "--name", name)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	var out bytes.Buffer
	if err := Main(context.Background(), []string{"admin", "list-api-tokens", "--business", biz}, envOf(env), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	list := out.String()
	if strings.Count(list, "\n") != 3 || strings.Contains(list, tokens[0]) || !strings.Contains(list, tokens[0][:10]) ||
		!strings.Contains(list, "\terp\t") {
		t.Fatalf("list-api-tokens:\n%s", list)
	}
	firstID := strings.Fields(strings.Split(list, "\n")[1])[0]
	if got, _, err := runAdmin(t, env, "", "revoke-api-token", "--business", biz, "--id", firstID); err != nil || got != "revoked "+firstID {
		t.Fatalf("revoke: %q %v", got, err)
	}
	if _, _, err := runAdmin(t, env, "", "revoke-api-token", "--business", biz, "--id", firstID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}

	ctx := context.Background()
	store, err := repository.Open(ctx, "", dir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a := auth.New(store, nil, nil, nil)
	if _, err := a.APIToken(ctx, tokens[0]); !errors.Is(err, models.ErrBadToken) {
		t.Fatalf("revoked token: %v", err)
	}
	if _, err := a.APIToken(ctx, tokens[1]); err != nil {
		t.Fatalf("the other token: %v", err)
	}
	cookie, _, err := a.Login(ctx, "a@example.com", "first-password", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runAdmin(t, env, "second-password\n", "reset-password", "--email", "a@example.com", "--password", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Session(ctx, cookie); !errors.Is(err, models.ErrNoSession) {
		t.Fatalf("session after reset-password: %v", err)
	}
	if _, _, err := a.Login(ctx, "a@example.com", "second-password", ""); err != nil {
		t.Fatalf("the reset password: %v", err)
	}
	if _, _, err := runAdmin(t, env, "", "delete-user", "--email", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Login(ctx, "a@example.com", "second-password", ""); !errors.Is(err, models.ErrBadCredentials) {
		t.Fatalf("login of a deleted user: %v", err)
	}
}
