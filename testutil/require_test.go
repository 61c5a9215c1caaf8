package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestHelperProcessNeedsStores is run as a child process by the tests below; on its own it does nothing.
func TestHelperProcessNeedsStores(t *testing.T) {
	if os.Getenv("WAORDER_TESTUTIL_CHILD") != "1" {
		return
	}
	t.Run("postgres", func(t *testing.T) { Postgres(t) })
	t.Run("valkey", func(t *testing.T) { Valkey(t) })
	t.Run("sqlite", func(t *testing.T) { SQLite(t) })
}

// child runs TestHelperProcessNeedsStores with no PostgreSQL or Valkey reachable.
func child(t *testing.T, ci string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessNeedsStores$", "-test.v")
	cmd.Env = append(os.Environ(), "WAORDER_TESTUTIL_CHILD=1", "CI="+ci,
		"DATABASE_URL=postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=1",
		"VALKEY_URL=redis://127.0.0.1:1/0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestStores_MissingServersSkipWithHowToEnableOnALaptop(t *testing.T) {
	out, err := child(t, "")
	if err != nil {
		t.Fatalf("without CI the run must pass by skipping: %v\n%s", err, out)
	}
	for _, want := range []string{
		"--- SKIP: TestHelperProcessNeedsStores/postgres", "set DATABASE_URL to enable the PostgreSQL tests",
		"--- SKIP: TestHelperProcessNeedsStores/valkey", "set VALKEY_URL to enable the Valkey tests",
		"--- PASS: TestHelperProcessNeedsStores/sqlite",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestStores_MissingServersFailUnderCI(t *testing.T) {
	out, err := child(t, "true")
	if err == nil {
		t.Fatalf("with CI=true a missing server must fail the run:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: TestHelperProcessNeedsStores/postgres", "--- FAIL: TestHelperProcessNeedsStores/valkey",
		"required because CI=true", "--- PASS: TestHelperProcessNeedsStores/sqlite",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
