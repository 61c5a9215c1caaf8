package app

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// lastLine runs the program and returns the last line of its stdout, as a script would read it.
func lastLine(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Main(context.Background(), args, envOf(env), nil, &out, &out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1], err
}

func TestRun_AdminCreateUserAndAPITokenPrintTheirResultLast(t *testing.T) {
	dbURL := testutil.PostgresSchemaURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SANDBOX": "true", "CONFIG_FILE": "none.yaml"}
	biz, err := lastLine(t, env, "admin", "create-business", "--name", "Cafe", "--phone-number-id", "7001",
		"--waba-id", "8001", "--access-token", "EAAG-secret")
	if err != nil {
		t.Fatal(err)
	}
	user, err := lastLine(t, env, "admin", "create-user", "--business", biz, "--email", "Owner@Example.com",
		"--password", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := strconv.ParseInt(user, 10, 64); err != nil || id <= 0 {
		t.Fatalf("create-user's last line %q is not a user id", user)
	}
	staff, err := lastLine(t, env, "admin", "create-user", "--business", biz, "--email", "staff@example.com",
		"--password", "correct horse", "--role", "staff")
	if err != nil || staff == user {
		t.Fatalf("staff user: %q %v", staff, err)
	}
	token, err := lastLine(t, env, "admin", "create-api-token", "--business", biz, "--name", "erp")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, auth.TokenPrefix) || strings.ContainsAny(token, " \t") {
		t.Fatalf("create-api-token's last line %q is not a token", token)
	}

	// What was printed works: the login and the token, against the same database.
	ctx := context.Background()
	store, err := repository.Open(ctx, dbURL, "", repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a := auth.New(store, nil, nil, nil)
	if _, p, err := a.Login(ctx, "owner@example.com", "correct horse", "127.0.0.1"); err != nil ||
		strconv.FormatInt(p.UserID, 10) != user || strconv.FormatInt(p.BusinessID, 10) != biz || p.Role != "owner" {
		t.Fatalf("login as the created user: %+v %v", p, err)
	}
	if got, err := a.APIToken(ctx, token); err != nil || strconv.FormatInt(got, 10) != biz {
		t.Fatalf("printed token resolves to business %d, %v; want %s", got, err, biz)
	}

	for _, args := range [][]string{
		{"admin", "create-user", "--business", biz, "--email", "owner@example.com", "--password", "another pass"}, // taken
		{"admin", "create-user", "--business", biz, "--email", "x@example.com", "--password", "short"},
		{"admin", "create-user", "--business", biz, "--email", "not-an-email", "--password", "long enough"},
		{"admin", "create-user", "--business", biz, "--email", "y@example.com", "--password", "long enough", "--role", "boss"},
		{"admin", "create-user", "--business", "999999999", "--email", "z@example.com", "--password", "long enough"},
		{"admin", "create-user", "--email", "z@example.com", "--password", "long enough"},
		{"admin", "create-api-token"},
		{"admin", "create-api-token", "--business", "999999999"},
	} {
		if _, err := lastLine(t, env, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
